/**
 * A transcript as the trace shows it: one entry per line with the byte offset it starts at
 * in `console.log` (the step log's console offsets point there), the line as escaped HTML
 * with its colours, and whether it is the command protocol's plumbing; and the commands of
 * the clean view (`# command` and what it printed) by their markers.
 * @module
 */
import { viewTranscript } from '../../guest/transcript-view.js'
import { readFileTail } from '../../util/file-tail.js'
import { escapeMarkup as esc } from '../text.js'
import { colourSpans, dropColours, keepColours } from '../html/ansi-html.js'

/** One line of the transcript. */
export interface TraceLine {
  /** Byte offset of its first byte in the transcript file. */
  o: number
  /** Its length in bytes, the newline included. */
  n: number
  /** Escaped HTML, colours as spans. */
  h: string
  /** 1 when the line is the command protocol's (markers, helper definition, base64). */
  p?: 1
}

/** A command of the clean view. */
export interface CommandView {
  /** The command. */
  c: string
  /** What it printed (stdout, then stderr), as escaped HTML with colours. */
  h: string
  /** Its exit status, when it ended. */
  s?: number
}

const PROTOCOL = /__bc[xpoce]|BC[0-9a-f]{12}|^BCR|^[A-Za-z0-9+/]{16,}={0,2}$|^[0-9a-f]{32} {2}\S+$/

/**
 * The lines of the last `maxBytes` of `file` (whole lines: a cut first line is left out).
 * `text` is the same part decoded, escape sequences kept, for {@link commandViews}.
 */
export function consoleLines(file: string | undefined, maxBytes: number): { lines: TraceLine[]; omitted: number; text: string } {
  const tail = file ? readFileTail(file, maxBytes) : undefined
  if (!tail) return { lines: [], omitted: 0, text: '' }
  let { buf, start } = tail
  if (start > 0) {
    const nl = buf.indexOf(0x0a)
    buf = buf.subarray(nl + 1)
    start += nl + 1
  }
  const lines: TraceLine[] = []
  for (let at = 0; at < buf.length; ) {
    const nl = buf.indexOf(0x0a, at)
    const end = nl === -1 ? buf.length : nl + 1
    const text = keepColours(buf.subarray(at, end).toString('utf8')).replace(/\n$/, '')
    const line: TraceLine = { o: start + at, n: end - at, h: colourSpans(esc(text)) }
    if (PROTOCOL.test(dropColours(text).trim())) line.p = 1
    lines.push(line)
    at = end
  }
  return { lines, omitted: start, text: buf.toString('utf8') }
}

/** The commands of the clean view of `raw`, by marker; `known` gives commands by marker (the step log). */
export function commandViews(raw: string, known: ReadonlyMap<string, string>): Record<string, CommandView> {
  const out: Record<string, CommandView> = {}
  for (const part of viewTranscript(keepColours(raw), known)) {
    if (part.kind !== 'command') continue
    const printed = [part.console, keepColours(part.stdout), keepColours(part.stderr)].join('')
    out[part.id] = { c: dropColours(part.command), h: colourSpans(esc(printed)), ...(part.status === undefined ? {} : { s: part.status }) }
  }
  return out
}

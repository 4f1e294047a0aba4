/**
 * Text helpers shared by the JUnit and HTML reporters: escaping for markup, characters that
 * XML 1.0 forbids (serial transcripts are full of them), durations and status words, and the pages' Content-Security-Policy.
 */
import { createHash } from 'node:crypto'
import type { FileRecord, Status } from './model.js'

// Everything outside XML 1.0's Char production: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
const ILLEGAL_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/**
 * Replaces each character XML 1.0 cannot hold (NUL, ESC, other C0 controls, lone surrogates,
 * U+FFFE/U+FFFF) with a visible `\xNN`/`\uNNNN` escape, so no information silently disappears.
 */
export function replaceIllegalXmlChars(text: string): string {
  return text.replace(ILLEGAL_XML, ch => {
    const code = ch.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
  })
}

/** Escapes text for element content or a double- or single-quoted attribute (XML and HTML alike). */
export function escapeMarkup(text: string): string {
  return replaceIllegalXmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/**
 * Escapes text for an attribute value: like {@link escapeMarkup}, and tab/LF/CR as character
 * references so attribute-value normalisation does not turn them into spaces.
 */
export function escapeAttribute(text: string): string {
  return escapeMarkup(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;')
}

/** Milliseconds as JUnit seconds: `1234` → `"1.234"`; missing or invalid → `"0"`. */
export function seconds(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '0'
  return (ms / 1000).toFixed(3).replace(/\.?0+$/, '')
}

/** A duration for people: `850 ms`, `12.3 s`, `4 min 05 s`. */
export function humanDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

/** A file's entry as reports name it: `boot.test.ts [uefi] (repeat 2)` with a project and repeats. */
export function entryLabel(f: Pick<FileRecord, 'file' | 'project' | 'repeat'>): string {
  return `${f.file}${f.project !== undefined ? ` [${f.project}]` : ''}${f.repeat !== undefined ? ` (repeat ${f.repeat})` : ''}`
}

/** Whether a status counts as a failure in reports (`failed` or `interrupted`). */
export function isFailure(status: Status): boolean {
  return status === 'failed' || status === 'interrupted'
}

/** Keeps the last `max` characters of `text`, cut at a line start when one is near. */
export function tail(text: string, max: number): { text: string; dropped: number } {
  if (text.length <= max) return { text, dropped: 0 }
  let start = text.length - max
  const nl = text.indexOf('\n', start)
  if (nl !== -1 && nl - start < 1000) start = nl + 1
  return { text: text.slice(start), dropped: start }
}

/**
 * The Content-Security-Policy of a self-contained page (the report, a trace): nothing loads
 * from the network, `script` (its one inline script) runs by its hash and no other, images
 * only from the page's folder, data: URIs or file: links, inline styles; `extra` directives
 * are added (the trace's `connect-src 'self'`, to post references to `bootcheck show-trace`).
 */
export function selfContainedPagePolicy(script: string, extra: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "img-src 'self' data: file:",
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`,
    "base-uri 'none'",
    "form-action 'none'",
    ...extra,
  ].join('; ')
}

/**
 * The transcript as a person reads it, in the report: `# command` and exactly what it
 * printed (stderr marked, a non-zero exit status shown), the guest's own lines where they
 * came, the command protocol folded away. The raw text stays one click away.
 * @module
 */
import { viewTranscript } from '../../guest/transcript-view.js'
import type { ActionRecord } from '../model.js'
import { escapeMarkup as esc } from '../text.js'
import { colourSpans, dropColours, keepColours } from './ansi-html.js'

/** The commands the step log recorded, by their protocol markers. */
export function knownCommands(actions: readonly ActionRecord[]): Map<string, string> {
  const known = new Map<string, string>()
  for (const a of actions) for (const c of a.commands ?? []) known.set(c.marker, c.command)
  return known
}

/**
 * The clean view of transcript `raw` (as the guest sent it, escape sequences and all) as
 * HTML, the inside of a `<pre>`; colours rendered.
 */
export function renderConsoleView(raw: string, known: ReadonlyMap<string, string>): string {
  const out: string[] = []
  let folded = 0
  const html = (s: string): string => colourSpans(esc(s))
  for (const part of viewTranscript(keepColours(raw), known)) {
    if (part.kind === 'plumbing') {
      folded += part.lines
      continue
    }
    if (part.kind === 'text') {
      out.push(html(part.text))
      continue
    }
    const body = [part.console, keepColours(part.stdout)].join('')
    out.push(
      `<span class="console-command" data-marker="${part.id}"># ${esc(dropColours(part.command))}</span>\n`,
      html(ensureNewline(body)),
      part.stderr ? `<span class="console-stderr">${html(ensureNewline(keepColours(part.stderr)))}</span>` : '',
      part.status === undefined ? '<span class="console-status">(no result: the command was still running)</span>\n' : part.status !== 0 ? `<span class="console-status">exit status ${part.status}</span>\n` : '',
    )
  }
  return out.join('') + (folded ? `<span class="console-folded">(${folded} lines of bootcheck's command protocol folded away: see the raw transcript)</span>\n` : '')
}

function ensureNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`
}

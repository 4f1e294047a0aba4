/**
 * Terminal colours in the report's console view: SGR sequences (`ESC [ … m`) become marks
 * that survive the console's escape stripping and the transcript view, and the marks
 * become `<span class="ansi-…">` after the text is escaped. Other sequences go as before.
 * Pure.
 * @module
 */
import { AnsiStripper } from '../../console/ansi.js'

const OPEN = '\uE000'
const CLOSE = '\uE001'
const SGR = /\x1b\[([0-9;]*)m/g
const MARK = new RegExp(`${OPEN}([0-9;]*)${CLOSE}`, 'g')

/** `text` with its colour sequences kept as marks and every other escape sequence and CR removed. */
export function keepColours(text: string): string {
  const s = new AnsiStripper()
  return s.push(text.replace(/[\uE000\uE001]/g, '').replace(SGR, (_, p: string) => `${OPEN}${p}${CLOSE}`)) + s.flush()
}

/** `text` without colour marks (for the raw view and plain comparisons). */
export function dropColours(text: string): string {
  return text.replace(MARK, '')
}

/**
 * Escaped HTML with colour marks turned into spans: foreground colours 30–37 and 90–97
 * (`ansi-fg1` … `ansi-fg15`, bright ones +8) and bold; `0` or nothing resets. Every span
 * opened is closed by the end of `escaped`.
 */
export function colourSpans(escaped: string): string {
  let open = 0
  const out = escaped.replace(MARK, (_, params: string) => {
    const classes: string[] = []
    for (const p of params.split(';').map(Number)) {
      if (p === 1) classes.push('ansi-bold')
      else if (p >= 30 && p <= 37) classes.push(`ansi-fg${p - 30}`)
      else if (p >= 90 && p <= 97) classes.push(`ansi-fg${p - 90 + 8}`)
    }
    const reset = params === '' || params.split(';').includes('0')
    const closing = reset ? '</span>'.repeat(open) : ''
    if (reset) open = 0
    if (!classes.length) return closing
    open++
    return `${closing}<span class="${classes.join(' ')}">`
  })
  return out + '</span>'.repeat(open)
}

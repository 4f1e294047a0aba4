/**
 * Finding a pattern in the text read from a screen: which line matches and which words
 * the match covers, so a click can aim at their centre. Pure.
 * @module
 */
import type { Rect } from './options.js'
import { union, type ScreenLine, type ScreenText, type ScreenWord } from './ocr-tsv.js'

/** A pattern of {@link Machine.waitForText}: a substring, or a regular expression tested on each line. */
export type TextPattern = string | RegExp

/** Where a pattern was found on the screen. */
export interface TextMatch {
  /** The matched part of the line. */
  text: string
  /** The whole line it was found in. */
  line: string
  /** The words the match covers (a match inside a word covers that word). */
  words: ScreenWord[]
  /** The box around those words, in screen pixels. */
  box: Rect
  /** The centre of `box`, where `clickText` clicks. */
  center: {
    /** Pixels from the screen's left. */
    x: number
    /** Pixels from the screen's top. */
    y: number
  }
}

/** The pattern as a user wrote it: `/Continue/i` or `"Continue"`. */
export function describePattern(pattern: TextPattern): string {
  return typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern)
}

/**
 * The first line (top to bottom) that `pattern` matches, and the words the match covers.
 * A string matches as a substring; a regular expression is tested on each line's text
 * (words joined by single spaces; `g` and `y` flags are ignored).
 */
export function findText(screen: ScreenText, pattern: TextPattern): TextMatch | undefined {
  const re = typeof pattern === 'string' ? undefined : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
  for (const line of screen.lines) {
    let start: number
    let matched: string
    if (re) {
      const m = re.exec(line.text)
      if (!m) continue
      start = m.index
      matched = m[0]
    } else {
      start = line.text.indexOf(pattern as string)
      if (start < 0) continue
      matched = pattern as string
    }
    const words = wordsIn(line, start, start + Math.max(1, matched.length))
    const box = union(words.map(w => w.box))
    return { text: matched, line: line.text, words, box, center: { x: box.x + Math.floor(box.width / 2), y: box.y + Math.floor(box.height / 2) } }
  }
  return undefined
}

/** The words of `line` whose characters overlap [from, to) of `line.text`. */
function wordsIn(line: ScreenLine, from: number, to: number): ScreenWord[] {
  const out: ScreenWord[] = []
  let pos = 0
  for (const w of line.words) {
    const end = pos + w.text.length
    if (pos < to && end > from) out.push(w)
    pos = end + 1
  }
  return out.length ? out : line.words
}

/**
 * Tesseract's TSV output (`tesseract … tsv`) turned into words and lines with their boxes
 * in screen pixels. Pure: no engine runs here, so it is unit-tested on recorded output.
 * @module
 */
import { OcrError } from '../errors/errors.js'
import type { Rect } from './options.js'

/** One word the OCR read, with its box in screen pixels and the engine's confidence (0–100). */
export interface ScreenWord {
  /** The word as read. */
  text: string
  /** Its box in screen pixels. */
  box: Rect
  /** Tesseract's confidence in it, 0–100. */
  confidence: number
}

/** One line of text: its words left to right, joined by single spaces in `text`. */
export interface ScreenLine {
  /** The line's words joined by single spaces. */
  text: string
  /** The box around its words, in screen pixels. */
  box: Rect
  /** Its words, left to right. */
  words: ScreenWord[]
}

/** The text on a screen (or a region of it), as {@link Machine.screenText} returns it. */
export interface ScreenText {
  /** Every line, top to bottom. */
  lines: ScreenLine[]
  /** Every word, in reading order (the lines' words, concatenated). */
  words: ScreenWord[]
  /** The lines joined by newlines: what a test prints or matches loosely. */
  text: string
}

/** How the pixels the engine saw map back to the screen: scaled by `scale`, then moved by `x`, `y`. */
export interface TsvMapping {
  scale: number
  x: number
  y: number
}

const COLUMNS = ['level', 'page_num', 'block_num', 'par_num', 'line_num', 'word_num', 'left', 'top', 'width', 'height', 'conf', 'text'] as const

/** The header row of Tesseract's TSV (an empty result is this alone). */
export const TSV_HEADER = COLUMNS.join('\t')

/**
 * Lines on one row closer than this many times their height are one line: Tesseract's
 * sparse mode (`--psm 11`) cuts a line where a space is wide (a text-mode font's space
 * and side bearings leave 15 px between `boot:` and `live`, lines 10 px high), and blocks
 * read as separate pages cannot share a line; table columns lie much farther apart (the
 * installers' lists: 100 px and more).
 */
const SAME_LINE_GAP = 2

/**
 * Parses Tesseract's TSV. Words (level 5) with text that is not blank are kept and grouped
 * into lines by their page, block, paragraph and line numbers; boxes are mapped back to
 * screen pixels with `map` (the engine read an image scaled by `map.scale` and cut at
 * `map.x`, `map.y`; with one mapping per page, page `k + 1` uses `map[k]`). Lines on one
 * row with a gap of less than {@link SAME_LINE_GAP} line heights are joined. A header
 * that is not Tesseract's throws, naming the first column that differs.
 */
export function parseTesseractTsv(tsv: string, map: TsvMapping | TsvMapping[] = { scale: 1, x: 0, y: 0 }): ScreenText {
  return screenTextOf(tsvLines(tsv, map))
}

/** The lines of one TSV as Tesseract grouped them, words in screen pixels (see {@link parseTesseractTsv}). */
export function tsvLines(tsv: string, map: TsvMapping | TsvMapping[]): ScreenWord[][] {
  return tsvLinesByPage(tsv, map).flat()
}

/**
 * The lines of one TSV page by page: element `k` has the lines of page `k + 1` (none when
 * Tesseract found no text there), words in screen pixels.
 */
export function tsvLinesByPage(tsv: string, map: TsvMapping | TsvMapping[]): ScreenWord[][][] {
  const maps = Array.isArray(map) ? map : [map]
  const rows = tsv.split(/\r?\n/)
  const header = (rows.shift() ?? '').split('\t')
  COLUMNS.forEach((c, i) => {
    if (header[i] !== c) throw new OcrError(`Not Tesseract TSV: column ${i + 1} is '${header[i] ?? ''}', expected '${c}'`)
  })
  const pages: Array<Map<string, ScreenWord[]>> = maps.map(() => new Map())
  for (const row of rows) {
    if (!row) continue
    const f = row.split('\t')
    if (f[0] !== '5') continue
    const text = (f.slice(11).join('\t') ?? '').trim()
    if (!text) continue
    const [left, top, width, height] = [6, 7, 8, 9].map(i => Number(f[i]))
    const page = Number(f[1])
    const map = pageMap(maps, page)
    const box = {
      x: Math.floor(left! / map.scale) + map.x,
      y: Math.floor(top! / map.scale) + map.y,
      width: Math.max(1, Math.round(width! / map.scale)),
      height: Math.max(1, Math.round(height! / map.scale)),
    }
    const byLine = pages[maps.length === 1 ? 0 : page - 1]!
    const key = `${f[2]}.${f[3]}.${f[4]}`
    const words = byLine.get(key) ?? []
    words.push({ text, box, confidence: Number(f[10]) })
    byLine.set(key, words)
  }
  return pages.map(p => [...p.values()])
}

/**
 * The screen's text from lines of words (of one or several TSVs): lines that continue each
 * other on one row joined, then in reading order, top to bottom and left to right.
 */
export function screenTextOf(lineWords: ScreenWord[][]): ScreenText {
  const lines = joinRows(lineWords.map(line))
  // Tesseract orders by block; a screen is read by rows.
  lines.sort((a, b) => (Math.abs(a.box.y - b.box.y) > Math.min(a.box.height, b.box.height) / 2 ? a.box.y - b.box.y : a.box.x - b.box.x))
  return { lines, words: lines.flatMap(l => l.words), text: lines.map(l => l.text).join('\n') }
}

function line(words: ScreenWord[]): ScreenLine {
  return { text: words.map(w => w.text).join(' '), box: union(words.map(w => w.box)), words }
}

function pageMap(maps: TsvMapping[], page: number): TsvMapping {
  const m = maps.length === 1 ? maps[0] : maps[page - 1]
  if (!m) throw new OcrError(`Tesseract's TSV has page ${page}, but ${maps.length} pages were read`)
  return m
}

/**
 * Lines that continue each other on one row joined, left to right: they overlap by half
 * the smaller height and the gap between them is less than {@link SAME_LINE_GAP} times the
 * larger height.
 */
function joinRows(lines: ScreenLine[]): ScreenLine[] {
  const sorted = [...lines].sort((a, b) => a.box.x - b.box.x)
  const out: ScreenLine[] = []
  for (const l of sorted) {
    const prev = out.find(p => {
      const overlap = Math.min(p.box.y + p.box.height, l.box.y + l.box.height) - Math.max(p.box.y, l.box.y)
      const gap = l.box.x - (p.box.x + p.box.width)
      return overlap >= Math.min(p.box.height, l.box.height) / 2 && gap >= -2 && gap < SAME_LINE_GAP * Math.max(p.box.height, l.box.height)
    })
    if (prev) out[out.indexOf(prev)] = line([...prev.words, ...l.words])
    else out.push(l)
  }
  return out
}

/** The smallest rectangle holding every one of `boxes` (which must not be empty). */
export function union(boxes: Rect[]): Rect {
  const x = Math.min(...boxes.map(b => b.x))
  const y = Math.min(...boxes.map(b => b.y))
  const right = Math.max(...boxes.map(b => b.x + b.width))
  const bottom = Math.max(...boxes.map(b => b.y + b.height))
  return { x, y, width: right - x, height: bottom - y }
}

/**
 * Screens as text: read the words on the screen, wait until a line matches, find the words
 * to click. Each pass captures the screen and runs OCR only when the pixels read differ
 * from the last pass with the same options (an unchanged screen costs one memory compare).
 * @module
 */
import { join } from 'node:path'
import { SpecError, TextNotFoundError } from '../errors/errors.js'
import { sleep } from '../util/sleep.js'
import { writePng, type Image } from './image.js'
import { describePattern, findText, type TextMatch, type TextPattern } from './ocr-match.js'
import { OcrCache, recognize, type OcrOptions } from './ocr.js'
import { checkRegion } from './ocr-prep.js'
import type { ScreenText } from './ocr-tsv.js'
import { quoteLines } from '../util/quote.js'

/** Options of {@link Machine.screenText}: the region to read and how (see {@link OcrOptions}). */
export type ScreenTextOptions = OcrOptions

/** Options of {@link Machine.waitForText} and {@link Machine.clickText}. */
export interface WaitForTextOptions extends OcrOptions {
  /** Milliseconds to keep reading the screen. Default 60000 (`clickText`: 10000). */
  timeout?: number
  /** Milliseconds between screenshots. Default 500. */
  interval?: number
}

/** What one OCR pass saw, and whether it was read again or reused. */
export interface TextPass {
  image: Image
  text: ScreenText
  /** The screen was the same as on the last pass: its text was reused, no OCR ran. */
  reused: boolean
}

/** Reads a machine's screen as text, remembering the last pass so an unchanged screen is not read again. */
export class ScreenReader {
  private last: { key: string; image: Image; text: ScreenText } | undefined
  /** OCR passes run (not reused). */
  passes = 0
  /** The blocks of text read so far: a pass over a screen where one line changed reads that line's block only. */
  readonly cache = new OcrCache()

  constructor(private readonly capture: () => Promise<Image>) {}

  /** The last pass's screen and text, if one ran. */
  lastPass(): { image: Image; text: ScreenText } | undefined {
    const l = this.last
    return l && { image: l.image, text: l.text }
  }

  /**
   * One pass: a screenshot, then OCR unless the same pixels were read with the same options
   * last time. Aborting `signal` ends a running OCR pass.
   */
  async read(options: ScreenTextOptions = {}, signal?: AbortSignal): Promise<TextPass> {
    const image = await this.capture()
    if (options.region) checkRegion(options.region, image, 'screenText: region')
    const key = JSON.stringify([options.region, options.lang, options.psm, options.scale, options.invert])
    const last = this.last
    if (last && last.key === key && sameArea(last.image, image, options)) return { image, text: last.text, reused: true }
    const text = await recognize(image, options, signal, this.cache)
    this.passes++
    this.last = { key, image, text }
    return { image, text, reused: false }
  }
}

/** True when the two screens have the same size and the same pixels in the region read. */
function sameArea(a: Image, b: Image, options: ScreenTextOptions): boolean {
  if (a.width !== b.width || a.height !== b.height) return false
  const r = options.region
  if (!r) return a.data.equals(b.data)
  const row = r.width * 4
  for (let y = r.y; y < r.y + r.height; y++) {
    const s = (y * a.width + r.x) * 4
    if (a.data.compare(b.data, s, s + row, s, s + row) !== 0) return false
  }
  return true
}

/** Where a failed wait saves its last screenshot. */
export interface TextWaitContext {
  reader: ScreenReader
  artifactsDir: string
}

let failures = 0

/**
 * Reads the screen until a line matches `pattern`; returns the match. On timeout throws
 * {@link TextNotFoundError} listing the lines read last and naming the screenshot saved in
 * the artifacts folder. A pass still running at the deadline is ended and the last finished
 * one is reported, so it fails within its timeout (unless the very first pass takes longer).
 */
export async function waitForText(ctx: TextWaitContext, pattern: TextPattern, options: WaitForTextOptions = {}): Promise<TextMatch> {
  const { timeout = 60_000, interval = 500, ...ocr } = options
  if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) throw new SpecError('waitForText: the pattern must be a string or a regular expression')
  if (typeof pattern === 'string' && pattern.trim() === '') throw new SpecError('waitForText: the pattern is an empty string, which every screen matches')
  const deadline = Date.now() + timeout
  let pass: TextPass | undefined
  for (;;) {
    const left = deadline - Date.now()
    // The first pass always finishes: a failure must be able to say what the screen shows.
    const stop = pass ? AbortSignal.timeout(Math.max(1, left)) : undefined
    let next: TextPass
    try {
      next = await ctx.reader.read(ocr, stop)
    } catch (e) {
      if (stop?.aborted) break
      throw e
    }
    pass = next
    const found = findText(pass.text, pattern)
    if (found) return found
    const rest = deadline - Date.now()
    if (rest <= 0) break
    // Less than an interval left: one more pass, ended at the deadline if it is still running.
    await sleep(Math.min(interval, rest))
  }
  // The first pass either finished or threw, so there is one.
  if (pass === undefined) throw new Error('waitForText: no OCR pass finished')
  // Never before the timeout (a timer may fire a few milliseconds early).
  if (deadline > Date.now()) await sleep(deadline - Date.now())
  const seen = pass.text.lines.map(l => l.text)
  const file = join(ctx.artifactsDir, `text-not-found-${++failures}.png`)
  let saved: string | undefined
  try {
    await writePng(file, pass.image)
    saved = file
  } catch {
    // no artifacts folder (a machine without one): the message still lists the text
  }
  const where = ocr.region ? ` in the region ${ocr.region.width}x${ocr.region.height} at (${ocr.region.x},${ocr.region.y})` : ''
  const list = seen.length ? quoteLines(seen) : '  (no text at all)'
  throw new TextNotFoundError(
    `Timed out after ${timeout / 1000} s waiting for ${describePattern(pattern)} on the screen${where}. The last OCR pass read:\n${list}\n` +
      (saved ? `The screenshot: ${saved}` : 'No screenshot was saved (no artifacts folder).'),
    describePattern(pattern),
    seen,
    saved,
  )
}

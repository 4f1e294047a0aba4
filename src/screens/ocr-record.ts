/**
 * The words an OCR pass read, as a step attaches them (`ocr-N.json` in the machine's
 * artifacts folder, with the screen it read as `ocr-N.png`): the screen's size and each
 * word with its box, so the trace can draw them over that screen and turn a click on one
 * into `vm.clickText(…)`.
 * @module
 */
import { writeFile } from 'node:fs/promises'
import { encodePng, type Image } from './image.js'
import type { ScreenText } from './ocr-tsv.js'

/** The attachment's name on a step. */
export const OCR_ATTACHMENT = 'ocr'

/** The name of the attached screen the pass read. */
export const OCR_SCREEN_ATTACHMENT = 'ocr screen'

/** The most words kept in one record. */
export const OCR_RECORD_WORDS = 2000

/** What the attachment holds. */
export interface OcrRecord {
  /** The screen's size in pixels (the boxes are in its coordinates). */
  width: number
  /** The screen's height in pixels. */
  height: number
  /** Words read, in reading order: text and box (`x`, `y`, `w`, `h`). */
  words: { t: string; x: number; y: number; w: number; h: number }[]
}

/** The record of one pass over a `width`×`height` screen. */
export function ocrRecordOf(width: number, height: number, text: ScreenText): OcrRecord {
  return { width, height, words: text.words.slice(0, OCR_RECORD_WORDS).map(w => ({ t: w.text, x: w.box.x, y: w.box.y, w: w.box.width, h: w.box.height })) }
}

/**
 * Writes the record of a pass over `image` to `<stem>.json` and the screen to `<stem>.png`
 * (PNG made fast: one encoding per step, not per poll); returns the files written.
 */
export async function writeOcrRecord(stem: string, image: Image, text: ScreenText): Promise<{ json?: string; png?: string }> {
  try {
    await writeFile(`${stem}.json`, JSON.stringify(ocrRecordOf(image.width, image.height, text)))
    await writeFile(`${stem}.png`, encodePng(image, { fast: true }))
    return { json: `${stem}.json`, png: `${stem}.png` }
  } catch {
    // No artifacts folder (a machine without one): nothing to show later, nothing lost now.
    return {}
  }
}

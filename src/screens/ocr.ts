/**
 * The OCR engine: Debian's `tesseract` (5.x) run through execa on a prepared PGM, its TSV
 * parsed into words and lines. One process per pass; the image goes through stdin and the
 * TSV comes back on stdout, so no file is written.
 * @module
 */
import { execa } from 'execa'
import { OcrError } from '../errors/errors.js'
import type { Image } from './image.js'
import { prepareForOcr, type OcrPrepOptions } from './ocr-prep.js'
import { parseTesseractTsv, type ScreenText } from './ocr-tsv.js'

/** Options of one OCR pass (see {@link Machine.screenText}). */
export interface OcrOptions extends OcrPrepOptions {
  /** Tesseract languages joined by `+`, e.g. `'eng'`, `'fra'`, `'eng+fra'` (each needs `tesseract-ocr-<lang>`). Default `'eng'`. */
  lang?: string
  /**
   * Tesseract's page segmentation mode: 11 (default) finds sparse text anywhere, as screens
   * have it (menus, buttons, labels); 3 expects a page of paragraphs; 6 one block; 7 one line.
   */
  psm?: number
}

/** The longest one OCR pass may take before Tesseract is stopped (a pass takes about a second). */
const OCR_TIMEOUT_MS = 60_000

/** The `tesseract` binary: `$BOOTCHECK_TESSERACT` or `tesseract` on the PATH. */
export function tesseractBinary(): string {
  return process.env.BOOTCHECK_TESSERACT || 'tesseract'
}

/**
 * Reads the text of `img` (or `options.region` of it) with Tesseract. Throws
 * {@link OcrError} when the binary or a language is missing, naming the Debian package.
 * Aborting `signal` ends the Tesseract process and rejects with the signal's reason.
 */
export async function recognize(img: Image, options: OcrOptions = {}, signal?: AbortSignal): Promise<ScreenText> {
  const { lang = 'eng', psm = 11, ...prep } = options
  if (!/^[a-z_]+(\+[a-z_]+)*$/i.test(lang)) throw new OcrError(`OCR language '${lang}' is not a Tesseract language list such as 'eng' or 'eng+fra'`)
  const input = prepareForOcr(img, prep)
  const bin = tesseractBinary()
  // The image is already dark text on light (no second pass on inverted lines), and
  // Sauvola's local threshold (method 2) keeps text on a grey highlight bar that a global
  // Otsu threshold turns black. One thread: on a small machine Tesseract's OpenMP threads
  // compete with QEMU and make a pass slower, not faster.
  const args = ['stdin', 'stdout', '-l', lang, '--psm', String(psm), '-c', 'tessedit_do_invert=0', '-c', 'thresholding_method=2', 'tsv']
  const result = await execa(bin, args, {
    input: input.pgm,
    reject: false,
    env: { OMP_THREAD_LIMIT: '1' },
    timeout: OCR_TIMEOUT_MS,
    ...(signal ? { cancelSignal: signal } : {}),
  })
  if (signal?.aborted) throw signal.reason
  if (result.failed) {
    const err = String(result.stderr ?? '')
    const code = (result as { code?: string }).code
    if (result.timedOut) throw new OcrError(`Tesseract took longer than ${OCR_TIMEOUT_MS / 1000} s for one pass and was stopped: the host is overloaded, or the image is huge (src/screens/ocr.ts)`)
    if (code === 'ENOENT') throw new OcrError(`OCR needs Tesseract: '${bin}' is not installed (apt-get install tesseract-ocr tesseract-ocr-eng; scripts/setup.sh does)`)
    const missing = /Failed loading language '([^']+)'/.exec(err)
    if (missing) throw new OcrError(`Tesseract has no data for language '${missing[1]}': apt-get install tesseract-ocr-${missing[1]}`)
    throw new OcrError(`Tesseract failed (${result.exitCode ?? result.signal ?? code}): ${err.trim().split('\n').slice(-3).join(' | ') || 'no message'} (src/screens/ocr.ts)`)
  }
  return parseTesseractTsv(String(result.stdout), input.map)
}

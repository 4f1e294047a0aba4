/**
 * The OCR engine: Debian's `tesseract` (5.x) run through execa on the prepared pages (one
 * multi-page TIFF), its TSV parsed into words and lines. One process per pass; the image
 * goes through stdin and the TSV comes back on stdout, so no file is written.
 * @module
 */
import { execa } from 'execa'
import { OcrError, SpecError } from '../errors/errors.js'
import type { Image } from './image.js'
import { availableParallelism } from 'node:os'
import { createHash } from 'node:crypto'
import { prepareForOcr, splitPages, type OcrPage, type OcrPrepOptions } from './ocr-prep.js'
import { screenTextOf, tsvLinesByPage, type ScreenText, type ScreenWord } from './ocr-tsv.js'
import { encodeTiff } from './tiff.js'

/** Options of one OCR pass (see {@link Machine.screenText}). */
export interface OcrOptions extends OcrPrepOptions {
  /** Tesseract languages joined by `+`, e.g. `'eng'`, `'fra'`, `'eng+fra'` (each needs `tesseract-ocr-<lang>`). Default `'eng'`. */
  lang?: string
  /**
   * Tesseract's page segmentation mode: 11 (default) finds sparse text anywhere, as screens
   * have it (menus, buttons, labels); 3 expects a page of paragraphs; 6 one block; 7 one line.
   */
  psm?: number
  /**
   * Tesseract processes one pass may run at once, each on a share of the screen's blocks of
   * text. Default 2 (1 on a one-core machine); 1 leaves a core to QEMU on a busy host.
   */
  processes?: number
}

/** The longest one OCR pass may take before Tesseract is stopped (a pass takes about a second). */
const OCR_TIMEOUT_MS = 60_000

/** The `tesseract` binary: `$BOOTCHECK_TESSERACT` or `tesseract` on the PATH. */
export function tesseractBinary(): string {
  return process.env.BOOTCHECK_TESSERACT || 'tesseract'
}

/**
 * Reads the text of `img` (or `options.region` of it) with Tesseract: the prepared pages
 * ({@link prepareForOcr}) go to up to `options.processes` Tesseract processes at once, as
 * multi-page TIFFs of about equal size. Throws {@link OcrError} when the binary or a
 * language is missing, naming the Debian package. Aborting `signal` ends the Tesseract
 * processes and rejects with the signal's reason.
 */
export async function recognize(img: Image, options: OcrOptions = {}, signal?: AbortSignal, cache?: OcrCache): Promise<ScreenText> {
  const { lang = 'eng', psm = 11, processes = defaultProcesses(), ...prep } = options
  if (!/^[a-z_]+(\+[a-z_]+)*$/i.test(lang)) throw new OcrError(`OCR language '${lang}' is not a Tesseract language list such as 'eng' or 'eng+fra'`)
  if (!(Number.isInteger(processes) && processes >= 1 && processes <= 16)) throw new SpecError(`OCR processes must be a whole number from 1 to 16, got ${processes}`)
  await checkEngine(tesseractBinary(), lang)
  const input = prepareForOcr(img, prep)
  if (input.pages.length === 0) return screenTextOf([])
  // The pages are already dark text on white (no second pass on inverted lines) with the
  // background flattened, so Otsu's global threshold (method 0, the fastest) is enough,
  // except for the grey image as it is (invert: true/false), which keeps Sauvola's local
  // one (method 2).
  const threshold = prep.invert === true || prep.invert === false ? 2 : 0
  const args = ['stdin', 'stdout', '-l', lang, '--psm', String(psm), '-c', 'tessedit_do_invert=0', '-c', `thresholding_method=${threshold}`, 'tsv']
  // Pages read before (the same pixels, read the same way) come from the cache, moved to
  // where they are now; only the others go to Tesseract.
  const keys = new Map(input.pages.map(p => [p, pageKey(p, args)]))
  const lines: ScreenWord[][] = []
  const unread: OcrPage[] = []
  for (const page of input.pages) {
    const known = cache?.get(keys.get(page)!)
    if (known) lines.push(...moveLines(known, page.map.x, page.map.y))
    else unread.push(page)
  }
  if (unread.length === 0) return screenTextOf(lines)
  const failed = new AbortController()
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal
  const groups = splitPages(unread, processes)
  try {
    const read = await Promise.all(
      groups.map(async group => tsvLinesByPage(await tesseract(encodeTiff(group.map(p => p.image)), args, stop, signal), group.map(p => p.map))),
    )
    groups.forEach((group, g) =>
      group.forEach((page, k) => {
        lines.push(...read[g]![k]!)
        cache?.set(keys.get(page)!, moveLines(read[g]![k]!, -page.map.x, -page.map.y))
      }),
    )
    return screenTextOf(lines)
  } catch (e) {
    failed.abort(e)
    throw e
  }
}

/** `lines` with every word's box moved by `dx`, `dy`. */
function moveLines(lines: ScreenWord[][], dx: number, dy: number): ScreenWord[][] {
  return lines.map(line => line.map(w => ({ ...w, box: { ...w.box, x: w.box.x + dx, y: w.box.y + dy } })))
}

/** What identifies a page's reading: its pixels, size and scale, and the engine's arguments. */
function pageKey(page: OcrPage, args: string[]): string {
  const { width, height, data } = page.image
  return `${width}x${height}@${page.map.scale}:${args.join(' ')}:${createHash('sha1').update(data).digest('hex')}`
}

/**
 * The lines of pages already read, by their pixels (words relative to the page), so that
 * on a screen where one line changed (a countdown, a progress bar, a blinking cursor) only
 * that line's block goes to Tesseract. The oldest entries go beyond `limit`.
 */
export class OcrCache {
  private readonly entries = new Map<string, ScreenWord[][]>()
  /** Pages found here, and pages that had to be read. */
  hits = 0
  misses = 0

  constructor(readonly limit = 256) {}

  get(key: string): ScreenWord[][] | undefined {
    const lines = this.entries.get(key)
    if (lines) {
      this.hits++
      this.entries.delete(key)
      this.entries.set(key, lines)
    } else this.misses++
    return lines
  }

  set(key: string, lines: ScreenWord[][]): void {
    this.entries.set(key, lines)
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!)
  }
}

const checked = new Map<string, Promise<void>>()

/**
 * Checks once per binary and language list that Tesseract runs and has the languages
 * (`tesseract --list-langs`), so a missing engine is named at the first pass even on a
 * blank screen, which needs no OCR.
 */
function checkEngine(bin: string, lang: string): Promise<void> {
  const key = `${bin}\0${lang}`
  let check = checked.get(key)
  if (!check) {
    check = (async () => {
      const result = await execa(bin, ['--list-langs'], { reject: false, timeout: OCR_TIMEOUT_MS })
      if ((result as { code?: string }).code === 'ENOENT') throw notInstalled(bin)
      if (result.failed) throw new OcrError(`'${bin} --list-langs' failed: ${String(result.stderr ?? '').trim().split('\n').slice(-2).join(' | ') || result.exitCode} (src/screens/ocr.ts)`)
      const have = new Set(String(result.stdout).split('\n').map(l => l.trim()))
      const missing = lang.split('+').find(l => !have.has(l))
      if (missing) throw noLanguage(missing)
    })()
    checked.set(key, check)
    check.catch(() => checked.delete(key)) // installed later: checked again
  }
  return check
}

function notInstalled(bin: string): OcrError {
  return new OcrError(`OCR needs Tesseract: '${bin}' is not installed (apt-get install tesseract-ocr tesseract-ocr-eng; scripts/setup.sh does)`)
}

function noLanguage(lang: string): OcrError {
  return new OcrError(`Tesseract has no data for language '${lang}': apt-get install tesseract-ocr-${lang}`)
}

/** Two processes on a machine with two cores or more (a pass takes about half the time), else one. */
function defaultProcesses(): number {
  return Math.min(2, availableParallelism())
}

/** One Tesseract process on `tiff`; its TSV. */
async function tesseract(tiff: Buffer, args: string[], stop: AbortSignal, signal: AbortSignal | undefined): Promise<string> {
  const bin = tesseractBinary()
  // One thread each: on a small machine Tesseract's OpenMP threads compete with QEMU and
  // make a pass slower, not faster.
  const result = await execa(bin, args, { input: tiff, reject: false, env: { OMP_THREAD_LIMIT: '1' }, timeout: OCR_TIMEOUT_MS, cancelSignal: stop })
  if (signal?.aborted) throw signal.reason
  if (result.failed) {
    const err = String(result.stderr ?? '')
    const code = (result as { code?: string }).code
    if (result.timedOut) throw new OcrError(`Tesseract took longer than ${OCR_TIMEOUT_MS / 1000} s for one pass and was stopped: the host is overloaded, or the image is huge (src/screens/ocr.ts)`)
    if (code === 'ENOENT') throw notInstalled(bin)
    const missing = /Failed loading language '([^']+)'/.exec(err)
    if (missing) throw noLanguage(missing[1]!)
    if (stop.aborted) throw stop.reason
    throw new OcrError(`Tesseract failed (${result.exitCode ?? result.signal ?? code}): ${err.trim().split('\n').slice(-3).join(' | ') || 'no message'} (src/screens/ocr.ts)`)
  }
  return String(result.stdout)
}

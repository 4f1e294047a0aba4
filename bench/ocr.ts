/**
 * Benchmark of screens as text on two recorded screens of Debian's installer
 * (tests/unit/fixtures/ocr/: the 1280×800 GTK language page, the 640×480 pxelinux menu),
 * each figure next to a baseline measured in the same run:
 *
 * - bootcheck's pass (grayscale, local polarity, ×2 scale, `tesseract` CLI) against
 *   Tesseract's CLI on the PNG with its defaults (what a user would try first);
 * - a region (the Continue button) against the whole screen;
 * - an unchanged screen (reused, no OCR) against a pass;
 * - tesseract.js (WASM, a warm worker, `@tesseract.js-data/eng`, offline) against the CLI
 *   pass, when tesseract.js can be loaded: from this project, or from the folder in
 *   `$BOOTCHECK_TESSERACT_JS` (`npm i --prefix DIR tesseract.js @tesseract.js-data/eng`).
 *
 * - tesseract.js on the image bootcheck prepares (the engines compared on equal input).
 *
 * Accuracy is printed beside: which of the labels a test would wait for each engine read.
 * Informational only: always exits 0.
 *
 *   node --import tsx bench/ocr.ts [iterations]     (default 5, or BENCH_ITERATIONS)
 */
import { execa } from 'execa'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { readPng, type Image } from '../src/screens/image.js'
import { findText } from '../src/screens/ocr-match.js'
import { recognize } from '../src/screens/ocr.js'
import { prepareForOcr } from '../src/screens/ocr-prep.js'
import { parseTesseractTsv, type ScreenText } from '../src/screens/ocr-tsv.js'
import { ScreenReader } from '../src/screens/text.js'
import { emit, row, stats, timeIt, type Row } from './lib/report.js'

const N = Math.max(1, Number(process.argv[2] ?? process.env.BENCH_ITERATIONS ?? 5) || 5)
const fixture = (name: string): string => new URL(`../tests/unit/fixtures/ocr/${name}`, import.meta.url).pathname
const PAGE = fixture('d-i-gtk-language.png')
const MENU = fixture('d-i-pxelinux-menu.png')
const page = await readPng(PAGE)
const menu = await readPng(MENU)
const TSV_HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext'
const CONTINUE = { x: 1060, y: 755, width: 220, height: 40 }

/** Labels a test waits for on each screen. */
const LABELS: [string, Image, RegExp[]][] = [
  ['GTK page', page, [/^Select a language$/, /^English\b/, /^French\b/, /^German\b/, /Continue/, /Go Back/, /Screenshot/, /Choose the language to be used/]],
  ['pxelinux menu', menu, [/installer menu \(BIOS mode\)/, /^Install$/, /^Advanced options/, /^Help$/, /^Install with speech synthesis$/, /Press a key/]],
]

const cliDefaults = async (file: string): Promise<ScreenText> =>
  parseTesseractTsv(String((await execa('tesseract', [file, 'stdout', 'tsv'], { env: { OMP_THREAD_LIMIT: '1' } })).stdout))

const rows: Row[] = []
const accuracy: string[] = []
const score = async (engine: string, read: (img: Image, file: string) => Promise<ScreenText>): Promise<void> => {
  for (const [name, img, labels] of LABELS) {
    const text = await read(img, name === 'GTK page' ? PAGE : MENU)
    const missed = labels.filter(re => !findText(text, re)).map(String)
    accuracy.push(`${engine.padEnd(34)} ${name.padEnd(14)} ${labels.length - missed.length}/${labels.length} labels read${missed.length ? `; missed ${missed.join(' ')}` : ''}`)
  }
}

rows.push(row('ocr', 'screenText 1280x800 (GTK page)', 'ms', await timeIt(N, () => recognize(page)), 'tesseract CLI defaults, PNG', await timeIt(N, () => cliDefaults(PAGE))))
rows.push(row('ocr', 'screenText 640x480 (pxelinux menu)', 'ms', await timeIt(N, () => recognize(menu)), 'tesseract CLI defaults, PNG', await timeIt(N, () => cliDefaults(MENU))))
rows.push(row('ocr', 'screenText region 220x40', 'ms', await timeIt(N, () => recognize(page, { region: CONTINUE })), 'whole 1280x800 screen', await timeIt(N, () => recognize(page))))
const reader = new ScreenReader(async () => page)
await reader.read()
rows.push(row('ocr', 'screenText unchanged screen (reused)', 'ms', await timeIt(N, () => reader.read()), 'one OCR pass, 1280x800', await timeIt(N, () => recognize(page))))
await score('bootcheck (prep + tesseract CLI)', img => recognize(img))
await score('tesseract CLI defaults', (_img, file) => cliDefaults(file))

// tesseract.js, when it can be loaded (not a dependency of bootcheck: see the README).
const jsDir = process.env.BOOTCHECK_TESSERACT_JS
const require = createRequire(jsDir ? join(jsDir, 'package.json') : import.meta.url)
let tjs: { createWorker: (lang: string, oem: number, options: object) => Promise<any> } | undefined
let langPath: string | undefined
try {
  tjs = (await import(require.resolve('tesseract.js'))) as typeof tjs
  langPath = join(require.resolve('@tesseract.js-data/eng/package.json'), '..', '4.0.0')
} catch {
  process.stdout.write('tesseract.js: not installed here (set BOOTCHECK_TESSERACT_JS to a folder with tesseract.js and @tesseract.js-data/eng); its rows are left out\n')
}
if (tjs && langPath) {
  const started = performance.now()
  const worker = await tjs.createWorker('eng', 1, { langPath, cacheMethod: 'none', gzip: true, logger: () => {} })
  const initMs = performance.now() - started
  await worker.setParameters({ tessedit_pageseg_mode: '11' })
  const { encodePng } = await import('../src/screens/image.js')
  const pagePng = encodePng(page)
  const menuPng = encodePng(menu)
  const jsRead = async (png: Buffer): Promise<ScreenText> => {
    const r = await worker.recognize(png, {}, { tsv: true })
    const tsv = String(r.data.tsv)
    // The library's TSV (Tesseract's API) has no header row; the CLI's has.
    return parseTesseractTsv(tsv.startsWith('level') ? tsv : `${TSV_HEADER}\n${tsv}`)
  }
  rows.push(row('ocr', 'tesseract.js warm worker, GTK page', 'ms', await timeIt(N, () => jsRead(pagePng)), 'bootcheck pass (CLI)', await timeIt(N, () => recognize(page))))
  rows.push(row('ocr', 'tesseract.js warm worker, menu', 'ms', await timeIt(N, () => jsRead(menuPng)), 'bootcheck pass (CLI)', await timeIt(N, () => recognize(menu))))
  rows.push(row('ocr', 'tesseract.js worker start (once)', 'ms', stats([initMs]), 'bootcheck pass (CLI)', await timeIt(1, () => recognize(menu))))
  await score('tesseract.js (psm 11, PNG as is)', img => jsRead(img === page ? pagePng : menuPng))
  // The same engine on the same prepared image as the CLI: the engines themselves compared.
  await worker.setParameters({ tessedit_do_invert: '0', thresholding_method: '2' })
  const prepared = async (img: Image): Promise<ScreenText> => {
    const input = prepareForOcr(img)
    const r = await worker.recognize(input.pgm, {}, { tsv: true })
    const tsv = String(r.data.tsv)
    return parseTesseractTsv(tsv.startsWith('level') ? tsv : `${TSV_HEADER}\n${tsv}`, input.map)
  }
  rows.push(row('ocr', 'tesseract.js warm, prepared GTK page', 'ms', await timeIt(N, () => prepared(page)), 'bootcheck pass (CLI)', await timeIt(N, () => recognize(page))))
  await score('tesseract.js (bootcheck prep)', img => prepared(img))
  await worker.terminate()
}
emit(rows)
process.stdout.write(accuracy.join('\n') + '\n')

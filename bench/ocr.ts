/**
 * Benchmark of screens as text on the screens recorded in tests/unit/fixtures/ocr/ (the
 * Debian installer's GTK and text pages at 1280×800, its 640×480 pxelinux menu, GRUB,
 * isolinux and iPXE; labels.json says what a test would wait for on each), each figure
 * next to a baseline measured in the same run:
 *
 * - bootcheck's pass (background contrast, blocks of text, ×2 scale, `tesseract` CLI in
 *   two processes) against Tesseract's CLI on the PNG with its defaults (what a user would
 *   try first), and against the same pass in one process;
 * - the pass with both cores taken by busy loops (as two TCG QEMUs take them in a test
 *   run) against the quiet host, and two processes against one there;
 * - a region (the Continue button) against the whole screen;
 * - a pass over a screen where one line changed (pxelinux's countdown: the unchanged
 *   blocks come from the reader's cache) against a whole pass;
 * - an unchanged screen (reused, no OCR) against a pass;
 * - tesseract.js (WASM, a warm worker, `@tesseract.js-data/eng`, offline) against the CLI
 *   pass, on the PNG and on the pages bootcheck prepares, when tesseract.js can be loaded:
 *   from this project, or from the folder in `$BOOTCHECK_TESSERACT_JS`
 *   (`npm i --prefix DIR tesseract.js @tesseract.js-data/eng`).
 *
 * Accuracy is printed beside: how many of the labels each engine read, per screen and in
 * all (the labels marked as misread included). Informational only: always exits 0.
 *
 *   node --import tsx bench/ocr.ts [iterations]     (default 5, or BENCH_ITERATIONS)
 */
import { execa } from 'execa'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { readPng, type Image } from '../src/screens/image.js'
import { findText } from '../src/screens/ocr-match.js'
import { recognize } from '../src/screens/ocr.js'
import { prepareForOcr } from '../src/screens/ocr-prep.js'
import { screenTextOf, tsvLines, TSV_HEADER, type ScreenText } from '../src/screens/ocr-tsv.js'
import { ScreenReader } from '../src/screens/text.js'
import { emit, row, stats, timeIt, type Row } from './lib/report.js'

const N = Math.max(1, Number(process.argv[2] ?? process.env.BENCH_ITERATIONS ?? 5) || 5)
const fixture = (name: string): string => new URL(`../tests/unit/fixtures/ocr/${name}`, import.meta.url).pathname
interface Screen {
  file: string
  lang: string
  labels: Array<{ pattern: string; at?: [number, number] }>
  image: Image
}
const screens: Screen[] = await Promise.all(
  (JSON.parse(readFileSync(fixture('labels.json'), 'utf8')) as { screens: Omit<Screen, 'image'>[] }).screens.map(async s => ({ ...s, image: await readPng(fixture(s.file)) })),
)
const byFile = (file: string): Screen => screens.find(s => s.file === file)!
const page = byFile('d-i-gtk-language.png')
const newt = byFile('d-i-newt-language.png')
const menu = byFile('d-i-pxelinux-menu.png')
const CONTINUE = { x: 1060, y: 755, width: 220, height: 40 }

const cliDefaults = async (s: Screen): Promise<ScreenText> =>
  screenTextOf(tsvLines(String((await execa('tesseract', [fixture(s.file), 'stdout', '-l', s.lang, 'tsv'], { env: { OMP_THREAD_LIMIT: '1' } })).stdout), { scale: 1, x: 0, y: 0 }))

const rows: Row[] = []
const accuracy: string[] = []
const score = async (engine: string, read: (s: Screen) => Promise<ScreenText>): Promise<void> => {
  let got = 0
  let all = 0
  const per: string[] = []
  for (const s of screens) {
    const text = await read(s)
    const ok = s.labels.filter(l => {
      const m = findText(text, new RegExp(l.pattern))
      return m && (!l.at || (Math.abs(m.center.x - l.at[0]) <= 16 && Math.abs(m.center.y - l.at[1]) <= 16))
    }).length
    got += ok
    all += s.labels.length
    per.push(`${s.file.replace(/\.png$/, '')} ${ok}/${s.labels.length}`)
  }
  accuracy.push(`${engine.padEnd(36)} ${got}/${all} labels read (${per.join(', ')})`)
}

const pass = (s: Screen, processes?: number) => () => recognize(s.image, { lang: s.lang, ...(processes ? { processes } : {}) })
rows.push(row('ocr', 'screenText 1280x800 (GTK page)', 'ms', await timeIt(N, pass(page)), 'tesseract CLI defaults, PNG', await timeIt(N, () => cliDefaults(page))))
rows.push(row('ocr', 'screenText 1280x800 (GTK page)', 'ms', await timeIt(N, pass(page)), 'the same pass in one process', await timeIt(N, pass(page, 1))))
// A busy host, as in a test run: both cores taken by busy loops (two TCG QEMUs keep their
// cores about this busy), ended by pid after the measurement.
const quiet = await timeIt(N, pass(page))
const burners = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
try {
  await new Promise(resolve => setTimeout(resolve, 300))
  rows.push(row('ocr', 'screenText 1280x800, both cores busy', 'ms', await timeIt(N, pass(page)), 'the same pass on a quiet host', quiet))
  rows.push(row('ocr', 'GTK page, both cores busy, 2 processes', 'ms', await timeIt(N, pass(page)), 'both cores busy, one process', await timeIt(N, pass(page, 1))))
} finally {
  for (const b of burners) b.kill()
}
rows.push(row('ocr', 'screenText 1280x800 (text installer)', 'ms', await timeIt(N, pass(newt)), 'tesseract CLI defaults, PNG', await timeIt(N, () => cliDefaults(newt))))
rows.push(row('ocr', 'screenText 640x480 (pxelinux menu)', 'ms', await timeIt(N, pass(menu)), 'tesseract CLI defaults, PNG', await timeIt(N, () => cliDefaults(menu))))
rows.push(row('ocr', 'screenText region 220x40', 'ms', await timeIt(N, () => recognize(page.image, { region: CONTINUE })), 'whole 1280x800 screen', await timeIt(N, pass(page))))
// A countdown: the menu, then the same menu one second on (only its last line differs).
// Each time a new reader reads the first, then (timed) the second.
const later = await readPng(fixture('d-i-pxelinux-menu-later.png'))
const changed: number[] = []
for (let i = 0; i < N; i++) {
  let tick = 0
  const countdown = new ScreenReader(async () => (tick++ ? later : menu.image))
  await countdown.read()
  const t0 = performance.now()
  await countdown.read()
  changed.push(performance.now() - t0)
}
rows.push(row('ocr', 'screenText, one line changed (countdown)', 'ms', stats(changed), 'a whole pass of the 640x480 menu', await timeIt(N, pass(menu))))
const reader = new ScreenReader(async () => page.image)
await reader.read()
rows.push(row('ocr', 'screenText unchanged screen (reused)', 'ms', await timeIt(N, () => reader.read()), 'one OCR pass, 1280x800', await timeIt(N, pass(page))))
await score('bootcheck (prep + tesseract CLI)', s => recognize(s.image, { lang: s.lang }))
await score('tesseract CLI defaults, PNG', cliDefaults)

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
  // English only: the French screen is read with English data here (it is not in @tesseract.js-data/eng).
  const worker = await tjs.createWorker('eng', 1, { langPath, cacheMethod: 'none', gzip: true, logger: () => {} })
  const initMs = performance.now() - started
  await worker.setParameters({ tessedit_pageseg_mode: '11' })
  const { encodePng } = await import('../src/screens/image.js')
  const pngs = new Map(screens.map(sc => [sc, encodePng(sc.image)]))
  // The library's TSV (Tesseract's API) has no header row; the CLI's has.
  const withHeader = (tsv: string): string => (tsv.startsWith('level') ? tsv : `${TSV_HEADER}\n${tsv}`)
  const jsRead = async (sc: Screen): Promise<ScreenText> => {
    const r = await worker.recognize(pngs.get(sc), {}, { tsv: true })
    return screenTextOf(tsvLines(withHeader(String(r.data.tsv)), { scale: 1, x: 0, y: 0 }))
  }
  rows.push(row('ocr', 'tesseract.js warm worker, GTK page', 'ms', await timeIt(N, () => jsRead(page)), 'bootcheck pass (CLI)', await timeIt(N, pass(page))))
  rows.push(row('ocr', 'tesseract.js warm worker, menu', 'ms', await timeIt(N, () => jsRead(menu)), 'bootcheck pass (CLI)', await timeIt(N, pass(menu))))
  rows.push(row('ocr', 'tesseract.js worker start (once)', 'ms', stats([initMs]), 'bootcheck pass (CLI)', await timeIt(1, pass(menu))))
  await score('tesseract.js (psm 11, PNG as is)', jsRead)
  // The same engine on the same prepared pages as the CLI (one after the other, as PGM):
  // the engines themselves compared.
  await worker.setParameters({ tessedit_do_invert: '0', thresholding_method: '0' })
  const prepared = async (sc: Screen): Promise<ScreenText> => {
    const lines = []
    for (const p of prepareForOcr(sc.image).pages) {
      const pgm = Buffer.concat([Buffer.from(`P5\n${p.image.width} ${p.image.height}\n255\n`, 'latin1'), p.image.data])
      const r = await worker.recognize(pgm, {}, { tsv: true })
      lines.push(...tsvLines(withHeader(String(r.data.tsv)), p.map))
    }
    return screenTextOf(lines)
  }
  rows.push(row('ocr', 'tesseract.js warm, prepared GTK page', 'ms', await timeIt(N, () => prepared(page)), 'bootcheck pass (CLI, one process)', await timeIt(N, pass(page, 1))))
  await score('tesseract.js (bootcheck prep)', prepared)
  await worker.terminate()
}
emit(rows)
process.stdout.write(accuracy.join('\n') + '\n')

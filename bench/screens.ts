/**
 * Benchmark of the screen-comparison engine on a synthetic 1280×800 screen, each figure
 * next to a baseline measured in the same run: PPM decode (what a capture decodes) against
 * PNG decode, and compare (whole screen; a 300×200 region with and without a margin of 8)
 * against raw pixelmatch of the same two screens, whole. Informational only: no
 * thresholds, always exits 0.
 *
 *   node --import tsx bench/screens.ts [iterations]     (default 20, or BENCH_ITERATIONS)
 */
import pixelmatch from 'pixelmatch'
import { compareImages } from '../src/screens/compare.js'
import { blankImage, cloneImage, fillRect } from '../src/screens/draw.js'
import { decodePng, decodePpm, encodePng, type Image } from '../src/screens/image.js'
import type { Rect, ScreenOptions } from '../src/screens/options.js'
import { emit, row, timeIt, type Stats } from './lib/report.js'

const N = Math.max(1, Number(process.argv[2] ?? process.env.BENCH_ITERATIONS ?? 20) || 20)
const W = 1280
const H = 800
const DIALOG: Rect = { x: 490, y: 300, width: 300, height: 200 }
const CLOCK: Rect = { x: 1180, y: 8, width: 60, height: 12 }

/** A desktop-like screen: gradient wallpaper, top bar, a clock, "text" blocks and a dialog. */
function screen(opts: { clock?: number; dialog?: [number, number] } = {}): Image {
  const img = blankImage(W, H)
  for (let y = 0; y < H; y++) fillRect(img, { x: 0, y, width: W, height: 1 }, [20 + (y >> 4), 40 + (y >> 3), 90 + (y >> 5)])
  fillRect(img, { x: 0, y: 0, width: W, height: 28 }, [30, 30, 30])
  fillRect(img, { x: 1180, y: 8, width: 60, height: 12 }, [opts.clock ?? 200, 200, 200])
  let seed = 42
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
  for (let i = 0; i < 400; i++) fillRect(img, { x: rand(W - 40), y: 40 + rand(H - 60), width: 4 + rand(30), height: 2 + rand(8) }, [rand(256), rand(256), rand(256)])
  const [dx, dy] = opts.dialog ?? [0, 0]
  const d = { ...DIALOG, x: DIALOG.x + dx, y: DIALOG.y + dy }
  fillRect(img, d, [235, 235, 235])
  fillRect(img, { ...d, height: 24 }, [60, 100, 200])
  for (let i = 0; i < 8; i++) fillRect(img, { x: d.x + 16, y: d.y + 40 + i * 16, width: 60 + ((i * 37) % 200), height: 8 }, [30, 30, 30])
  fillRect(img, { x: d.x + 200, y: d.y + 160, width: 80, height: 24 }, [70, 160, 70])
  return img
}

const reference = screen()
const sameScreen = screen()
const clockChanged = screen({ clock: 90 })
const moved = screen({ dialog: [5, -3] })
const broken = cloneImage(moved)
fillRect(broken, { x: DIALOG.x + 100, y: DIALOG.y + 80, width: 50, height: 50 }, [255, 0, 255])
const png = encodePng(reference)
const region: ScreenOptions = { region: DIALOG }
const searched: ScreenOptions = { region: DIALOG, margin: 8 }

const ppm = Buffer.concat([Buffer.from(`P6\n${W} ${H}\n255\n`), Buffer.alloc(W * H * 3, 0x5a)])
const raw = (a: Image, b: Image) => () => pixelmatch(a.data, b.data, Buffer.alloc(W * H * 4), W, H, { threshold: 0.1, includeAA: true })
const RAW = 'raw pixelmatch, whole'
const cases: [string, () => unknown, string, () => unknown][] = [
  ['decode PPM 1280x800 (capture)', () => decodePpm(ppm), 'decode PNG (pngjs)', () => decodePng(png)],
  ['compare full, identical', () => compareImages(reference, sameScreen), RAW, raw(reference, sameScreen)],
  ['compare full, clock differs', () => compareImages(reference, clockChanged), RAW, raw(reference, clockChanged)],
  ['compare full, clock masked', () => compareImages(reference, clockChanged, { mask: [CLOCK] }), RAW, raw(reference, clockChanged)],
  ['compare region 300x200, margin 0', () => compareImages(reference, sameScreen, region), RAW, raw(reference, sameScreen)],
  ['compare region, margin 8, in place', () => compareImages(reference, sameScreen, searched), RAW, raw(reference, sameScreen)],
  ['compare region, margin 8, moved 5,-3', () => compareImages(reference, moved, searched), RAW, raw(reference, moved)],
  ['compare region, margin 8, no match', () => compareImages(reference, broken, searched), RAW, raw(reference, broken)],
  ['compare full, broken, diff drawn', () => compareImages(reference, broken).diff, RAW, raw(reference, broken)],
]

// Sanity: the scenarios do what their names say.
const found = compareImages(reference, moved, searched)
if (!found.match || found.offset.dx !== 5 || found.offset.dy !== -3) console.warn('warning: the moved dialog was not found at 5,-3', found.offset, found.reason)
if (compareImages(reference, broken, searched).match) console.warn('warning: the broken dialog matched')

console.log(`screens benchmark: ${N} iterations each, PNG ${(png.length / 1024).toFixed(0)} KiB, node ${process.version}; ratio = figure / baseline`)
const rows = []
for (const [name, fn, baseName, baseFn] of cases) {
  const value: Stats = await timeIt(N, fn)
  rows.push(row('screens', name, 'ms', value, baseName, await timeIt(N, baseFn)))
}
emit(rows)

/**
 * What the OCR engine reads: the screen (or a region of it) in grey, every text dark on
 * white whatever its colours, cut into the blocks that hold text, small fonts scaled up,
 * as pages of one TIFF. Pure.
 * @module
 */
import { SpecError } from '../errors/errors.js'
import { checkImage, type Image } from './image.js'
import type { Rect } from './options.js'
import { contrastWithBackground } from './ocr-background.js'
import { INK } from './ocr-rules.js'
import { findTextBlocks } from './ocr-blocks.js'
import type { TsvMapping } from './ocr-tsv.js'
import type { GreyPage } from './tiff.js'

/** How a screen is prepared for OCR (`prepareForOcr`; see {@link Machine.screenText}). */
export interface OcrPrepOptions {
  /** Read only this part of the screen (screen pixels); boxes come back in screen pixels. */
  region?: Rect
  /** Upscaling factor, 1–4: screen fonts are 8–16 px tall, Tesseract reads best at 20–30. Default 2. */
  scale?: number
  /**
   * `'auto'` (default) makes text dark on white everywhere, as its contrast with the
   * background around it: light text on a dark theme, a highlighted menu entry or selected
   * list row read like the rest; only the blocks that hold text are read. `false` reads
   * the grey image as it is, `true` inverted (both whole, for screens the automatic
   * preparation reads worse).
   */
  invert?: boolean | 'auto'
}

/** One page for the engine: a part of the screen, prepared and scaled, and where it lies. */
export interface OcrPage {
  image: GreyPage
  /** The page shows the screen from `map.x`, `map.y`, scaled by `map.scale`. */
  map: TsvMapping
}

/** A prepared image: the pages for the engine. */
export interface OcrInput {
  /**
   * The pages to read: each block of text on the screen, or the whole area when blocks
   * would not save much. None when the area holds no ink at all (a blank screen needs no OCR).
   */
  pages: OcrPage[]
  /** The screen part read (the region, or the whole screen). */
  area: Rect
}

/** Checks a region against a `width × height` screen; throws {@link SpecError} naming it unless it lies inside. */
export function checkRegion(region: Rect, screen: { width: number; height: number }, what = 'region'): void {
  const { x, y, width, height } = region
  const ints = [x, y, width, height].every(Number.isInteger)
  if (!ints || x < 0 || y < 0 || width < 1 || height < 1 || x + width > screen.width || y + height > screen.height) {
    throw new SpecError(`${what} ${width}x${height} at (${x},${y}) does not lie inside the ${screen.width}x${screen.height} screen`)
  }
}

/**
 * Blocks are read one by one (pages of one TIFF) when they cover at most this share of the
 * area and are not too many; otherwise the whole area is one page.
 */
const BLOCKS_MAX_SHARE = 0.8
const BLOCKS_MAX_COUNT = 64

/**
 * Turns `img` into what Tesseract reads: luminance (ITU-R 601 weights) of the region; with
 * `invert: 'auto'` (default) each pixel's contrast with its local background, so all text
 * is dark on white ({@link contrastWithBackground}), cut into the blocks that hold text
 * ({@link findTextBlocks}); each page scaled up by `scale` with bilinear interpolation
 * (nearest-neighbour blocks make Tesseract see jagged strokes).
 */
export function prepareForOcr(img: Image, options: OcrPrepOptions = {}): OcrInput {
  checkImage(img)
  const scale = options.scale ?? 2
  if (!(typeof scale === 'number' && scale >= 1 && scale <= 4)) throw new SpecError(`OCR scale must be a number from 1 to 4, got ${scale}`)
  const area = options.region ?? { x: 0, y: 0, width: img.width, height: img.height }
  checkRegion(area, img)
  const { width: w, height: h } = area
  const gray = new Uint8Array(w * h)
  for (let r = 0; r < h; r++) {
    let s = ((area.y + r) * img.width + area.x) * 4
    const row = r * w
    for (let c = 0; c < w; c++, s += 4) gray[row + c] = (img.data[s]! * 299 + img.data[s + 1]! * 587 + img.data[s + 2]! * 114) / 1000
  }
  let parts: Rect[] = [{ x: 0, y: 0, width: w, height: h }]
  if (options.invert === 'auto' || options.invert === undefined) {
    contrastWithBackground(gray, w, h)
    const blocks = findTextBlocks(gray, w, h, INK)
    if (blocks.length === 0) return { pages: [], area }
    const covered = blocks.reduce((sum, b) => sum + b.width * b.height, 0)
    if (covered <= BLOCKS_MAX_SHARE * w * h && blocks.length <= BLOCKS_MAX_COUNT) parts = blocks
  } else if (options.invert) {
    for (let i = 0; i < gray.length; i++) gray[i] = 255 - gray[i]!
  }
  return { pages: parts.map(p => ({ image: scaleUp(gray, w, p, scale), map: { scale, x: area.x + p.x, y: area.y + p.y } })), area }
}

/** The `part` of the `w`-wide grey image, scaled by `scale` (bilinear). */
function scaleUp(gray: Uint8Array, w: number, part: Rect, scale: number): GreyPage {
  const { x: px, y: py, width: pw, height: ph } = part
  const W = Math.round(pw * scale)
  const H = Math.round(ph * scale)
  const out = new Uint8Array(W * H)
  for (let Y = 0; Y < H; Y++) {
    const fy = Math.max(0, ((Y + 0.5) * ph) / H - 0.5)
    const y0 = Math.min(ph - 1, Math.floor(fy))
    const y1 = Math.min(ph - 1, y0 + 1)
    const wy = fy - y0
    const r0 = (py + y0) * w + px
    const r1 = (py + y1) * w + px
    for (let X = 0; X < W; X++) {
      const fx = Math.max(0, ((X + 0.5) * pw) / W - 0.5)
      const x0 = Math.min(pw - 1, Math.floor(fx))
      const x1 = Math.min(pw - 1, x0 + 1)
      const wx = fx - x0
      const top = gray[r0 + x0]! * (1 - wx) + gray[r0 + x1]! * wx
      const bottom = gray[r1 + x0]! * (1 - wx) + gray[r1 + x1]! * wx
      out[Y * W + X] = top * (1 - wy) + bottom * wy
    }
  }
  return { width: W, height: H, data: out }
}

/**
 * Below this many pixels (after scaling) a pass is not split between processes: starting a
 * second Tesseract (about 60 ms to load its model) would cost more than it saves.
 */
const SPLIT_MIN_PIXELS = 400_000

/**
 * The pages shared out among at most `processes` groups of about equal pixels (largest page
 * first, each to the lightest group), each group in screen order; one group when the pages
 * are few or small.
 */
export function splitPages(pages: OcrPage[], processes: number): OcrPage[][] {
  const pixels = (p: OcrPage): number => p.image.width * p.image.height
  const total = pages.reduce((sum, p) => sum + pixels(p), 0)
  const n = Math.min(processes, pages.length)
  if (n <= 1 || total < SPLIT_MIN_PIXELS) return [pages]
  const groups = Array.from({ length: n }, () => ({ pixels: 0, members: [] as number[] }))
  const order = pages.map((_, i) => i).sort((a, b) => pixels(pages[b]!) - pixels(pages[a]!))
  for (const i of order) {
    const lightest = groups.reduce((min, g) => (g.pixels < min.pixels ? g : min))
    lightest.pixels += pixels(pages[i]!)
    lightest.members.push(i)
  }
  return groups.filter(g => g.members.length).map(g => g.members.sort((a, b) => a - b).map(i => pages[i]!))
}

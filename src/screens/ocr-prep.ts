/**
 * What the OCR engine reads: the screen (or a region of it) as an 8-bit grayscale PGM,
 * dark themes inverted to dark text on a light ground, small fonts scaled up. Pure.
 * @module
 */
import { SpecError } from '../errors/errors.js'
import { checkImage, type Image } from './image.js'
import type { Rect } from './options.js'
import type { TsvMapping } from './ocr-tsv.js'

/** How a screen is prepared for OCR (see {@link prepareForOcr}). */
export interface OcrPrepOptions {
  /** Read only this part of the screen (screen pixels); boxes come back in screen pixels. */
  region?: Rect
  /** Upscaling factor, 1–4: screen fonts are 8–16 px tall, Tesseract reads best at 20–30. Default 2. */
  scale?: number
  /**
   * `'auto'` (default) makes text dark on light everywhere: light text on a dark theme, and
   * a highlighted menu entry or selected list row, are inverted where they are (see
   * {@link normalizePolarity}). `true`/`false` inverts the whole image or nothing.
   */
  invert?: boolean | 'auto'
}

/** A prepared image: PGM bytes for the engine and how its pixels map back to the screen. */
export interface OcrInput {
  pgm: Buffer
  map: TsvMapping
  /** The screen part read (the region, or the whole screen). */
  area: Rect
  /** Whether any part was inverted. */
  inverted: boolean
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
 * Turns `img` into the grayscale PGM Tesseract reads: luminance (ITU-R 601 weights) of the
 * region, inverted when the theme is dark, scaled up by an integer factor with bilinear
 * interpolation (nearest-neighbour blocks make Tesseract see jagged strokes).
 */
export function prepareForOcr(img: Image, options: OcrPrepOptions = {}): OcrInput {
  checkImage(img)
  const scale = options.scale ?? 2
  if (!(typeof scale === 'number' && scale >= 1 && scale <= 4)) throw new SpecError(`OCR scale must be a number from 1 to 4, got ${scale}`)
  const area = options.region ?? { x: 0, y: 0, width: img.width, height: img.height }
  checkRegion(area, img)
  const { width: w, height: h } = area
  const gray = new Uint8Array(w * h)
  let sum = 0
  for (let r = 0; r < h; r++) {
    let s = ((area.y + r) * img.width + area.x) * 4
    const row = r * w
    for (let c = 0; c < w; c++, s += 4) {
      const v = (img.data[s]! * 299 + img.data[s + 1]! * 587 + img.data[s + 2]! * 114) / 1000
      gray[row + c] = v
      sum += v
    }
  }
  let inverted: boolean
  if (options.invert === 'auto' || options.invert === undefined) {
    inverted = normalizePolarity(gray, w, h)
  } else {
    inverted = options.invert
    if (inverted) for (let i = 0; i < gray.length; i++) gray[i] = 255 - gray[i]!
  }
  const W = Math.round(w * scale)
  const H = Math.round(h * scale)
  const head = Buffer.from(`P5\n${W} ${H}\n255\n`, 'latin1')
  const pgm = Buffer.alloc(head.length + W * H)
  head.copy(pgm)
  const out = pgm.subarray(head.length)
  if (scale === 1) out.set(gray)
  else {
    for (let Y = 0; Y < H; Y++) {
      const fy = Math.max(0, ((Y + 0.5) * h) / H - 0.5)
      const y0 = Math.min(h - 1, Math.floor(fy))
      const y1 = Math.min(h - 1, y0 + 1)
      const wy = fy - y0
      for (let X = 0; X < W; X++) {
        const fx = Math.max(0, ((X + 0.5) * w) / W - 0.5)
        const x0 = Math.min(w - 1, Math.floor(fx))
        const x1 = Math.min(w - 1, x0 + 1)
        const wx = fx - x0
        const top = gray[y0 * w + x0]! * (1 - wx) + gray[y0 * w + x1]! * wx
        const bottom = gray[y1 * w + x0]! * (1 - wx) + gray[y1 * w + x1]! * wx
        out[Y * W + X] = top * (1 - wy) + bottom * wy
      }
    }
  }
  return { pgm, map: { scale, x: area.x, y: area.y }, area, inverted }
}

/**
 * The window in which {@link normalizePolarity} decides which side is text: 81×17 pixels,
 * wide so that a word's letters agree, low so that it stays near one row of a menu or list
 * (chosen on the installer screens of `bench/ocr.ts`).
 */
const POLARITY_RX = 40
const POLARITY_RY = 8

/**
 * Makes text dark on a light ground in place, part by part: in the window around each
 * pixel the text is the minority of pixels, so when the window's brightness is skewed
 * towards a few bright pixels (light text on a dark ground: a dark theme, a highlighted
 * entry, a selected row) the pixel is inverted. The skew (third central moment) comes from
 * running sums of v, v², v³ (summed-area tables), so the cost is a few passes over the
 * pixels whatever the window. Returns whether any pixel was inverted.
 */
export function normalizePolarity(gray: Uint8Array, w: number, h: number, rx = POLARITY_RX, ry = POLARITY_RY): boolean {
  const W = w + 1
  const s1 = new Float64Array(W * (h + 1))
  const s2 = new Float64Array(W * (h + 1))
  const s3 = new Float64Array(W * (h + 1))
  for (let y = 0; y < h; y++) {
    let r1 = 0
    let r2 = 0
    let r3 = 0
    for (let x = 0; x < w; x++) {
      const v = gray[y * w + x]! / 255
      r1 += v
      r2 += v * v
      r3 += v * v * v
      const i = (y + 1) * W + x + 1
      s1[i] = s1[i - W]! + r1
      s2[i] = s2[i - W]! + r2
      s3[i] = s3[i - W]! + r3
    }
  }
  const flip = new Uint8Array(w * h)
  let any = false
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - ry)
    const y1 = Math.min(h, y + ry + 1)
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - rx)
      const x1 = Math.min(w, x + rx + 1)
      const a = y0 * W + x0
      const b = y0 * W + x1
      const c = y1 * W + x0
      const d = y1 * W + x1
      const n = (y1 - y0) * (x1 - x0)
      const m1 = (s1[d]! - s1[b]! - s1[c]! + s1[a]!) / n
      const m2 = (s2[d]! - s2[b]! - s2[c]! + s2[a]!) / n
      const m3 = (s3[d]! - s3[b]! - s3[c]! + s3[a]!) / n
      const variance = m2 - m1 * m1
      // E[(v - m)³] = E[v³] - 3m·E[v²] + 2m³; a flat window (no text) is inverted when it is dark.
      const skew = m3 - 3 * m1 * m2 + 2 * m1 * m1 * m1
      if (variance > 0.002) {
        flip[y * w + x] = skew > 0 ? 1 : 0
      } else flip[y * w + x] = m1 < 0.5 ? 1 : 0
    }
  }
  for (let i = 0; i < gray.length; i++) {
    if (flip[i]) {
      gray[i] = 255 - gray[i]!
      any = true
    }
  }
  return any
}


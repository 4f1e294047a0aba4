/**
 * Text as contrast against its local background, whatever the polarity. Large plain
 * regions (a page, a list, a highlight bar, a button) are background; every other pixel
 * takes the level of the nearest background pixel as its background, and becomes dark
 * in proportion to how far it lies from it. Dark text on light, light text on dark, and a
 * highlighted entry (light text on a bar in a dark list, dark text on a light bar in a
 * dark menu) all come out as dark text on white, with no decision about polarity that a
 * bar's edge could get wrong halfway through a word. Pure.
 * @module
 */
import { eraseRules } from './ocr-rules.js'
import { UnionFind } from './union-find.js'

/** Grey levels per histogram bin: 32 bins, so a smooth gradient under a window stays one background. */
const BIN_SHIFT = 3
const BINS = 256 >> BIN_SHIFT

/**
 * The window in which {@link estimateBackground} takes the most common level: 25×13 pixels,
 * a few letters wide and low enough to stay within one row of a menu or list (rows are
 * 16–25 px apart on the screens of `tests/unit/fixtures/ocr/`).
 */
const BACKGROUND_RX = 12
const BACKGROUND_RY = 6

/**
 * The background level of every pixel of the `w × h` grey image: the mean of the pixels in
 * the most common bin of the window around it (for images without any large plain region,
 * see {@link regionBackground}). Sliding histograms: the window moves by adding one column
 * of pixels and removing another, so each pixel costs a few dozen operations.
 */
export function estimateBackground(gray: Uint8Array, w: number, h: number, rx = BACKGROUND_RX, ry = BACKGROUND_RY): Uint8Array {
  const bg = new Uint8Array(w * h)
  const count = new Int32Array(BINS)
  const sum = new Float64Array(BINS)
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - ry)
    const y1 = Math.min(h - 1, y + ry)
    count.fill(0)
    sum.fill(0)
    // The window at x = 0: columns 0..rx.
    for (let x = 0; x <= Math.min(w - 1, rx); x++) {
      for (let r = y0; r <= y1; r++) {
        const v = gray[r * w + x]!
        count[v >> BIN_SHIFT]!++
        sum[v >> BIN_SHIFT]! += v
      }
    }
    let mode = 0
    for (let b = 1; b < BINS; b++) if (count[b]! > count[mode]!) mode = b
    for (let x = 0; x < w; x++) {
      if (x > 0) {
        const enter = x + rx
        const leave = x - rx - 1
        let modeLost = false
        if (leave >= 0) {
          for (let r = y0; r <= y1; r++) {
            const v = gray[r * w + leave]!
            const b = v >> BIN_SHIFT
            count[b]!--
            sum[b]! -= v
            if (b === mode) modeLost = true
          }
        }
        if (enter < w) {
          for (let r = y0; r <= y1; r++) {
            const v = gray[r * w + enter]!
            const b = v >> BIN_SHIFT
            count[b]!++
            sum[b]! += v
            if (!modeLost && count[b]! > count[mode]!) mode = b
          }
        }
        if (modeLost) {
          mode = 0
          for (let b = 1; b < BINS; b++) if (count[b]! > count[mode]!) mode = b
        }
      }
      bg[y * w + x] = Math.round(sum[mode]! / count[mode]!)
    }
  }
  return bg
}

/** Neighbouring pixels this close in grey level belong to one region. */
const SAME_LEVEL = 6
/**
 * A region this large (pixels, or a quarter of a smaller image) is background: a page, a
 * bar, a button; letters are smaller, even a 40 px headline's.
 */
const BACKGROUND_AREA = 1500

/**
 * The background level of every pixel, by regions: neighbouring pixels of nearly the same
 * level form regions (union-find); regions of {@link BACKGROUND_AREA} pixels or more are
 * background and keep their own level; every other pixel (letters, their anti-aliasing)
 * takes the level of the nearest background pixel (two chamfer passes carry it). A letter
 * on a highlight bar is surrounded by the bar's region, which reaches around it even
 * through a one-pixel margin, so the bar is its background up to the bar's very end.
 * Without any background region (a small crop), the most common level around each pixel
 * ({@link estimateBackground}).
 */
export function regionBackground(gray: Uint8Array, w: number, h: number): Uint8Array {
  const n = w * h
  const regions = new UnionFind(n)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x
      const v = gray[i]!
      if (x > 0 && Math.abs(v - gray[i - 1]!) <= SAME_LEVEL) regions.join(i, i - 1)
      if (y > 0 && Math.abs(v - gray[i - w]!) <= SAME_LEVEL) regions.join(i, i - w)
    }
  }
  const region = new Int32Array(n)
  const size = new Int32Array(n)
  for (let i = 0; i < n; i++) size[(region[i] = regions.find(i))]!++
  const INF = 0x3fffffff
  const dist = new Int32Array(n).fill(INF)
  const bg = new Uint8Array(n)
  const large = Math.min(BACKGROUND_AREA, Math.floor(n / 4))
  let seeds = 0
  for (let i = 0; i < n; i++) {
    if (size[region[i]!]! >= large) {
      dist[i] = 0
      bg[i] = gray[i]!
      seeds++
    }
  }
  if (seeds === 0) return estimateBackground(gray, w, h)
  const relax = (i: number, j: number, cost: number): void => {
    const d = dist[j]! + cost
    if (d < dist[i]!) {
      dist[i] = d
      bg[i] = bg[j]!
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x
      if (dist[i] === 0) continue
      if (x > 0) relax(i, i - 1, 3)
      if (y > 0) {
        relax(i, i - w, 3)
        if (x > 0) relax(i, i - w - 1, 4)
        if (x < w - 1) relax(i, i - w + 1, 4)
      }
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x
      if (dist[i] === 0) continue
      if (x < w - 1) relax(i, i + 1, 3)
      if (y < h - 1) {
        relax(i, i + w, 3)
        if (x < w - 1) relax(i, i + w + 1, 4)
        if (x > 0) relax(i, i + w - 1, 4)
      }
    }
  }
  return bg
}

/**
 * Differences from the background below this are not text: the spread of one histogram
 * bin, gradients and dithering.
 */
const NOISE = 10

/**
 * Replaces `gray` in place by its contrast with the background ({@link regionBackground}):
 * white where a pixel is the background, darker the more it differs, black from a
 * difference of `full` grey levels on (menus draw text 100–255 levels from its ground);
 * then erases rules ({@link eraseRules}). Returns the background it used.
 */
export function contrastWithBackground(gray: Uint8Array, w: number, h: number, full = 128): Uint8Array {
  const bg = regionBackground(gray, w, h)
  const gain = 255 / (full - NOISE)
  for (let i = 0; i < gray.length; i++) {
    const d = Math.abs(gray[i]! - bg[i]!) - NOISE
    gray[i] = d <= 0 ? 255 : Math.max(0, Math.round(255 - d * gain))
  }
  eraseRules(gray, w, h)
  return bg
}

import pixelmatch from 'pixelmatch'
import { BootcheckError } from '../errors/errors.js'
import { checkImage, type Image } from './image.js'
import { validateOptions, type Rect, type ScreenOptions } from './options.js'

/** The outcome of {@link compareImages}. */
export type CompareResult = {
  /** Whether the differing pixels stay within the allowance. */
  match: boolean
  /** Pixels whose colour distance exceeds `threshold` (masked pixels never count). */
  diffPixels: number
  /** Pixels compared: the region (or whole screen) minus masked pixels. */
  comparedPixels: number
  /** `diffPixels / comparedPixels` (0 when nothing was compared). */
  ratio: number
  /**
   * A picture of the differences, in reference-image coordinates and size: differing pixels red
   * over a faded copy of the reference, masked areas tinted blue, and anything outside the
   * compared region dimmed. Drawn when first read, so comparisons that nobody looks at
   * (polls of `waitForScreen`) do not pay for it.
   */
  diff: Image
  /** Where the region was found, relative to its reference position (0,0 without margin). */
  offset: {
    /** Pixels to the right (negative: left). */
    dx: number
    /** Pixels down (negative: up). */
    dy: number
  }
  /** Bounding box of the differing pixels, in reference-image coordinates. */
  bbox?: Rect
  /** Why the screens do not match, as a sentence; absent on a match. */
  reason?: string
}

const DIFF_COLOR: [number, number, number] = [255, 0, 0]
const MASK_TINT = [0, 102, 255] as const
/** How many of the best coarse positions are re-checked with pixelmatch. */
const CANDIDATES = 3

/**
 * Compares a screen with its reference. Masked pixels are made equal in both images before
 * pixelmatch runs, so they never count. With a `region` and `margin > 0` the region is looked
 * for at every offset within the margin: a cheap pass counts clearly different pixels per
 * offset (stopping early at a perfect match), and the best few offsets are then compared with
 * pixelmatch; the nearest of the best wins. Pixelmatch only sees the box around the pixels
 * that differ at all (none: no pixelmatch), with the same count as over the whole region.
 * Without a region, differently sized screens never
 * match (all pixels count as differing). An invalid option or a region outside the reference
 * throws a {@link BootcheckError}.
 */
export function compareImages(expected: Image, actual: Image, options: ScreenOptions = {}): CompareResult {
  checkImage(expected)
  checkImage(actual)
  const opts = validateOptions(options, 'screen comparison options')
  const threshold = opts.threshold ?? 0.1
  const region = opts.region ?? { x: 0, y: 0, width: expected.width, height: expected.height }
  const { x: rx, y: ry, width: w, height: h } = region
  if (rx + w > expected.width || ry + h > expected.height) {
    throw new BootcheckError(`The region ${describeRect(region)} lies outside the ${expected.width}x${expected.height} reference image`)
  }
  const ignore = maskBitmap(region, opts.mask ?? [])
  const masked = (opts.mask ?? []).length > 0
  let comparedPixels = w * h
  if (masked) for (let i = 0; i < ignore.length; i++) comparedPixels -= ignore[i]!

  const noMatch = (reason: string): CompareResult =>
    withLazyDiff(
      { match: false, diffPixels: comparedPixels, comparedPixels, ratio: comparedPixels > 0 ? 1 : 0, offset: { dx: 0, dy: 0 }, reason },
      () => shadedReference(expected, region, ignore, null),
    )
  if (!opts.region && (expected.width !== actual.width || expected.height !== actual.height)) {
    return noMatch(`size differs: expected ${expected.width}x${expected.height}, got ${actual.width}x${actual.height}`)
  }
  const margin = opts.region ? (opts.margin ?? 0) : 0
  const offsets = candidateOffsets(region, margin, actual)
  if (offsets.length === 0) {
    const within = margin > 0 ? ` even when moved by up to ${margin} px` : ''
    return noMatch(`the region ${describeRect(region)} does not fit in the ${actual.width}x${actual.height} screen${within}`)
  }

  const whole = rx === 0 && ry === 0 && w === expected.width && h === expected.height
  // The whole screen unmasked is compared in place; otherwise as copies of the region.
  const exp32 = whole ? pixels32(expected) : regionPixels(expected, region, 0, 0)
  const act32 = pixels32(actual)
  const shortlist = offsets.length === 1 ? offsets : coarseSearch(exp32, act32, actual.width, region, ignore, offsets, threshold)

  // Re-check the shortlist with pixelmatch; the first (nearest) of the lowest counts wins.
  let best: { dx: number; dy: number; act: Uint32Array; count: number; bbox: Rect | undefined } | undefined
  for (const [dx, dy] of shortlist) {
    const inPlace = whole && !masked && dx === 0 && dy === 0 && actual.width === w
    const act = inPlace ? act32 : regionPixels(actual, region, dx, dy, act32)
    if (masked) for (const m of opts.mask!) copyRect(exp32, act, region, m)
    const { count, bbox } = countDiffs(exp32, act, region, threshold)
    if (!best || count < best.count) best = { dx, dy, act, count, bbox }
    if (count === 0) break
  }
  if (!best) throw new Error('unreachable: no candidate offset')

  const diffPixels = best.count
  const ratio = comparedPixels > 0 ? diffPixels / comparedPixels : 0
  const allowed = allowance(opts, comparedPixels)
  const bbox = best.bbox
  const match = diffPixels <= allowed.pixels
  const { act } = best
  const result = withLazyDiff({ match, diffPixels, comparedPixels, ratio, offset: { dx: best.dx, dy: best.dy } }, () => {
    // The picture is drawn only when asked for (a mismatch written to the artifacts folder).
    const out = Buffer.alloc(w * h * 4)
    pixelmatch(bytesOf(exp32), bytesOf(act), out, w, h, { threshold, includeAA: true, diffColor: DIFF_COLOR })
    return shadedReference(expected, region, ignore, out)
  })
  if (bbox) result.bbox = bbox
  if (!match) {
    const where = bbox ? ` in x=${bbox.x}..${bbox.x + bbox.width - 1}, y=${bbox.y}..${bbox.y + bbox.height - 1}` : ''
    const moved = margin > 0 ? `; best position dx=${best.dx}, dy=${best.dy} (margin ${margin})` : ''
    result.reason = `${percent(ratio)} of pixels differ (${diffPixels} of ${comparedPixels})${where}; allowed: ${allowed.text}${moved}`
  }
  return result
}

/**
 * Pixelmatch's count of differing pixels between two region-sized pixel arrays, and their
 * bounding box in reference coordinates. Identical arrays cost one pass and no pixelmatch;
 * otherwise pixelmatch runs only on the box around the pixels that differ at all, grown by
 * {@link AA_REACH} (pixels outside it are equal, so they never count, and the anti-aliasing
 * test of a pixel inside looks no further than that): the count and box are the same as
 * pixelmatch's over the whole region.
 */
function countDiffs(exp: Uint32Array, act: Uint32Array, region: Rect, threshold: number): { count: number; bbox: Rect | undefined } {
  const { width: w, height: h } = region
  if (bytesOf(exp).equals(bytesOf(act))) return { count: 0, bbox: undefined }
  let x0 = w, y0 = h, x1 = -1, y1 = -1
  for (let y = 0, i = 0; y < h; y++) {
    const rowStart = i
    const rowEnd = i + w
    // Most rows of a matching screen are equal: find the first and last differing pixel.
    while (i < rowEnd && exp[i] === act[i]) i++
    if (i === rowEnd) continue
    let last = rowEnd - 1
    while (exp[last] === act[last]) last--
    if (i - rowStart < x0) x0 = i - rowStart
    if (last - rowStart > x1) x1 = last - rowStart
    if (y < y0) y0 = y
    y1 = y
    i = rowEnd
  }
  if (x1 < 0) return { count: 0, bbox: undefined }
  const bx = Math.max(0, x0 - AA_REACH)
  const by = Math.max(0, y0 - AA_REACH)
  const bw = Math.min(w, x1 + AA_REACH + 1) - bx
  const bh = Math.min(h, y1 + AA_REACH + 1) - by
  const a = new Uint32Array(bw * bh)
  const b = new Uint32Array(bw * bh)
  for (let y = 0; y < bh; y++) {
    const from = (by + y) * w + bx
    a.set(exp.subarray(from, from + bw), y * bw)
    b.set(act.subarray(from, from + bw), y * bw)
  }
  const out = Buffer.alloc(bw * bh * 4)
  const count = pixelmatch(bytesOf(a), bytesOf(b), out, bw, bh, { threshold, includeAA: true, diffColor: DIFF_COLOR })
  const box = diffBox(out, { x: region.x + bx, y: region.y + by, width: bw, height: bh })
  return { count, bbox: box }
}

/** How far from a pixel pixelmatch's anti-aliasing test looks (its neighbours' neighbours), plus one. */
const AA_REACH = 3

/** `fields` with a `diff` drawn by `draw` on first access (and kept). */
function withLazyDiff(fields: Omit<CompareResult, 'diff'>, draw: () => Image): CompareResult {
  let diff: Image | undefined
  return Object.defineProperty(fields, 'diff', {
    get: () => (diff ??= draw()),
    enumerable: true,
    configurable: true,
  }) as CompareResult
}

/** The number of differing pixels allowed, and how to say it. */
function allowance(opts: ScreenOptions, compared: number): { pixels: number; text: string } {
  const fromRatio = opts.maxDiffPixelRatio === undefined ? undefined : Math.floor(opts.maxDiffPixelRatio * compared + 1e-9)
  const pixels = Math.min(opts.maxDiffPixels ?? Infinity, fromRatio ?? Infinity)
  if (pixels === Infinity) return { pixels: 0, text: '0' }
  const why = fromRatio === pixels ? ` (maxDiffPixelRatio ${opts.maxDiffPixelRatio})` : ''
  return { pixels, text: `${pixels}${why}` }
}

/** 1 for each pixel of the region covered by a mask, row by row. */
function maskBitmap(region: Rect, masks: Rect[]): Uint8Array {
  const bits = new Uint8Array(region.width * region.height)
  for (const m of masks) {
    const x0 = Math.max(m.x, region.x) - region.x
    const x1 = Math.min(m.x + m.width, region.x + region.width) - region.x
    const y0 = Math.max(m.y, region.y) - region.y
    const y1 = Math.min(m.y + m.height, region.y + region.height) - region.y
    for (let y = y0; y < y1; y++) if (x1 > x0) bits.fill(1, y * region.width + x0, y * region.width + x1)
  }
  return bits
}

/** Copies the part of `rect` inside `region` from one region-sized pixel array to another. */
function copyRect(from: Uint32Array, to: Uint32Array, region: Rect, rect: Rect): void {
  const x0 = Math.max(rect.x, region.x) - region.x
  const x1 = Math.min(rect.x + rect.width, region.x + region.width) - region.x
  const y0 = Math.max(rect.y, region.y) - region.y
  const y1 = Math.min(rect.y + rect.height, region.y + region.height) - region.y
  if (x1 <= x0) return
  for (let y = y0; y < y1; y++) to.set(from.subarray(y * region.width + x0, y * region.width + x1), y * region.width + x0)
}

/** Offsets within the margin at which the region fits in the actual screen, nearest first. */
function candidateOffsets(region: Rect, margin: number, actual: Image): [number, number][] {
  const out: [number, number][] = []
  for (let dy = -margin; dy <= margin; dy++) {
    for (let dx = -margin; dx <= margin; dx++) {
      const x = region.x + dx
      const y = region.y + dy
      if (x >= 0 && y >= 0 && x + region.width <= actual.width && y + region.height <= actual.height) out.push([dx, dy])
    }
  }
  return out.sort((a, b) => a[0] * a[0] + a[1] * a[1] - (b[0] * b[0] + b[1] * b[1]))
}

/**
 * Counts, per offset, pixels whose channels differ by more than a tolerance derived from the
 * threshold (small enough that a zero count means pixelmatch finds no difference either), and
 * returns the few lowest offsets. Counting for an offset stops once it cannot make the
 * shortlist; scanning stops at the first perfect match.
 */
function coarseSearch(exp32: Uint32Array, act32: Uint32Array, actualWidth: number, region: Rect, ignore: Uint8Array, offsets: [number, number][], threshold: number): [number, number][] {
  const tol = Math.floor(threshold * 200)
  const { width: w, height: h } = region
  const top: { count: number; offset: [number, number] }[] = []
  for (const offset of offsets) {
    const limit = top.length < CANDIDATES ? Infinity : top[top.length - 1]!.count
    let count = 0
    rows: for (let y = 0; y < h; y++) {
      const a0 = (region.y + offset[1] + y) * actualWidth + region.x + offset[0]
      for (let x = 0, i = y * w; x < w; x++, i++) {
        const p = exp32[i]!
        const q = act32[a0 + x]!
        if (p === q || ignore[i]) continue
        if (Math.abs((p & 255) - (q & 255)) > tol || Math.abs(((p >>> 8) & 255) - ((q >>> 8) & 255)) > tol || Math.abs(((p >>> 16) & 255) - ((q >>> 16) & 255)) > tol || Math.abs((p >>> 24) - (q >>> 24)) > tol) {
          if (++count >= limit) break rows
        }
      }
    }
    if (count < limit) {
      top.push({ count, offset })
      top.sort((a, b) => a.count - b.count) // stable: nearer offsets stay first among equals
      if (top.length > CANDIDATES) top.pop()
    }
    if (count === 0) return [offset]
  }
  return top.map(t => t.offset)
}

/** The image's pixels as 32-bit words (a view when aligned, else a copy). */
function pixels32(img: Image): Uint32Array {
  const { data } = img
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.length / 4)
  return new Uint32Array(new Uint8Array(data).buffer)
}

/** The bytes of a pixel array (a view, no copy). */
function bytesOf(px: Uint32Array): Buffer {
  return Buffer.from(px.buffer, px.byteOffset, px.byteLength)
}

/** A fresh copy of the region moved by (dx, dy), as 32-bit words. */
function regionPixels(img: Image, region: Rect, dx: number, dy: number, all = pixels32(img)): Uint32Array {
  const out = new Uint32Array(region.width * region.height)
  for (let y = 0; y < region.height; y++) {
    const start = (region.y + dy + y) * img.width + region.x + dx
    out.set(all.subarray(start, start + region.width), y * region.width)
  }
  return out
}

/** Bounding box of pixelmatch's diff-coloured pixels, shifted to reference coordinates. */
function diffBox(out: Buffer, region: Rect): Rect | undefined {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1
  for (let y = 0, p = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++, p += 4) {
      if (out[p] === DIFF_COLOR[0] && out[p + 1] === DIFF_COLOR[1] && out[p + 2] === DIFF_COLOR[2]) {
        if (x < x0) x0 = x
        if (x > x1) x1 = x
        if (y < y0) y0 = y
        y1 = y
      }
    }
  }
  if (x1 < 0) return undefined
  return { x: region.x + x0, y: region.y + y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

/**
 * The diff picture: the reference dimmed, the region replaced by pixelmatch's output (or left
 * dimmed when nothing was compared), masked pixels tinted.
 */
function shadedReference(expected: Image, region: Rect, ignore: Uint8Array, regionDiff: Buffer | null): Image {
  const src = expected.data
  const data = Buffer.alloc(src.length)
  const whole = regionDiff && region.width === expected.width && region.height === expected.height
  if (!whole) {
    for (let p = 0; p < src.length; p += 4) {
      const v = (40 + (77 * src[p]! + 150 * src[p + 1]! + 29 * src[p + 2]!) * 0.3 / 256) | 0
      data[p] = v
      data[p + 1] = v
      data[p + 2] = v
      data[p + 3] = 255
    }
  }
  const row = region.width * 4
  for (let y = 0; y < region.height; y++) {
    const p0 = ((region.y + y) * expected.width + region.x) * 4
    if (regionDiff) regionDiff.copy(data, p0, y * row, y * row + row)
    for (let x = 0, i = y * region.width; x < region.width; x++, i++) {
      if (!ignore[i]) continue
      const p = p0 + x * 4
      for (let c = 0; c < 3; c++) data[p + c] = (data[p + c]! + MASK_TINT[c]!) >> 1
    }
  }
  return { width: expected.width, height: expected.height, data }
}

function percent(ratio: number): string {
  const pct = ratio * 100
  return `${pct >= 1 ? Number(pct.toFixed(1)) : Number(pct.toPrecision(2))}%`
}

function describeRect(r: Rect): string {
  return `${r.width}x${r.height} at (${r.x},${r.y})`
}

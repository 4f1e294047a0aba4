import { BootcheckError } from '../errors/errors.js'

/** A rectangle in screen pixels; `x`, `y` is its top-left corner. */
export type Rect = {
  /** Left edge, in pixels from the screen's left. */
  x: number
  /** Top edge, in pixels from the screen's top. */
  y: number
  /** Width in pixels. */
  width: number
  /** Height in pixels. */
  height: number
}

/**
 * How a screen is compared with its reference. The same fields may come from a sidecar file
 * next to the reference (`<name>.json`) or from the call; the call's fields win (`mergeOptions`).
 *
 * The allowance is the smaller of `maxDiffPixels` and `maxDiffPixelRatio × compared pixels`
 * when both are given; with neither, no differing pixel is allowed.
 */
export interface ScreenOptions {
  /** Regions ignored in both images (a clock, a cursor), in reference-image coordinates. */
  mask?: Rect[]
  /** Compare only this part of the reference; the rest of the screen may be anything. */
  region?: Rect
  /** Per-pixel colour distance (pixelmatch's YIQ threshold), 0 = exact .. 1 = anything; default 0.1. */
  threshold?: number
  /** Differing pixels allowed before the screens count as different. */
  maxDiffPixels?: number
  /** Share (0..1) of the compared, unmasked pixels allowed to differ. */
  maxDiffPixelRatio?: number
  /**
   * Search radius in pixels: the `region` may be found up to this far from its reference
   * position in each direction (like an openQA needle's margin). Needs `region`; default 0.
   */
  margin?: number
}

const FIELDS = ['mask', 'region', 'threshold', 'maxDiffPixels', 'maxDiffPixelRatio', 'margin'] as const

/**
 * Parses and validates a sidecar file's JSON. Every problem is an error naming the file and
 * the field, e.g. `screens/boot-menu.json: mask[1].width must be a positive integer`.
 */
export function parseSidecar(json: string, file: string): ScreenOptions {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new BootcheckError(`${file}: not valid JSON: ${(cause as Error).message}`, { cause })
  }
  return validateOptions(value, file)
}

/**
 * Checks an options object from any source (`where` names it in errors) and returns a clean
 * copy holding only the known fields. Unknown fields are errors, so typos do not pass silently.
 */
export function validateOptions(value: unknown, where: string): ScreenOptions {
  const fail = (field: string, must: string): never => {
    throw new BootcheckError(`${where}: ${field} ${must}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('the options', 'must be a JSON object')
  const o = value as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!(FIELDS as readonly string[]).includes(key)) fail(`unknown field '${key}';`, `the known fields are ${FIELDS.join(', ')}`)
  }
  const out: ScreenOptions = {}
  if (o.mask !== undefined) {
    if (!Array.isArray(o.mask)) fail('mask', 'must be an array of rectangles')
    out.mask = (o.mask as unknown[]).map((r, i) => checkRect(r, `mask[${i}]`, fail))
  }
  if (o.region !== undefined) out.region = checkRect(o.region, 'region', fail)
  if (o.threshold !== undefined) out.threshold = checkNumber(o.threshold, 'threshold', 0, 1, fail)
  if (o.maxDiffPixelRatio !== undefined) out.maxDiffPixelRatio = checkNumber(o.maxDiffPixelRatio, 'maxDiffPixelRatio', 0, 1, fail)
  if (o.maxDiffPixels !== undefined) {
    if (!isInt(o.maxDiffPixels) || o.maxDiffPixels < 0) fail('maxDiffPixels', 'must be a non-negative integer')
    out.maxDiffPixels = o.maxDiffPixels as number
  }
  if (o.margin !== undefined) {
    if (!isInt(o.margin) || o.margin < 0) fail('margin', 'must be a non-negative integer (pixels)')
    out.margin = o.margin as number
  }
  return out
}

/**
 * Combines sidecar options with those of the call: the call wins field by field, except
 * `mask`, where both lists apply (sidecar masks first).
 */
export function mergeOptions(sidecar: ScreenOptions | undefined, call: ScreenOptions | undefined): ScreenOptions {
  const merged: ScreenOptions = { ...sidecar }
  for (const [key, v] of Object.entries(call ?? {})) {
    if (v !== undefined) (merged as Record<string, unknown>)[key] = v
  }
  const mask = [...(sidecar?.mask ?? []), ...(call?.mask ?? [])]
  if (mask.length > 0) merged.mask = mask
  else delete merged.mask
  return merged
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v)
}

function checkNumber(v: unknown, field: string, min: number, max: number, fail: (f: string, m: string) => never): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(field, `must be a number from ${min} to ${max}`)
  return v as number
}

function checkRect(v: unknown, field: string, fail: (f: string, m: string) => never): Rect {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(field, 'must be an object { x, y, width, height }')
  const r = v as Record<string, unknown>
  for (const key of Object.keys(r)) {
    if (!['x', 'y', 'width', 'height'].includes(key)) fail(`${field}.${key}`, 'is not a rectangle field (x, y, width, height)')
  }
  for (const key of ['x', 'y'] as const) {
    if (!isInt(r[key]) || r[key] < 0) fail(`${field}.${key}`, 'must be a non-negative integer')
  }
  for (const key of ['width', 'height'] as const) {
    if (!isInt(r[key]) || r[key] < 1) fail(`${field}.${key}`, 'must be a positive integer')
  }
  return { x: r.x as number, y: r.y as number, width: r.width as number, height: r.height as number }
}

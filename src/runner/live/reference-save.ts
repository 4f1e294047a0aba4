/**
 * A screen reference made in the live view by dragging a rectangle: the whole screen as
 * the reference PNG and the rectangle as the `region` of its sidecar, at the paths
 * `waitForScreen`/`expectScreen` of the test file will look for ({@link referencePath}).
 * Existing files are never replaced.
 * @module
 */
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { SpecError, UsageError } from '../../errors/errors.js'
import { encodePng, type Image } from '../../screens/image.js'
import type { Rect } from '../../screens/options.js'
import { referencePath } from '../../screens/references.js'

/** A reference's name: a plain file name, as `referencePath` accepts it. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/

/**
 * The rectangle `value` (from a page) checked against a `screen` of its size: whole
 * pixels, at least 1×1, inside the screen. Throws {@link SpecError} naming what is wrong.
 */
export function checkDraggedRect(value: unknown, screen: { width: number; height: number }): Rect {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  const out: Record<string, number> = {}
  for (const k of ['x', 'y', 'width', 'height']) {
    const v = r[k]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'width' || k === 'height' ? 1 : 0)) throw new SpecError(`region.${k} must be a whole number of pixels${k === 'width' || k === 'height' ? ', at least 1' : ', 0 or more'}`)
    out[k] = v
  }
  const rect = out as Rect
  if (rect.x + rect.width > screen.width || rect.y + rect.height > screen.height) {
    throw new SpecError(`region ${rect.width}x${rect.height} at (${rect.x}, ${rect.y}) is outside the ${screen.width}x${screen.height} screen`)
  }
  return rect
}

/** Checks a reference name given by a page; throws {@link SpecError}. */
export function checkReferenceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new SpecError(`a reference name is letters, digits, '.', '_' and '-' (not first), up to 100; got ${JSON.stringify(name)}`)
  return name
}

/**
 * Writes `image` as reference `name` of `testFile` with `region` in its sidecar; returns
 * the paths written. Throws {@link UsageError} when the PNG or the sidecar exists already.
 */
export async function saveRegionReference(testFile: string, name: string, image: Image, region: Rect): Promise<{ png: string; sidecar: string }> {
  const ref = referencePath(testFile, checkReferenceName(name))
  await mkdir(ref.dir, { recursive: true })
  const exclusive = async (path: string, data: Buffer | string): Promise<void> => {
    try {
      await writeFile(path, data, { flag: 'wx' })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} exists already: choose another name (references are never replaced here)`)
      throw e
    }
  }
  for (const path of [ref.png, ref.sidecar]) if (existsSync(path)) throw new UsageError(`${path} exists already: choose another name (references are never replaced here)`)
  await exclusive(ref.png, encodePng(image))
  await exclusive(ref.sidecar, JSON.stringify({ region }, null, 2) + '\n')
  return { png: ref.png, sidecar: ref.sidecar }
}

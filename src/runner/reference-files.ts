/**
 * The reference files made by dragging a rectangle on a screen, one implementation for the
 * three places that offer it: the trace (`bootcheck show-trace`), the live view of
 * `bootcheck run --ui` and `bootcheck record`. A region reference is the whole screen as
 * `<name>.png` with the rectangle as the `region` of its sidecar `<name>.json`; a mask is a
 * rectangle appended to the `mask` of an existing reference's sidecar. Files are written
 * only at {@link referencePath} of the test file given (as `waitForScreen`/`expectScreen`
 * of that file look for them), under a plain name: no path parts.
 * @module
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { BootcheckError, SpecError, UsageError } from '../errors/errors.js'
import { decodePng } from '../screens/image.js'
import { parseSidecar, validateOptions, type Rect, type ScreenOptions } from '../screens/options.js'
import { referencePath } from '../screens/references.js'
import type { PostAnswer } from './static-server.js'

/** A reference's name: letters, digits, `.`, `_` and `-` (not first), up to 100; no `.png`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/

/** What was written, and the line to paste into the test. */
export interface ReferenceWritten {
  /** The files written, absolute. */
  written: string[]
  /** `await vm.waitForScreen('name', { region: … })`, or the `expectScreen` line of a mask. */
  code: string
}

/** A refusal of a reference request, with the HTTP status to answer it with (code `BOOTCHECK_USAGE`). */
export class ReferenceRequestError extends UsageError {
  constructor(
    /** 404 for what is not there to ask for, 409 when the files are not as the request expects. */
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Checks a reference name given by a page; throws {@link SpecError} for anything but a plain file name. */
export function checkReferenceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.endsWith('.png')) {
    throw new SpecError(`invalid reference name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (not first; no slashes, no spaces, no .png)`)
  }
  return name
}

/**
 * The rectangle `value` (from a page) checked against a screen of its size: whole pixels,
 * at least 1×1, inside the screen. Throws {@link SpecError} naming what is wrong.
 */
export function checkScreenRect(value: unknown, screen: { width: number; height: number }, where = 'region'): Rect {
  let r: Rect | undefined
  try {
    r = validateOptions({ region: value }, where).region
  } catch (e) {
    throw e instanceof BootcheckError && !(e instanceof SpecError) ? new SpecError(e.message, { cause: e }) : e
  }
  if (!r) throw new SpecError(`${where}: a rectangle { x, y, width, height } is needed`)
  if (r.x + r.width > screen.width || r.y + r.height > screen.height) {
    throw new SpecError(`${where}: ${r.width}x${r.height} at (${r.x},${r.y}) is not inside the ${screen.width}x${screen.height} screen`)
  }
  return r
}

/** A rectangle as TypeScript: `{ x: 1, y: 2, width: 3, height: 4 }`. */
export function rectCode(r: Rect): string {
  return `{ x: ${r.x}, y: ${r.y}, width: ${r.width}, height: ${r.height} }`
}

/**
 * Writes the screen `png` (of size `screen`) as reference `name` of `testFile`, with `rect`
 * as its region (a rectangle over the whole screen: no region). Other fields of a sidecar
 * that exists are kept. An existing reference is replaced only with `replace`; else
 * {@link ReferenceRequestError} 409 (the PNG is created exclusively: two saves at once
 * cannot both win).
 */
export async function writeRegionReference(testFile: string, name: string, png: Buffer, screen: { width: number; height: number }, rect: Rect, replace = false): Promise<ReferenceWritten> {
  const ref = referencePath(testFile, checkReferenceName(name))
  const exists = (): ReferenceRequestError => new ReferenceRequestError(409, `the reference ${ref.png} exists already: add a mask to it, choose another name, or replace it`)
  if (existsSync(ref.png) && !replace) throw exists()
  const old = existsSync(ref.sidecar) ? parseSidecar(await readFile(ref.sidecar, 'utf8'), ref.sidecar) : {}
  const whole = rect.x === 0 && rect.y === 0 && rect.width === screen.width && rect.height === screen.height
  const { region: _, ...rest } = old
  const sidecar: ScreenOptions = whole ? rest : { ...rest, region: rect }
  await mkdir(ref.dir, { recursive: true })
  try {
    await writeFile(ref.png, png, { flag: replace ? 'w' : 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists()
    throw e
  }
  const written = [ref.png]
  if (Object.keys(sidecar).length || existsSync(ref.sidecar)) {
    await writeFile(ref.sidecar, JSON.stringify(sidecar, null, 2) + '\n')
    written.push(ref.sidecar)
  }
  return { written, code: `await vm.waitForScreen('${name}'${whole ? '' : `, { region: ${rectCode(rect)} }`})` }
}

/**
 * Appends `rect` to the `mask` of reference `name` of `testFile` (checked against the
 * reference's size; its other fields kept). The reference must exist: else
 * {@link ReferenceRequestError} 409.
 */
export async function addReferenceMask(testFile: string, name: string, rect: unknown): Promise<ReferenceWritten> {
  const ref = referencePath(testFile, checkReferenceName(name))
  if (!existsSync(ref.png)) throw new ReferenceRequestError(409, `there is no reference ${ref.png} to mask yet: save one first`)
  const image = decodePng(await readFile(ref.png), ref.png)
  const r = checkScreenRect(rect, image, 'rect')
  const old = existsSync(ref.sidecar) ? parseSidecar(await readFile(ref.sidecar, 'utf8'), ref.sidecar) : {}
  const sidecar = validateOptions({ ...old, mask: [...(old.mask ?? []), r] }, ref.sidecar)
  await writeFile(ref.sidecar, JSON.stringify(sidecar, null, 2) + '\n')
  return { written: [ref.sidecar], code: `await vm.expectScreen('${name}', { mask: [${rectCode(r)}] })` }
}

/**
 * Runs a reference request: its result answered 200, a {@link BootcheckError} as
 * `{ error: { code, message } }` with the status of a {@link ReferenceRequestError} (else
 * 400). Other errors are thrown.
 */
export async function answerReferenceRequest(run: () => Promise<unknown>): Promise<PostAnswer> {
  try {
    return { status: 200, body: await run() }
  } catch (e) {
    if (!(e instanceof BootcheckError)) throw e
    return { status: e instanceof ReferenceRequestError ? e.status : 400, body: { error: { code: e.code, message: e.message } } }
  }
}

import { mkdir, readdir, readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BootcheckError } from '../errors/errors.js'
import { compareImages, type CompareResult } from './compare.js'
import { decodePng, writePng, type Image } from './image.js'
import { mergeOptions, parseSidecar, type ScreenOptions } from './options.js'

/**
 * What to do with reference screens: `none` only compares; `missing` also writes references
 * that do not exist yet; `all` also replaces references that no longer match (matching ones
 * are left alone, so tolerated noise does not rewrite files).
 */
export type UpdateMode = 'none' | 'missing' | 'all'

/** Where a reference screen and its optional sidecar of options live. */
export type ReferencePaths = { dir: string; png: string; sidecar: string }

/** Files involved in one check; artifacts only when they were written. */
export type ReferenceFiles = {
  /** The reference image, `<test>.screens/<name>.png`. */
  reference: string
  /** Its sidecar of options, `<name>.json`, when there is one. */
  sidecar?: string
  /** The reference as compared, written to the artifacts folder on a mismatch. */
  expected?: string
  /** The screen as it was, in the artifacts folder. */
  actual?: string
  /** The differences drawn over the reference, in the artifacts folder. */
  diff?: string
  /** A timed-out `waitForScreen`'s last screenshot, when it was not the closest one. */
  last?: string
}

/**
 * What `expectScreen` and `waitForScreen` return: small and printable (no pixels), so
 * logging it puts a few lines into TAP, not the diff image.
 */
export interface ScreenCheck {
  /** `matched`, or `written` when the update mode wrote the reference. */
  status: 'matched' | 'written'
  /** One sentence for the report. */
  message: string
  /** The reference (and sidecar) used, and any artifacts written. */
  files: ReferenceFiles
  /** Pixels that differed but were tolerated, and their share of the compared pixels. */
  diffPixels?: number
  /** The tolerated pixels' share of the compared pixels. */
  diffRatio?: number
  /** Where the region was found relative to its reference position (with `margin`). */
  offset?: {
    /** Pixels to the right (negative: left). */
    dx: number
    /** Pixels down (negative: up). */
    dy: number
  }
}

/** The small {@link ScreenCheck} of a check that passed. */
export function summarizeCheck(check: ReferenceCheck): ScreenCheck {
  const r = check.result
  return {
    status: check.status === 'written' ? 'written' : 'matched',
    message: check.message,
    files: check.files,
    ...(r ? { diffPixels: r.diffPixels, diffRatio: r.ratio, offset: r.offset } : {}),
  }
}

/** The whole outcome of a reference check (`checkAgainstReference`), as a {@link ScreenMismatchError} carries it; a passing check returns the smaller {@link ScreenCheck}. */
export type ReferenceCheck = {
  /**
   * `matched`; `mismatch` (artifacts written); `missing`: no reference and not allowed to write
   * one (the actual screen is saved as an artifact); `written`: the reference was written
   * or replaced by the update mode.
   */
  status: 'matched' | 'mismatch' | 'missing' | 'written'
  /** The comparison, when a reference existed. */
  result?: CompareResult
  /** The reference, its sidecar and the artifacts written. */
  files: ReferenceFiles
  /** One paragraph for the test report, naming the files to look at. */
  message: string
}

/**
 * The reference files of screen `name` for a test file (a path or a `file:` URL such as
 * `import.meta.url`): `<dir>/<test file name without .ts/.js>.screens/<name>.png`, with the
 * sidecar `<name>.json` beside it. Names are plain file names; a trailing `.png` is dropped.
 */
export function referencePath(testFile: string, name: string): ReferencePaths {
  const file = testFile.startsWith('file:') ? fileURLToPath(testFile) : testFile
  const stem = screenName(name)
  const dir = join(dirname(file), `${basename(file).replace(/\.[cm]?[jt]sx?$/, '')}.screens`)
  return { dir, png: join(dir, `${stem}.png`), sidecar: join(dir, `${stem}.json`) }
}

/**
 * Reads `BOOTCHECK_UPDATE_SCREENS`: unset, empty, `0` or `none` → `none`; `missing`;
 * `1` or `all` → `all`. Anything else is an error listing the valid values.
 */
export function resolveUpdateMode(env: NodeJS.ProcessEnv = process.env): UpdateMode {
  const raw = env.BOOTCHECK_UPDATE_SCREENS
  const v = (raw ?? '').trim().toLowerCase()
  if (v === '' || v === '0' || v === 'none') return 'none'
  if (v === 'missing') return 'missing'
  if (v === '1' || v === 'all') return 'all'
  throw new BootcheckError(`BOOTCHECK_UPDATE_SCREENS="${raw}" is not valid: use none (or 0), missing, or all (or 1)`)
}

/**
 * Writes the given images to `dir` (created if needed) as `<name>-expected.png`,
 * `<name>-actual.png` and `<name>-diff.png`, and returns the paths written. A name already
 * used in `dir` (a second check of one screen in a test) gets a number: `<name>-2-actual.png`.
 */
export async function writeArtifacts(
  dir: string,
  name: string,
  images: { expected?: Image; actual?: Image; diff?: Image; last?: Image },
): Promise<{ expected?: string; actual?: string; diff?: string; last?: string }> {
  await mkdir(dir, { recursive: true })
  const stem = await freeStem(dir, screenName(name))
  const out: { expected?: string; actual?: string; diff?: string; last?: string } = {}
  await Promise.all(
    (['expected', 'actual', 'diff', 'last'] as const).map(async kind => {
      const img = images[kind]
      if (!img) return
      const path = join(dir, `${stem}-${kind}.png`)
      await writePng(path, img)
      out[kind] = path
    }),
  )
  return out
}

/**
 * Compares a screen with its stored reference, using the sidecar's options merged with
 * `options` (see {@link mergeOptions}). A missing reference fails (`missing`, the actual
 * screen saved as an artifact) unless the update mode (default: from the environment, see
 * {@link resolveUpdateMode}) writes it; a mismatch writes expected, actual and diff artifacts,
 * and with update mode `all` also replaces the reference. An invalid sidecar, an unreadable
 * reference or an impossible region throws a {@link BootcheckError} naming the file.
 */
export async function checkAgainstReference(args: {
  actual: Image
  name: string
  testFile: string
  artifactsDir: string
  options?: ScreenOptions
  update?: UpdateMode
  /**
   * Write expected, actual and diff images of a mismatch (default true). Polls leave it
   * off: a screen that is not there yet costs no PNG encoding.
   */
  artifacts?: boolean
}): Promise<ReferenceCheck> {
  const { actual, name, artifactsDir } = args
  const update = args.update ?? resolveUpdateMode()
  const ref = referencePath(args.testFile, name)
  const files: ReferenceFiles = { reference: ref.png }

  const sidecarText = await readIfExists(ref.sidecar)
  const sidecar = sidecarText === undefined ? undefined : parseSidecar(sidecarText, ref.sidecar)
  if (sidecarText !== undefined) files.sidecar = ref.sidecar
  const options = mergeOptions(sidecar, args.options)

  const refBytes = await readIfExists(ref.png, 'binary')
  if (refBytes === undefined) {
    if (update !== 'none') {
      await mkdir(ref.dir, { recursive: true })
      await writePng(ref.png, actual)
      return { status: 'written', files, message: `Screen '${name}' had no reference; wrote ${ref.png} (BOOTCHECK_UPDATE_SCREENS=${update}). Review it before committing.` }
    }
    Object.assign(files, await writeArtifacts(artifactsDir, name, { actual }))
    return {
      status: 'missing',
      files,
      message: `Screen '${name}' has no reference ${ref.png}. The actual screen is saved as ${files.actual}; if it looks right, copy it there or run with BOOTCHECK_UPDATE_SCREENS=missing.`,
    }
  }

  const expected = decodeReference(refBytes, ref.png)
  let result: CompareResult
  try {
    result = compareImages(expected, actual, options)
  } catch (cause) {
    if (!(cause instanceof BootcheckError)) throw cause
    throw new BootcheckError(`Cannot compare screen '${name}' with ${ref.png}: ${cause.message}`, { cause })
  }
  if (result.match) {
    const tolerated = result.diffPixels > 0 ? ` (${result.diffPixels} differing pixels tolerated)` : ''
    const moved = result.offset.dx || result.offset.dy ? ` at dx=${result.offset.dx}, dy=${result.offset.dy}` : ''
    return { status: 'matched', result, files, message: `Screen '${name}' matches ${ref.png}${moved}${tolerated}.` }
  }

  if (args.artifacts === false && update !== 'all') {
    return { status: 'mismatch', result, files, message: `Screen '${name}' does not match ${ref.png}: ${result.reason}.` }
  }
  Object.assign(files, await writeArtifacts(artifactsDir, name, { expected, actual, diff: result.diff }))
  const see = `See ${files.expected}, ${files.actual} and ${files.diff}.`
  if (update === 'all') {
    await writePng(ref.png, actual)
    return { status: 'written', result, files, message: `Screen '${name}' differed from ${ref.png}: ${result.reason}. Replaced it (BOOTCHECK_UPDATE_SCREENS=all). ${see}` }
  }
  return {
    status: 'mismatch',
    result,
    files,
    message: `Screen '${name}' does not match ${ref.png}: ${result.reason}. ${see} If the change is intended, run with BOOTCHECK_UPDATE_SCREENS=all.`,
  }
}

/** `stem`, or `stem-2`, `stem-3`, … : the first whose artifacts are not in `dir` yet. */
async function freeStem(dir: string, stem: string): Promise<string> {
  const taken = new Set(await readdir(dir))
  for (let n = 1; ; n++) {
    const s = n === 1 ? stem : `${stem}-${n}`
    if (!['expected', 'actual', 'diff', 'last'].some(k => taken.has(`${s}-${k}.png`))) return s
  }
}

/** `name` without a trailing `.png`, checked to be a plain file name. */
function screenName(name: string): string {
  const stem = name.replace(/\.png$/i, '')
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(stem)) {
    throw new BootcheckError(`Invalid screen name '${name}': use letters, digits, '.', '_' and '-' (no slashes or spaces)`)
  }
  return stem
}

/** Decoded references by path, with the bytes they were decoded from. */
const decoded = new Map<string, { bytes: Buffer; image: Image }>()
const DECODED_KEPT = 16

/**
 * Decodes a reference PNG, or returns the image decoded from the same bytes before: a
 * poll reads the file (cheap) but decodes it only once, and a rewritten file is decoded anew.
 */
function decodeReference(bytes: Buffer, path: string): Image {
  const hit = decoded.get(path)
  if (hit && hit.bytes.equals(bytes)) return hit.image
  const image = decodePng(bytes, path)
  decoded.delete(path)
  decoded.set(path, { bytes, image })
  if (decoded.size > DECODED_KEPT) decoded.delete(decoded.keys().next().value!)
  return image
}

async function readIfExists(path: string): Promise<string | undefined>
async function readIfExists(path: string, binary: 'binary'): Promise<Buffer | undefined>
async function readIfExists(path: string, binary?: 'binary'): Promise<string | Buffer | undefined> {
  try {
    return binary ? await readFile(path) : await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new BootcheckError(`Cannot read ${path}: ${(cause as Error).message}`, { cause })
  }
}

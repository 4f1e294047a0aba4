import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BootcheckError, TimeoutError } from '../errors/errors.js'
import { sleep } from '../util/sleep.js'
import type { Image } from './image.js'
import { compareImages } from './compare.js'
import type { ScreenOptions } from './options.js'
import { checkAgainstReference, resolveUpdateMode, writeArtifacts, type ReferenceCheck, type UpdateMode } from './references.js'

/** A screen did not match its reference, or has none. */
export class ScreenMismatchError extends BootcheckError {
  override readonly code = 'BOOTCHECK_SCREEN_MISMATCH'
  /** The comparison, with the files written (not enumerable: it holds the diff image's pixels). */
  declare readonly check: ReferenceCheck
  /** The files to look at: reference, expected, actual, diff. */
  readonly files: ReferenceCheck['files']
  /** Pixels that differed, when a comparison was made. */
  readonly diffPixels?: number

  constructor(check: ReferenceCheck) {
    super(check.message)
    // Test frameworks print an error's own enumerable fields; a screen's pixels do not belong there.
    Object.defineProperty(this, 'check', { value: check, enumerable: false })
    this.files = check.files
    if (check.result) this.diffPixels = check.result.diffPixels
  }
}

/** Where references and artifacts are, and how to take a screenshot. */
export interface ScreenContext {
  capture: () => Promise<Image>
  /** The test file the references belong to (a path or `import.meta.url`). */
  testFile: string
  artifactsDir: string
  update?: UpdateMode
}

/** Compares the current screen with reference `name`; throws {@link ScreenMismatchError} unless it matches (or was written). */
export async function expectScreen(ctx: ScreenContext, name: string, options?: ScreenOptions): Promise<ReferenceCheck> {
  const check = await checkAgainstReference({ ...base(ctx, name, options), actual: await ctx.capture() })
  if (check.status === 'mismatch' || check.status === 'missing') throw new ScreenMismatchError(check)
  return check
}

/** Options of {@link Machine.waitForScreen}. */
export interface WaitForScreenOptions extends ScreenOptions {
  /** Milliseconds to keep trying. Default 60000. */
  timeout?: number
  /** Milliseconds between screenshots. Default 1000. */
  interval?: number
}

/**
 * Takes screenshots until one matches reference `name`. On timeout, fails with the closest
 * attempt: its expected, actual and diff images are written to the artifacts folder. A
 * missing reference fails at once (or is written from the first screenshot in update mode).
 */
export async function waitForScreen(ctx: ScreenContext, name: string, options: WaitForScreenOptions = {}): Promise<ReferenceCheck> {
  const { timeout = 60_000, interval = 1000, ...screen } = options
  const update = ctx.update ?? resolveUpdateMode()
  const deadline = Date.now() + timeout
  const scratch = await mkdtemp(join(tmpdir(), 'bootcheck-screens-'))
  try {
    let best: { image: Image; diff: number } | null = null
    let last: Image
    for (;;) {
      const image = await ctx.capture()
      last = image
      // Polls never replace references: an early screen is not the one being waited for.
      const poll = await checkAgainstReference({
        ...base(ctx, name, screen),
        artifactsDir: scratch,
        actual: image,
        update: update === 'all' ? 'none' : update,
        artifacts: false,
      })
      if (poll.status === 'matched' || poll.status === 'written') return poll
      if (poll.status === 'missing') return expectScreen({ ...ctx, capture: async () => image }, name, screen)
      const diff = poll.result?.diffPixels ?? Infinity
      if (!best || diff < best.diff || update === 'all') best = { image, diff }
      if (Date.now() + interval > deadline) break
      await sleep(interval)
    }
    const final = await checkAgainstReference({ ...base(ctx, name, screen), update, actual: best.image })
    if (final.status === 'written') return final
    // The closest screenshot explains how near it came; the last one shows where the machine ended up.
    const lastFiles = last === best.image ? {} : await writeArtifacts(ctx.artifactsDir, `${name}-timeout`, { last })
    const files = { ...final.files, ...(lastFiles.last ? { last: lastFiles.last } : {}) }
    const expectedSize = final.result ? `${final.result.diff.width}x${final.result.diff.height}` : undefined
    const sizes = [best.image, last]
      .map((img, i) => (expectedSize && `${img.width}x${img.height}` !== expectedSize ? ` The ${i ? 'last' : 'closest'} screenshot is ${img.width}x${img.height}, the reference ${expectedSize}.` : ''))
      .filter((v, i, a) => v && a.indexOf(v) === i)
      .join('')
    const lastNote = files.last ? ` The last screenshot: ${files.last}.` : ' The closest screenshot was also the last.'
    throw new ScreenMismatchError({
      ...final,
      files,
      message: `Timed out after ${timeout / 1000} s waiting for screen '${name}'; the closest screenshot: ${final.message}${lastNote}${sizes}`,
    })
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/**
 * Options of {@link Machine.waitForScreenChange} and {@link Machine.waitForStillScreen}. A blinking text
 * cursor changes a few pixels all the time: allow for it with `maxDiffPixels` or a `mask`.
 */
export interface ScreenWaitOptions extends Pick<ScreenOptions, 'mask' | 'region' | 'threshold' | 'maxDiffPixels' | 'maxDiffPixelRatio'> {
  /** Milliseconds to wait. Default 60000. */
  timeout?: number
  /** Milliseconds between screenshots. Default 500. */
  interval?: number
}

/**
 * Resolves when the screen differs from the first screenshot; throws {@link TimeoutError} on
 * timeout. With `action`, the first screenshot is taken before the action runs, so a change
 * the action causes at once is not missed.
 */
export async function waitForScreenChange(capture: () => Promise<Image>, options: ScreenWaitOptions = {}, action?: () => unknown): Promise<void> {
  const { timeout = 60_000, interval = 500, ...cmp } = options
  const first = await capture()
  if (action) await action()
  const deadline = Date.now() + timeout
  while (Date.now() < deadline) {
    await sleep(interval)
    if (!compareImages(first, await capture(), cmp).match) return
  }
  throw new TimeoutError(`The screen did not change within ${timeout / 1000} s.`)
}

/** Resolves once the screen stayed the same for `stillFor` ms; throws on timeout. */
export async function waitForStillScreen(
  capture: () => Promise<Image>,
  options: ScreenWaitOptions & { stillFor?: number } = {},
): Promise<void> {
  const { timeout = 60_000, interval = 500, stillFor = 2000, ...cmp } = options
  const deadline = Date.now() + timeout
  let last = await capture()
  let since = Date.now()
  while (Date.now() < deadline) {
    await sleep(interval)
    const now = await capture()
    if (!compareImages(last, now, cmp).match) {
      last = now
      since = Date.now()
    } else if (Date.now() - since >= stillFor) return
  }
  throw new TimeoutError(`The screen did not stay still for ${stillFor / 1000} s within ${timeout / 1000} s.`)
}

function base(ctx: ScreenContext, name: string, options?: ScreenOptions) {
  return {
    name,
    testFile: ctx.testFile,
    artifactsDir: ctx.artifactsDir,
    ...(options ? { options } : {}),
    ...(ctx.update ? { update: ctx.update } : {}),
  }
}

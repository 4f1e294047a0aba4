/**
 * A machine's filmstrip: while a test runs, the screen is captured at a low rate (default
 * once a second) and a frame is kept whenever it changed, with the console's last lines
 * at that moment. Frames stay in memory, bounded (see `FilmFrames`); they are written to
 * `filmstrip/` in the artifacts folder only when the test failed (or when
 * `BOOTCHECK_FILMSTRIP=all`), for the HTML report to show. An unchanged screen costs one
 * `screendump` and one memory compare of its bytes per tick (nothing is decoded).
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodePpm, encodePng } from '../screens/image.js'
import { ARTIFACT_FILES } from './artifacts.js'
import { DEFAULT_FILM_LIMITS, FilmFrames, halfSize, type FilmLimits } from '../screens/filmstrip-frames.js'

/** `filmstrip.json` in the artifacts folder: one entry per frame written to `filmstrip/`. */
export interface FilmstripIndex {
  /** Milliseconds between captures. */
  intervalMs: number
  /** Frames dropped to stay within the limits. */
  dropped: number
  frames: Array<{ file: string; offsetMs: number; at: string; console: string[] }>
}

/** When filmstrips are recorded and kept: `failed` (default), `all`, or `off`. */
export type FilmstripMode = 'failed' | 'all' | 'off'

/** `$BOOTCHECK_FILMSTRIP` (`bootcheck run --filmstrip=MODE` sets it), default `failed`. */
export function filmstripMode(env: NodeJS.ProcessEnv = process.env): FilmstripMode {
  const v = env.BOOTCHECK_FILMSTRIP
  return v === 'all' || v === 'off' ? v : 'failed'
}

/** Options of a {@link FilmstripRecorder}. */
export interface FilmstripOptions extends Partial<FilmLimits> {
  /** Milliseconds between captures. Default 1000. */
  intervalMs?: number
  /** Console lines kept with each frame. Default 3. */
  consoleLines?: number
}

/** Records a machine's filmstrip in the background. */
export class FilmstripRecorder {
  private readonly frames: FilmFrames
  private readonly intervalMs: number
  private timer: NodeJS.Timeout | undefined
  private last: Buffer | undefined
  private readonly t0 = Date.now()
  private stopped = false
  private ticking: Promise<void> = Promise.resolve()
  /** Captures taken (changed or not). */
  captures = 0

  /**
   * @param capture takes a screenshot as PPM bytes (QMP `screendump`); a tick at an
   *   unchanged screen compares them with the last ones and decodes nothing.
   * @param consoleTail the console's last `n` lines.
   */
  constructor(
    private readonly capture: () => Promise<Buffer>,
    private readonly consoleTail: (n: number) => string[],
    private readonly options: FilmstripOptions = {},
  ) {
    this.frames = new FilmFrames({ ...DEFAULT_FILM_LIMITS, ...definedLimits(options) })
    this.intervalMs = options.intervalMs ?? 1000
  }

  /** Starts capturing; the timer never keeps the process alive. */
  start(): this {
    const tick = (): void => {
      if (this.stopped) return
      this.ticking = this.takeFrame().then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs).unref()
      })
    }
    this.timer = setTimeout(tick, 0).unref()
    return this
  }

  /** Takes one frame now if the screen changed since the last one. */
  async takeFrame(): Promise<void> {
    let ppm: Buffer
    try {
      ppm = await this.capture()
    } catch {
      return // QEMU is gone or has no display: nothing to record
    }
    this.captures++
    if (this.last?.equals(ppm)) return
    this.last = ppm
    let image
    try {
      image = decodePpm(ppm, 'the screendump')
    } catch {
      return
    }
    const now = Date.now()
    this.frames.add({ offsetMs: now - this.t0, at: new Date(now).toISOString(), png: encodePng(halfSize(image), { fast: true }), console: this.consoleTail(this.options.consoleLines ?? 3) })
  }

  /** Stops capturing and waits for a capture under way. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.ticking
  }

  /** The frames kept so far. */
  kept(): ReturnType<FilmFrames['frames']> {
    return this.frames.frames()
  }

  /** Writes the frames to `<dir>/filmstrip/NNN.png` and `<dir>/filmstrip.json`; returns the index file, or undefined with no frames. */
  async write(dir: string): Promise<string | undefined> {
    const frames = this.frames.frames()
    if (frames.length === 0) return undefined
    await mkdir(join(dir, 'filmstrip'), { recursive: true })
    const index: FilmstripIndex = { intervalMs: this.intervalMs, dropped: this.frames.dropped, frames: [] }
    for (const [i, f] of frames.entries()) {
      const file = join(dir, 'filmstrip', `${String(i + 1).padStart(3, '0')}.png`)
      await writeFile(file, f.png)
      index.frames.push({ file, offsetMs: f.offsetMs, at: f.at, console: f.console })
    }
    const indexFile = join(dir, ARTIFACT_FILES.filmstrip)
    await writeFile(indexFile, JSON.stringify(index, null, 2) + '\n')
    return indexFile
  }
}


function definedLimits(o: FilmstripOptions): Partial<FilmLimits> {
  return { ...(o.maxFrames !== undefined ? { maxFrames: o.maxFrames } : {}), ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}) }
}

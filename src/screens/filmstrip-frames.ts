/**
 * The frames a filmstrip keeps, bounded: the first frame and the latest ones, up to
 * `maxFrames` and `maxBytes` of PNG. Pure (no timer, no QEMU): unit-tested with made-up frames.
 * @module
 */
import type { Image } from './image.js'

/** One kept frame: a PNG of the screen, when it was taken, and the console's last lines then. */
export interface FilmFrame {
  /** Milliseconds since the machine started recording. */
  offsetMs: number
  /** ISO time the frame was taken. */
  at: string
  /** The screen, half size, as PNG. */
  png: Buffer
  /** The console's last lines when the frame was taken. */
  console: string[]
}

/** Limits of a filmstrip. */
export interface FilmLimits {
  /** Frames kept at most (the first one and the latest ones). Default 40. */
  maxFrames: number
  /** PNG bytes kept at most. Default 16 MiB. */
  maxBytes: number
}

/** The default limits: 40 frames, 16 MiB. */
export const DEFAULT_FILM_LIMITS: FilmLimits = { maxFrames: 40, maxBytes: 16 * 1024 * 1024 }

/** The frames of one machine, within {@link FilmLimits}. */
export class FilmFrames {
  private readonly kept: FilmFrame[] = []
  private bytes = 0
  /** Frames dropped to stay within the limits. */
  dropped = 0

  constructor(private readonly limits: FilmLimits = DEFAULT_FILM_LIMITS) {
    if (!(limits.maxFrames >= 2)) throw new RangeError(`a filmstrip keeps at least 2 frames, got maxFrames ${limits.maxFrames}`)
  }

  /** Adds a frame; drops the oldest ones after the first while over a limit. */
  add(frame: FilmFrame): void {
    this.kept.push(frame)
    this.bytes += frame.png.length
    while (this.kept.length > 2 && (this.kept.length > this.limits.maxFrames || this.bytes > this.limits.maxBytes)) {
      const [gone] = this.kept.splice(1, 1)
      this.bytes -= gone!.png.length
      this.dropped++
    }
  }

  /** The frames kept, oldest first. */
  frames(): readonly FilmFrame[] {
    return this.kept
  }

  /** PNG bytes held. */
  get size(): number {
    return this.bytes
  }
}

/** The screen at half size (each 2×2 block averaged), so frames cost a quarter of the bytes. */
export function halfSize(img: Image): Image {
  const width = Math.max(1, img.width >> 1)
  const height = Math.max(1, img.height >> 1)
  const data = Buffer.alloc(width * height * 4)
  const src = img.data
  for (let y = 0; y < height; y++) {
    const y0 = Math.min(img.height - 1, y * 2)
    const y1 = Math.min(img.height - 1, y0 + 1)
    for (let x = 0; x < width; x++) {
      const x0 = Math.min(img.width - 1, x * 2)
      const x1 = Math.min(img.width - 1, x0 + 1)
      const a = (y0 * img.width + x0) * 4
      const b = (y0 * img.width + x1) * 4
      const c = (y1 * img.width + x0) * 4
      const d = (y1 * img.width + x1) * 4
      const o = (y * width + x) * 4
      for (let k = 0; k < 3; k++) data[o + k] = (src[a + k]! + src[b + k]! + src[c + k]! + src[d + k]! + 2) >> 2
      data[o + 3] = 255
    }
  }
  return { width, height, data }
}

import type { Image } from './image.js'
import type { Rect } from './options.js'

/** An opaque colour as `[r, g, b]`, 0..255 each. */
export type Rgb = readonly [number, number, number]

/** A new opaque image filled with one colour (synthetic screens for tests and benchmarks). */
export function blankImage(width: number, height: number, color: Rgb = [0, 0, 0]): Image {
  const img = { width, height, data: Buffer.alloc(width * height * 4) }
  fillRect(img, { x: 0, y: 0, width, height }, color)
  return img
}

/** Paints a rectangle in place, clipped to the image. Returns the image. */
export function fillRect(img: Image, rect: Rect, color: Rgb): Image {
  const x0 = Math.max(0, rect.x)
  const y0 = Math.max(0, rect.y)
  const x1 = Math.min(img.width, rect.x + rect.width)
  const y1 = Math.min(img.height, rect.y + rect.height)
  for (let y = y0; y < y1; y++) {
    for (let x = x0, p = (y * img.width + x0) * 4; x < x1; x++, p += 4) {
      img.data[p] = color[0]
      img.data[p + 1] = color[1]
      img.data[p + 2] = color[2]
      img.data[p + 3] = 255
    }
  }
  return img
}

/** A deep copy of an image. */
export function cloneImage(img: Image): Image {
  return { width: img.width, height: img.height, data: Buffer.from(img.data) }
}

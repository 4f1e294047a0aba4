import { readFile, writeFile } from 'node:fs/promises'
import { PNG } from 'pngjs'
import { BootcheckError } from '../errors/errors.js'
import type { Rect } from './options.js'

/** A decoded screen: `width × height` pixels, 4 bytes each (R, G, B, A), row by row. */
export type Image = {
  /** Width in pixels. */
  width: number
  /** Height in pixels. */
  height: number
  /** The pixels, RGBA, row by row (`width * height * 4` bytes). */
  data: Buffer
}

/** Decodes a PNG of any colour type and depth into 8-bit RGBA. `what` names it in errors. */
export function decodePng(buf: Buffer, what = 'PNG data'): Image {
  try {
    const png = PNG.sync.read(buf)
    return { width: png.width, height: png.height, data: png.data }
  } catch (cause) {
    throw new BootcheckError(`${what} is not a valid PNG: ${(cause as Error).message}`, { cause })
  }
}

/**
 * Encodes an image as PNG. Fully opaque images are written as RGB (smaller reference files);
 * anything with transparency keeps its alpha channel. `fast` trades size for time (one row
 * filter, the lowest compression: about 2.5× faster, a third larger), for frames taken
 * while a test runs.
 */
export function encodePng(img: Image, options: { fast?: boolean } = {}): Buffer {
  checkImage(img)
  let opaque = true
  for (let i = 3; i < img.data.length; i += 4) {
    if (img.data[i] !== 255) {
      opaque = false
      break
    }
  }
  const png = new PNG({ width: img.width, height: img.height })
  png.data = img.data
  const speed = options.fast ? { deflateLevel: 1, filterType: 1 } : { deflateLevel: 6 }
  return PNG.sync.write(png, { colorType: opaque ? 2 : 6, inputHasAlpha: true, ...speed })
}

/** Reads and decodes a PNG file; errors name the file. */
export async function readPng(path: string): Promise<Image> {
  let buf: Buffer
  try {
    buf = await readFile(path)
  } catch (cause) {
    throw new BootcheckError(`Cannot read the image ${path}: ${(cause as Error).message}`, { cause })
  }
  return decodePng(buf, path)
}

/** Encodes an image as PNG and writes it to `path` (the directory must exist). */
export async function writePng(path: string, img: Image): Promise<void> {
  await writeFile(path, encodePng(img))
}

/**
 * Decodes a binary PPM (`P6`, maxval 255), the format QEMU's `screendump` writes when it
 * has no PNG support. `#` comments are allowed anywhere in the header. Pixels become opaque RGBA.
 */
export function decodePpm(buf: Buffer, what = 'PPM data'): Image {
  const fail = (why: string): never => {
    throw new BootcheckError(`${what} is not a binary PPM (P6) image: ${why}`)
  }
  if (buf[0] !== 0x50 || buf[1] !== 0x36) fail(`it starts with '${buf.subarray(0, 2).toString('latin1')}', not 'P6'`)
  let pos = 2
  const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c
  const token = (field: string): number => {
    for (;;) {
      const c = buf[pos]
      if (isSpace(c)) pos++
      else if (c === 0x23 /* # */) while (pos < buf.length && buf[pos] !== 0x0a && buf[pos] !== 0x0d) pos++
      else break
    }
    const start = pos
    while (pos < buf.length && buf[pos]! >= 0x30 && buf[pos]! <= 0x39) pos++
    if (pos === start) return fail(pos >= buf.length ? `the header ends before its ${field}` : `its ${field} is '${String.fromCharCode(buf[pos]!)}', not a number`)
    if (pos >= buf.length) return fail(`the header ends after its ${field}`)
    if (!isSpace(buf[pos])) return fail(`the ${field} is followed by '${String.fromCharCode(buf[pos] ?? 0)}', not whitespace`)
    return Number(buf.subarray(start, pos).toString('latin1'))
  }
  const width = token('width')
  const height = token('height')
  const maxval = token('maxval')
  pos++ // the single whitespace byte that ends the header
  if (width < 1 || height < 1) fail(`its size is ${width}x${height}`)
  if (maxval !== 255) fail(`its maxval is ${maxval}; only 255 (8 bits per channel) is supported`)
  const pixels = width * height
  if (buf.length - pos < pixels * 3) fail(`it is truncated: ${width}x${height} needs ${pixels * 3} bytes of pixels, it has ${buf.length - pos}`)
  // One 32-bit store per pixel (R, G, B, then an opaque alpha), in the host's byte order;
  // an Int32Array takes the word as it is computed, with no conversion to a double.
  const data = Buffer.alloc(pixels * 4)
  const out = new Int32Array(data.buffer, data.byteOffset, pixels)
  const src = buf
  if (LITTLE_ENDIAN) {
    for (let i = 0, s = pos; i < pixels; i++, s += 3) out[i] = 0xff000000 | (src[s + 2]! << 16) | (src[s + 1]! << 8) | src[s]!
  } else {
    for (let i = 0, s = pos; i < pixels; i++, s += 3) out[i] = (src[s]! << 24) | (src[s + 1]! << 16) | (src[s + 2]! << 8) | 0xff
  }
  return { width, height, data }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Copies the part of `img` inside `rect`, which must lie entirely within the image. */
export function crop(img: Image, rect: Rect): Image {
  checkImage(img)
  const { x, y, width, height } = rect
  if (!(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= img.width && y + height <= img.height)) {
    throw new BootcheckError(`Cannot crop ${width}x${height} at (${x},${y}) from a ${img.width}x${img.height} image: the rectangle must lie inside it`)
  }
  const data = Buffer.alloc(width * height * 4)
  const row = width * 4
  for (let r = 0; r < height; r++) {
    const src = ((y + r) * img.width + x) * 4
    img.data.copy(data, r * row, src, src + row)
  }
  return { width, height, data }
}

/** Throws unless `img.data` holds exactly `width × height` RGBA pixels. */
export function checkImage(img: Image): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1 || img.data.length !== img.width * img.height * 4) {
    throw new BootcheckError(`Not a valid RGBA image: ${img.width}x${img.height} needs ${img.width * img.height * 4} bytes, data has ${img.data.length}`)
  }
}

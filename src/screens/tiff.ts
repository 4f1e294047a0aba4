/**
 * A minimal TIFF writer: 8-bit grey pages, uncompressed, little-endian, several pages in
 * one file. Tesseract reads every page of a multi-page TIFF in one run (page numbers in
 * its TSV), which is how one OCR pass reads several parts of a screen. Pure.
 * @module
 */

/** One page: `width × height` grey levels, row by row, 0 black. */
export interface GreyPage {
  width: number
  height: number
  data: Uint8Array
}

/** The tags of each page's directory (baseline TIFF, grey, one strip). */
const ENTRIES = 9
const DIRECTORY = 2 + ENTRIES * 12 + 4

/** Encodes `pages` (at least one) as one TIFF file. */
export function encodeTiff(pages: GreyPage[]): Buffer {
  if (pages.length === 0) throw new RangeError('encodeTiff: no pages')
  let size = 8
  for (const p of pages) {
    if (!(Number.isInteger(p.width) && Number.isInteger(p.height) && p.width > 0 && p.height > 0) || p.data.length !== p.width * p.height) {
      throw new RangeError(`encodeTiff: a ${p.width}x${p.height} page needs ${p.width * p.height} bytes, got ${p.data.length}`)
    }
    size += DIRECTORY + p.data.length
  }
  const buf = Buffer.alloc(size)
  buf.write('II', 0, 'latin1')
  buf.writeUInt16LE(42, 2)
  buf.writeUInt32LE(8, 4)
  let at = 8
  pages.forEach((p, k) => {
    const data = at + DIRECTORY
    // tag, type (3 SHORT, 4 LONG), value
    const tags: Array<[number, number, number]> = [
      [256, 4, p.width], // ImageWidth
      [257, 4, p.height], // ImageLength
      [258, 3, 8], // BitsPerSample
      [259, 3, 1], // Compression: none
      [262, 3, 1], // PhotometricInterpretation: black is zero
      [273, 4, data], // StripOffsets
      [277, 3, 1], // SamplesPerPixel
      [278, 4, p.height], // RowsPerStrip
      [279, 4, p.data.length], // StripByteCounts
    ]
    buf.writeUInt16LE(ENTRIES, at)
    tags.forEach(([tag, type, value], i) => {
      const e = at + 2 + i * 12
      buf.writeUInt16LE(tag, e)
      buf.writeUInt16LE(type, e + 2)
      buf.writeUInt32LE(1, e + 4)
      if (type === 3) buf.writeUInt16LE(value, e + 8)
      else buf.writeUInt32LE(value, e + 8)
    })
    const next = k + 1 < pages.length ? data + p.data.length : 0
    buf.writeUInt32LE(next, at + 2 + ENTRIES * 12)
    buf.set(p.data, data)
    at = data + p.data.length
  })
  return buf
}

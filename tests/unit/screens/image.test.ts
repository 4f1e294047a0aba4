import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import t from 'tap'
import { blankImage, fillRect } from '../../../src/screens/draw.js'
import { crop, decodePng, decodePpm, encodePng, readPng, writePng } from '../../../src/screens/image.js'

const ppm = (header: string, pixels: number[]): Buffer => Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(pixels)])

t.test('P6 PPM decodes to opaque RGBA, comments allowed', async t => {
  const img = decodePpm(ppm('P6\n# CREATOR: QEMU screendump\n2 # width\n2\n# maxval next\n255\n', [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]))
  t.equal(img.width, 2)
  t.equal(img.height, 2)
  t.same([...img.data], [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255])
  // QEMU's own header; pixel bytes that look like whitespace or '#' are data.
  const q = decodePpm(ppm('P6 1 1 255\n', [0x0a, 0x23, 0x20]))
  t.same([...q.data], [0x0a, 0x23, 0x20, 255])
  // Extra bytes after the pixels are ignored.
  t.equal(decodePpm(ppm('P6\n1 1\n255\n', [1, 2, 3, 4, 5])).data.length, 4)
})

t.test('bad PPMs are clear errors', async t => {
  const cases: [Buffer, RegExp][] = [
    [ppm('P5\n1 1\n255\n', [0]), /not a binary PPM \(P6\) image: it starts with 'P5', not 'P6'/],
    [ppm('P6\n1 1\n65535\n', [0, 0, 0, 0, 0, 0]), /maxval is 65535; only 255/],
    [ppm('P6\n2 2\n255\n', [0, 0, 0]), /truncated: 2x2 needs 12 bytes of pixels, it has 3/],
    [Buffer.from('P6\n1'), /the header ends after its width/],
    [Buffer.from('P6\n1 '), /the header ends before its height/],
    [Buffer.from('P6\n1 -1'), /its height is '-', not a number/],
    [Buffer.from('P6\n0 1\n255\n'), /its size is 0x1/],
    [Buffer.from('P6\n1x1\n255\n'), /the width is followed by 'x', not whitespace/],
  ]
  for (const [buf, message] of cases) t.throws(() => decodePpm(buf, 'screen.ppm'), { name: 'BootcheckError', message }, String(message))
  t.throws(() => decodePpm(Buffer.from('P3\n')), { message: /^PPM data is not/ })
})

t.test('PNG round trip keeps every pixel', async t => {
  const img = fillRect(blankImage(64, 48, [1, 2, 3]), { x: 10, y: 10, width: 20, height: 5 }, [250, 128, 7])
  const png = encodePng(img)
  t.equal(PNG.sync.read(png).colorType, 2, 'opaque images are written as RGB')
  t.same(decodePng(png), img)

  const clear = blankImage(3, 1)
  clear.data[7] = 0 // one transparent pixel
  const back = decodePng(encodePng(clear))
  t.same(back, clear, 'alpha survives')

  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-screens-image-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writePng(join(dir, 'a.png'), img)
  t.same(await readPng(join(dir, 'a.png')), img)
  await t.rejects(readPng(join(dir, 'nope.png')), { name: 'BootcheckError', message: /^Cannot read the image .*nope\.png: ENOENT/ })
  t.throws(() => decodePng(Buffer.from('not a png'), 'ref.png'), { name: 'BootcheckError', message: /^ref\.png is not a valid PNG: / })
  t.throws(() => encodePng({ width: 2, height: 2, data: Buffer.alloc(4) }), /Not a valid RGBA image/)
})

t.test('crop copies a rectangle and refuses one outside the image', async t => {
  const img = fillRect(blankImage(10, 10, [0, 0, 0]), { x: 3, y: 4, width: 2, height: 2 }, [9, 9, 9])
  const c = crop(img, { x: 3, y: 4, width: 3, height: 2 })
  t.equal(c.width, 3)
  t.equal(c.height, 2)
  t.same([...c.data], [9, 9, 9, 255, 9, 9, 9, 255, 0, 0, 0, 255, 9, 9, 9, 255, 9, 9, 9, 255, 0, 0, 0, 255])
  t.same(crop(img, { x: 0, y: 0, width: 10, height: 10 }), img)
  t.throws(() => crop(img, { x: 8, y: 0, width: 3, height: 1 }), { name: 'BootcheckError', message: 'Cannot crop 3x1 at (8,0) from a 10x10 image: the rectangle must lie inside it' })
  t.throws(() => crop(img, { x: 0, y: 0, width: 0, height: 1 }), /Cannot crop/)
})

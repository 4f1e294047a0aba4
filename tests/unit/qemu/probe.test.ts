import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { assembleProbe, haveBinutils, renderImageModule, PROBE_IMAGE_MODULE } from '../../../src/qemu/probe/assemble.js'
import { PROBE_IMAGE_HEX, PROBE_IMAGE_SHA256, PROBE_OK_TEXT, probeImage } from '../../../src/qemu/probe/index.js'

t.test('embedded image is a 512-byte MBR with the 0x55AA signature', async t => {
  const img = probeImage()
  t.equal(img.length, 512)
  t.equal(img[510], 0x55)
  t.equal(img[511], 0xaa)
  t.equal(createHash('sha256').update(img).digest('hex'), PROBE_IMAGE_SHA256, 'sha matches the embedded hash')
  t.ok(img.includes(Buffer.from(`${PROBE_OK_TEXT}\n\0`)), 'contains the OK text')
  t.equal(PROBE_IMAGE_HEX.length, 16, '16 lines of 32 bytes')
  t.not(probeImage(), img, 'a fresh copy each time')
})

const binutils = await haveBinutils()
t.test(
  'probe.S re-assembles to exactly the embedded bytes',
  { skip: !binutils && 'GNU as/ld not found: cannot re-assemble probe.S (install binutils to check)' },
  async t => {
  const built = await assembleProbe()
  t.equal(built.length, 512)
  t.ok(built.equals(probeImage()), 'assembled bytes equal image.ts (regenerate: node --import tsx src/qemu/probe/assemble.ts --write)')
  t.equal(renderImageModule(built), await readFile(PROBE_IMAGE_MODULE, 'utf8'), 'image.ts is exactly what the generator writes')
  },
)

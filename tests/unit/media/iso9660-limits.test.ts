// A damaged directory record on a large image must not make the reader allocate what it
// claims (4 GiB): a sparse 5 GiB copy of a small ISO with the root directory's size set
// to 0xFFFFFFFF is refused with a MediumError at once.
import { execa } from 'execa'
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, ftruncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { MediumError } from '../../../src/errors/errors.js'
import { IsoImage, SECTOR_SIZE } from '../../../src/media/iso9660.js'

const hasXorriso = (await execa('sh', ['-c', 'command -v xorriso'], { reject: false })).exitCode === 0

t.test('a root directory claiming 4 GiB on a 5 GiB (sparse) image', { skip: !hasXorriso && 'xorriso missing' }, async t => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'root'))
  writeFileSync(join(dir, 'root', 'a.txt'), 'a\n')
  const iso = join(dir, 'big.iso')
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-o', iso, join(dir, 'root')])
  const pvd = readFileSync(iso).subarray(16 * SECTOR_SIZE, 17 * SECTOR_SIZE)
  const patched = Buffer.from(pvd)
  patched.writeUInt32LE(0xffffffff, 156 + 10) // root record: data length
  patched.writeUInt32BE(0xffffffff, 156 + 14)
  const fd = openSync(iso, 'r+')
  try {
    writeSync(fd, patched, 0, patched.length, 16 * SECTOR_SIZE)
    ftruncateSync(fd, 5 * 1024 ** 3) // sparse
  } finally {
    closeSync(fd)
  }
  const started = Date.now()
  const img = await IsoImage.open(iso)
  t.teardown(() => img.close())
  await t.rejects(img.list('/'), MediumError)
  await t.rejects(img.list('/'), { message: /claims 4294967295 bytes: the image is damaged/ })
  t.equal(await img.exists('/a.txt').catch((e: unknown) => e instanceof MediumError), true, 'lookups fail with a MediumError too')
  t.ok(Date.now() - started < 1000, 'at once')
})

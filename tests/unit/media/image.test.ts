// checkBootImage: a file that cannot boot in its role fails at once with a MediumError,
// on small images made here (a text file, an ISO from xorriso, an MBR, ext4 from mke2fs,
// FAT from mkfs.vfat, qcow2 from qemu-img).
import { execa } from 'execa'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { MediumError } from '../../../src/errors/errors.js'
import { checkBootImage, recogniseImage } from '../../../src/media/image.js'

const have = async (tool: string) => (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode === 0
const PATH = `${process.env.PATH}:/usr/sbin:/sbin`
const dir = t.testdir()
const file = (name: string, data: Buffer | string) => {
  const p = join(dir, name)
  writeFileSync(p, data)
  return p
}

async function rejectsMedium(t: Test, p: Promise<unknown>, re: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(e instanceof MediumError, 'a MediumError')
  t.match((e as Error).message, re)
}

const text = file('notes.iso', 'These are my notes, not an ISO.\n'.repeat(2000))

t.test('a text file renamed .iso is refused as a CD, USB stick and disk', async t => {
  const started = Date.now()
  await rejectsMedium(t, checkBootImage(text, 'cdrom'), /CD image '.*notes\.iso' is not an ISO 9660 \(or UDF\) image: there is no 'CD001'.*it is text, starting "These are my notes/)
  await rejectsMedium(t, checkBootImage(text, 'usb'), /USB image '.*notes\.iso' is not a bootable disk image: it has no MBR boot signature.*it is text/)
  await rejectsMedium(t, checkBootImage(text, 'disk'), /disk image '.*' is not a bootable disk image/)
  t.ok(Date.now() - started < 2000, `within milliseconds (${Date.now() - started} ms, on a loaded host)`)
})

t.test('tiny, empty, missing and zero-filled files', async t => {
  await rejectsMedium(t, checkBootImage(file('tiny.iso', Buffer.from([1, 2, 3])), 'cdrom'), /only 3 bytes/)
  await rejectsMedium(t, checkBootImage(file('empty.iso', ''), 'cdrom'), /CD image '.*empty\.iso' is empty/)
  await rejectsMedium(t, checkBootImage(join(dir, 'missing.iso'), 'cdrom'), /does not exist/)
  await rejectsMedium(t, checkBootImage(file('zeros.img', Buffer.alloc(1 << 20)), 'disk'), /all zeros/)
  await rejectsMedium(t, checkBootImage(dir, 'usb'), /not a regular file/)
})

t.test('an MBR image boots as USB stick or disk, not as a CD', async t => {
  const mbr = Buffer.alloc(1 << 20)
  mbr[0] = 0xfa
  mbr[510] = 0x55
  mbr[511] = 0xaa
  const p = file('mbr.img', mbr)
  t.equal(await checkBootImage(p, 'usb'), 'mbr')
  t.equal(await checkBootImage(p, 'disk'), 'mbr')
  await rejectsMedium(t, checkBootImage(p, 'cdrom'), /not an ISO 9660.*it is an MBR \(boot sector\) image/)
})

t.test('GPT header, UDF recognition', async t => {
  const gpt = Buffer.alloc(64 * 1024)
  gpt.write('EFI PART', 512, 'latin1')
  t.same(recogniseImage(gpt), ['gpt'])
  const udf = Buffer.alloc(0x9000)
  udf.write('BEA01', 0x8001, 'latin1')
  udf.write('NSR02', 0x8801, 'latin1')
  t.equal(await checkBootImage(file('udf.iso', udf), 'cdrom'), 'udf')
})

t.test('an ISO made with xorriso is a CD (and, isohybrid or not, a USB image)', { skip: !(await have('xorriso')) && 'no xorriso' }, async t => {
  const root = join(dir, 'isoroot')
  mkdirSync(join(root, 'boot'), { recursive: true })
  writeFileSync(join(root, 'boot', 'hello.txt'), 'hello\n')
  const iso = join(dir, 'real.iso')
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', 'T', '-o', iso, root])
  t.equal(await checkBootImage(iso, 'cdrom'), 'iso9660')
  t.equal(await checkBootImage(iso, 'usb'), 'iso9660')
})

t.test('an ext4 image from mke2fs is a disk', { skip: !(await have('mke2fs')) && 'no mke2fs' }, async t => {
  const img = file('ext4.img', '')
  await execa('truncate', ['-s', '8M', img])
  await execa('mke2fs', ['-q', '-F', '-t', 'ext4', img], { env: { PATH } })
  t.equal(await checkBootImage(img, 'disk'), 'ext')
  await rejectsMedium(t, checkBootImage(img, 'cdrom'), /not an ISO 9660.*it is an ext2\/3\/4 image/)
})

t.test('a FAT image from mkfs.vfat is a USB image', { skip: !(await have('mkfs.vfat')) && 'no mkfs.vfat' }, async t => {
  const img = file('fat.img', '')
  await execa('truncate', ['-s', '8M', img])
  await execa('mkfs.vfat', [img], { env: { PATH } })
  t.equal(await checkBootImage(img, 'usb'), 'fat')
})

t.test('a qcow2 image from qemu-img is a disk, not a CD', { skip: !(await have('qemu-img')) && 'no qemu-img' }, async t => {
  const img = join(dir, 'disk.qcow2')
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', img, '64M'])
  t.equal(await checkBootImage(img, 'disk'), 'qcow2')
  t.equal(await checkBootImage(img, 'usb'), 'qcow2')
  await rejectsMedium(t, checkBootImage(img, 'cdrom'), /not an ISO 9660.*it is a qcow2 image/)
})

t.test('an unknown role is a MediumError, not a TypeError', async t => {
  await rejectsMedium(t, checkBootImage(text, 'floppy' as 'disk'), /Unknown boot medium role 'floppy'/)
})

// New disks and saved disks on real QEMU: a blank disk of a size, written by the guest,
// saved with saveDisk as one qcow2 (blank disk, and an overlay flattened with its base),
// and booted by a second machine that reads what the first wrote.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { boot, SpecError } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
const direct = { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media) }
const backing = async (file: string): Promise<string | undefined> =>
  (JSON.parse((await execa('qemu-img', ['info', '--output=json', file])).stdout) as { 'backing-filename'?: string })['backing-filename']

t.test('a blank disk, written, saved, and booted by the next machine', async t => {
  const dir = t.testdir({})
  const vm = await boot(t, { name: 'writer', ...direct, disks: [{ size: '64M' }, { image: media.persistDisk, id: 'persist' }] })
  t.equal(await vm.succeed('cat /sys/block/vda/size'), `${(64 * 1024 * 1024) / 512}\n`, 'the blank disk has the size asked for')
  t.equal(await vm.succeed('head -c 4096 /dev/vda | tr -d "\\000" | wc -c'), '0\n', 'and is blank')
  await vm.succeed('printf bootcheck-disk-data | dd of=/dev/vda bs=512 conv=sync 2>/dev/null; echo written > /var/lib/persisted/saved; sync')
  await vm.saveDisk('disk0', join(dir, 'blank-saved.qcow2'))
  await vm.saveDisk('persist', join(dir, 'persist-saved.qcow2'))
  t.equal(await vm.succeed('echo still running'), 'still running\n', 'the machine runs on after saving')
  await t.rejects(vm.saveDisk('nope', join(dir, 'x.qcow2')), { name: 'SpecError', message: /has no disk 'nope' \(it has 'disk0', 'persist'\)/ })
  await vm.dispose()
  t.equal(await backing(join(dir, 'blank-saved.qcow2')), undefined, 'the saved disk stands alone')
  t.equal(await backing(join(dir, 'persist-saved.qcow2')), undefined, 'the saved overlay is flattened with its base')

  const reader = await boot(t, { name: 'reader', ...direct, disks: [join(dir, 'blank-saved.qcow2'), { image: join(dir, 'persist-saved.qcow2'), id: 'persist' }] })
  t.equal(await reader.succeed('head -c 19 /dev/vda'), 'bootcheck-disk-data', 'the next machine reads what the first wrote')
  t.equal(await reader.succeed('cat /var/lib/persisted/saved'), 'written\n', 'and the persisted file, from the flattened disk')
})

t.test('a disk with neither or both of image and size, or an odd size: SpecError at once', async t => {
  await t.rejects(boot(t, { ...direct, disks: [{}] }), SpecError)
  await t.rejects(boot(t, { ...direct, disks: [{ image: media.persistDisk, size: '1G' }] }), { message: /disks\[0\] needs image .* or size .*, not both/ })
  await t.rejects(boot(t, { ...direct, disks: [{ size: 'huge' }] }), { message: /disks\[0\]\.size must be like '2G' or '512M', got "huge"/ })
})

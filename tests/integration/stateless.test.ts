// A root on tmpfs with one persisted path: after a reboot the unpersisted state is gone, the
// persisted state survives, and the base disk image was never written.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { boot } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
const digest = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')

t.test('unpersisted state is wiped by a reboot, persisted state survives', async t => {
  const persisted = media.persistedPaths[0]!
  const baseBefore = await digest(media.persistDisk)
  const vm = await boot(t, {
    name: 'stateless',
    cdrom: media.iso,
    kernel: media.kernel,
    initrd: media.initrd,
    kernelParams: params(media),
    disks: [media.persistDisk],
    memory: '1G',
  })
  t.match(await vm.succeed('findmnt -n -o FSTYPE / || awk \'$2 == "/" {print $3}\' /proc/mounts'), /tmpfs|rootfs/)
  await vm.succeed(`echo wiped > /root/scratch && echo kept > ${persisted}/state && sync`)
  const bootId = await vm.succeed('cat /proc/sys/kernel/random/boot_id')

  await vm.reboot()
  t.not(await vm.succeed('cat /proc/sys/kernel/random/boot_id'), bootId, 'a new boot')
  await vm.fail('test -e /root/scratch')
  t.equal(await vm.succeed(`cat ${persisted}/state`), 'kept\n')

  await vm.reboot({ how: 'reset' })
  t.equal(await vm.succeed(`cat ${persisted}/state`), 'kept\n', 'also after a hard reset')
  await vm.powerOff()
  t.equal(await digest(media.persistDisk), baseBefore, 'the base disk image is byte-identical')
})

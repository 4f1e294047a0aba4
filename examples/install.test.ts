import t from 'tap'
import { join } from 'node:path'
import { boot } from 'bootcheck'
import { media } from './demo-media.js'

const saved = join(t.testdir({}), 'installed.qcow2')

t.test('install the live system on a blank disk, then boot from the disk', async t => {
  // The live CD with a blank disk; bootcheck-install partitions it (FAT boot partition with
  // extlinux and GRUB EFI, ext2 root with the store) and installs the running system.
  const vm = await boot(t, { cdrom: media.iso, disks: [{ size: '2G' }], memory: '1G' })
  await vm.succeed('bootcheck-install /dev/vda', { timeout: 300_000 })
  await vm.eject() // take the CD out, as after any installation
  const r = await vm.handover(() => vm.console.sendLine('reboot'), { expect: 'stage-1: booting from disk' })
  t.equal(r.kind, 'reset') // the firmware ran again, and booted the disk
  t.match(await vm.succeed('cat /proc/cmdline'), /root=LABEL=bootcheck-root/)
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^\/dev\/vda2 \/ ext4 /) // / is the disk
  await vm.fail('grep -q " /iso " /proc/mounts') // no live medium
  t.equal(await vm.succeed('hello'), 'Hello, world!\n') // a program from the installed store
  await vm.succeed('echo "written after the first boot from disk" > /root/note && sync')
  await vm.saveDisk('disk0', saved)
})

t.test('the installed disk boots on its own', async t => {
  const vm = await boot(t, { disks: [saved], memory: '1G' })
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^\/dev\/vda2 \/ ext4 /)
  t.equal(await vm.succeed('cat /root/note'), 'written after the first boot from disk\n') // the root persists
})

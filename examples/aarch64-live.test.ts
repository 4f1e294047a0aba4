import t from 'tap'
import { boot } from 'bootcheck'
import { arm } from './demo-media.js'

t.test('aarch64 live ISO: UEFI + GRUB, copytoram chosen at the menu, the CD ejected, the system keeps running', async t => {
  // AAVMF boots GRUB from the CD (a scsi-cd on virtio-scsi: virt has no IDE)
  const vm = await boot(t, { arch: 'aarch64', cdrom: arm.iso, memory: '512M' })
  await vm.console.waitFor('live-copytoram')
  vm.console.send('\x1b[B\r') // the second entry
  t.match(await vm.succeed('cat /proc/cmdline'), /bootcheck\.live copytoram/) // the entry chosen
  t.equal(await vm.succeed('cat /run/copytoram/payload.txt'), 'bootcheck board live medium payload\n')
  t.notMatch(await vm.succeed('cat /proc/mounts'), / \/iso /) // the medium is no longer mounted
  await vm.eject()
  t.equal(await vm.succeed('cat /run/copytoram/payload.txt'), 'bootcheck board live medium payload\n') // from RAM, with no CD
  t.equal(await vm.succeed('uname -m'), 'aarch64\n')
})

import t from 'tap'
import { boot } from 'bootcheck'
import { media } from './demo-media.js'

const sha256 = (out: string) => out.split(' ')[0]
// Page-cache copies would hide a missing medium: drop them before reading again.
const uncached = (cmd: string) => `sync; echo 3 > /proc/sys/vm/drop_caches; ${cmd}`

t.test('ISO detached after copytoram', async t => {
  // The ISO's own boot entry (bootcheck reads it from isolinux.cfg), with `copytoram` added.
  const vm = await boot(t, { cdrom: media.iso, kernelParams: ['copytoram'], memory: '1G' })
  await vm.console.waitFor('stage-1: copied ISO to RAM')
  const cmdline = (await vm.succeed('cat /proc/cmdline')).split(/\s+/)
  for (const p of [...media.kernelParams, 'copytoram']) t.ok(cmdline.includes(p), `booted with ${p}`)
  const before = sha256(await vm.succeed('sha256sum /iso/nix-store.squashfs'))
  t.equal(before, media.squashfsSha256) // the very squashfs that was built
  await vm.eject('cdrom') // QMP: the tray opens, the medium is gone
  await vm.fail('dd if=/dev/sr0 of=/dev/null count=1') // the guest sees no medium
  t.equal(sha256(await vm.succeed(uncached('sha256sum /iso/nix-store.squashfs'))), before)
  t.equal(await vm.succeed('hello'), 'Hello, world!\n') // a program from the squashfs still runs
})

t.test('USB stick unplugged after copytoram', async t => {
  const vm = await boot(t, {
    usb: media.iso, // the hybrid ISO, written to a stick
    kernel: media.kernel,
    initrd: media.initrd,
    kernelParams: [...media.kernelParams, 'copytoram'],
    memory: '1G',
  })
  const before = sha256(await vm.succeed('sha256sum /iso/nix-store.squashfs'))
  t.equal(before, media.squashfsSha256)
  const stick = (await vm.succeed('ls /sys/block | grep "^sd"')).trim() // a SCSI disk in the guest
  await vm.unplug('usb')
  await vm.waitUntilFails(`test -e /sys/block/${stick}`) // the guest saw it go
  t.equal(sha256(await vm.succeed(uncached('sha256sum /iso/nix-store.squashfs'))), before)
  t.equal(await vm.succeed('hello'), 'Hello, world!\n')
})

import t from 'tap'
import { boot } from 'bootcheck'
import { media } from './demo-media.js'

t.test('ISO detached after copytoram', async t => {
  // The ISO's own boot entry, with `copytoram` added to its command line.
  const vm = await boot(t, { cdrom: media.iso, kernelParams: ['copytoram'], memory: '1G' })
  await vm.console.waitFor(/# $/)
  const before = await vm.succeed('sha256sum /iso/nix-store.squashfs')
  await vm.eject('cdrom') // QMP: the tray opens, the medium is gone
  await vm.fail('dd if=/dev/sr0 of=/dev/null count=1') // the guest sees no medium
  t.equal(await vm.succeed('sha256sum /iso/nix-store.squashfs'), before)
  t.equal(await vm.succeed('hello'), 'Hello, world!\n') // a program from the squashfs still runs
})

t.test('USB stick unplugged after copytoram', async t => {
  const vm = await boot(t, {
    usb: media.iso, // the hybrid ISO, written to a stick
    kernel: media.kernel,
    initrd: media.initrd,
    kernelParams: [...media.kernelParams, 'copytoram'],
  })
  const before = await vm.succeed('sha256sum /iso/nix-store.squashfs')
  await vm.unplug('usb')
  t.equal(await vm.succeed('sha256sum /iso/nix-store.squashfs'), before)
})

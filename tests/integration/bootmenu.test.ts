// The demo ISO's boot menus as a person sees them: references in bootmenu.test.screens/,
// a boot entry edited with the keyboard to add copytoram, and the result checked in
// /proc/cmdline. References were made with --update-screens and reviewed by eye.
import t from 'tap'
import { boot } from '../../src/index.js'
import { demoMedia } from '../../vm-configs/demo.js'

const media = await demoMedia()

t.test('BIOS: isolinux boot prompt matches, typed entry adds copytoram', async t => {
  const vm = await boot(t, { name: 'bios-menu', cdrom: media.iso })
  await vm.console.waitFor('boot: ') // isolinux mirrors its prompt on serial
  await vm.type('live') // any key stops the 1 s timeout
  // The text cursor blinks (an 9x2 pixel underline); the reference's sidecar allows for it too.
  await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000, maxDiffPixels: 40 })
  const check = await vm.expectScreen('bios-boot-prompt')
  t.equal(check.status === 'matched' || check.status === 'written', true, check.message)
  await vm.type(' copytoram\n')
  await vm.console.waitFor('stage-1: copied ISO to RAM')
  t.match(await vm.succeed('cat /proc/cmdline'), /\bcopytoram\b/)
})

t.test('UEFI: GRUB menu matches, the copytoram entry chosen with the keyboard boots with copytoram', async t => {
  const vm = await boot(t, { name: 'uefi-menu', cdrom: media.iso, firmware: 'uefi' })
  await vm.console.waitFor('live-copytoram') // GRUB draws its menu on serial too
  await vm.sendKey('down') // stops the countdown
  await vm.sendKey('up')
  await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000 })
  const check = await vm.expectScreen('uefi-grub-menu')
  t.equal(check.status === 'matched' || check.status === 'written', true, check.message)
  // Choose the second entry with the keyboard. (Editing the entry in GRUB's editor is not
  // tested: moving down a line there inserted a new line under QEMU's PS/2 keyboard.)
  await vm.sendKey('down')
  await vm.sendKey('ret')
  await vm.console.waitFor('stage-1: copied ISO to RAM')
  t.match(await vm.succeed('cat /proc/cmdline'), /\bcopytoram\b/)
})

// Screens restored: a machine saved at the isolinux prompt (BIOS) and at the GRUB menu
// (UEFI, its variables store restored too) comes back showing the same screen, matches
// the references of bootmenu.test.ts, and boots on from there with the keyboard.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { bootOnce, type Machine } from '../../src/index.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { atGrubMenu } from './boot-menus.js'

const media = await demoMedia()
// The references live beside the boot menu test.
const testFile = fileURLToPath(new URL('./bootmenu.test.ts', import.meta.url))

t.test('BIOS: restored at the isolinux prompt, the screen matches and the typed entry boots', async t => {
  const atPrompt = async (vm: Machine): Promise<void> => {
    await vm.console.waitFor('boot: ')
    await vm.type('live') // stops isolinux's timeout
    await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000, maxDiffPixels: 40 })
  }
  const vm = await bootOnce(t, { name: 'bios-prompt', cdrom: media.iso, testFile }, { until: atPrompt })
  await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000, maxDiffPixels: 40 })
  const check = await vm.expectScreen('bios-boot-prompt')
  t.equal(check.status, 'matched', check.message)
  await vm.type(' copytoram\n')
  await vm.console.waitFor('stage-1: copied ISO to RAM')
  t.match(await vm.succeed('cat /proc/cmdline'), /\bcopytoram\b/)
})

t.test('UEFI: restored at the GRUB menu, the screen matches and the chosen entry boots', async t => {
  const vm = await bootOnce(t, { name: 'uefi-menu', cdrom: media.iso, firmware: 'uefi', testFile }, { until: atGrubMenu })
  await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000 })
  const check = await vm.expectScreen('uefi-grub-menu')
  t.equal(check.status, 'matched', check.message)
  await vm.sendKey('down')
  await vm.sendKey('ret')
  await vm.console.waitFor('stage-1: copied ISO to RAM')
  t.match(await vm.succeed('cat /proc/cmdline'), /\bcopytoram\b/)
})

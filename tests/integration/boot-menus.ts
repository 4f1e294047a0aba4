// Waits shared by tests that stop the demo ISO at its boot menu.
import type { Machine } from '../../src/index.js'

/**
 * Waits for the demo ISO's GRUB menu (UEFI) and stops its countdown: the menu stays, the
 * first entry selected, the screen still.
 */
export async function atGrubMenu(vm: Machine): Promise<void> {
  await vm.console.waitFor('live-copytoram')
  await vm.sendKey('down') // stops the countdown
  await vm.sendKey('up')
  await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000 })
}

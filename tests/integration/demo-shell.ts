// The machine most integration tests need: the demo system booted to its shell (direct
// kernel boot with the ISO as the CD, a USB tablet), booted once per run with bootOnce and
// restored for each test in about half a second. Tests of booting itself boot their own.
import { bootOnce, type Machine, type TestContext } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()

/** The spec every demo-shell machine is restored from. */
export const DEMO_SHELL_SPEC = {
  cdrom: media.iso,
  kernel: media.kernel,
  initrd: media.initrd,
  kernelParams: params(media),
  tablet: true,
  memory: '1G',
}

/** A machine named `name` restored from the shared snapshot of the demo system at its shell. */
export function demoShell(t: TestContext, name: string): Promise<Machine> {
  return bootOnce(t, { name, ...DEMO_SHELL_SPEC }, { key: 'demo-shell', until: vm => vm.succeed('true') })
}

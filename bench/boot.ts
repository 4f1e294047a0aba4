// Time from boot() to the first shell answer, for the demo media booted each way a real
// machine boots it (CD, direct kernel, and the netboot image directly, by PXE and by iPXE
// over HTTP), under the accelerator bootcheck chooses here. Median/min/max over a few runs.
import { boot, type MachineSpec } from '../src/index.js'
import { demoMedia, params, pxelinuxNetboot } from '../vm-configs/demo.js'

const media = await demoMedia()
const nb = media.netboot
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const ways: Record<string, MachineSpec> = {
  'BIOS CD (isolinux)': { cdrom: media.iso },
  'direct kernel + CD': { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media) },
  'direct + copytoram': { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media, 'copytoram') },
  'netboot direct': { kernel: nb.kernel, initrd: nb.initrd, kernelParams: nb.kernelParams },
  'netboot PXE (pxelinux)': { pxe: pxelinuxNetboot(media) },
  'netboot iPXE over HTTP': { ipxe: { httpRoot: nb.dir } },
}
process.stdout.write(`boot to first shell answer, ${RUNS} runs each\n`)
for (const [label, spec] of Object.entries(ways)) {
  const times: number[] = []
  let accel = ''
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    const vm = await boot({ name: 'bench', ...spec })
    await vm.succeed('true')
    times.push(performance.now() - start)
    accel = vm.accel
    await vm.dispose()
  }
  times.sort((a, b) => a - b)
  const s = (ms: number): string => (ms / 1000).toFixed(1)
  process.stdout.write(`${label.padEnd(22)} ${accel}  median ${s(times[Math.floor(times.length / 2)]!)} s  min ${s(times[0]!)} s  max ${s(times[times.length - 1]!)} s\n`)
}

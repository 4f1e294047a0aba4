// Capture + compare of a real 1280x800 screen: the demo ISO's GRUB menu under UEFI,
// screendump over QMP, PNG decode, and comparison with the committed reference.
import { boot } from '../src/index.js'
import { readPng } from '../src/screens/image.js'
import { compareImages } from '../src/screens/compare.js'
import { demoMedia } from '../vm-configs/demo.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const media = await demoMedia()
const reference = await readPng(new URL('../tests/integration/bootmenu.test.screens/uefi-grub-menu.png', import.meta.url).pathname)
const vm = await boot({ name: 'bench-capture', cdrom: media.iso, firmware: 'uefi' })
try {
  await vm.console.waitFor('live-copytoram')
  await vm.sendKey('down')
  await vm.sendKey('up')
  await vm.waitForStillScreen({ stillFor: 1000 })
  const capture: number[] = []
  const compare: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    const image = await vm.screenImage()
    const t1 = performance.now()
    const r = compareImages(reference, image)
    const t2 = performance.now()
    if (!r.match) throw new Error(`the screen no longer matches: ${r.reason}`)
    capture.push(t1 - t0)
    compare.push(t2 - t1)
  }
  const stats = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b)
    return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms  min ${s[0]!.toFixed(1)}  max ${s[s.length - 1]!.toFixed(1)}`
  }
  process.stdout.write(`1280x800 screen, ${RUNS} runs (${vm.accel})\n`)
  process.stdout.write(`capture (screendump + PNG decode)  ${stats(capture)}\n`)
  process.stdout.write(`compare with reference             ${stats(compare)}\n`)
} finally {
  await vm.dispose()
}

// What the filmstrip costs, on a real machine at a screen that does not change (the demo
// ISO's GRUB menu under UEFI, 1280x800, countdown stopped, then the guest paused so that
// QEMU's own idle TCG work, which varies by tens of percent, does not drown the figure):
// CPU time of the test process and of QEMU over the same wall time with the filmstrip
// recording (one screendump a second, its bytes compared with the last) and without it
// (the baseline, measured in the same run), as a share of one core; and one kept frame
// (decoded, halved, PNG) against one unchanged tick.
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot } from '../src/index.js'
import { FilmstripRecorder } from '../src/machine/filmstrip.js'
import { captureScreen, captureScreenPpm } from '../src/screens/capture.js'
import { fillRect } from '../src/screens/draw.js'
import type { Image } from '../src/screens/image.js'
import { demoMedia } from '../vm-configs/demo.js'
import { emit, row, stats, timeIt } from './lib/report.js'

process.env.BOOTCHECK_FILMSTRIP = 'off' // the machine's own recorder stays off: the bench runs one by hand
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const media = await demoMedia()
const vm = await boot({ name: 'bench-filmstrip', cdrom: media.iso, firmware: 'uefi' })
const work = await mkdtemp(join(tmpdir(), 'bootcheck-bench-film-'))
try {
  await vm.console.waitFor('live-copytoram')
  await vm.sendKey('down') // stops GRUB's countdown: the screen stays as it is
  await vm.sendKey('up')
  await vm.waitForStillScreen({ stillFor: 2000 })
  await vm.qmp.execute('stop') // the display stays; the guest's CPU does not run
  const capture = () => captureScreenPpm(vm.qmp, work)
  const ticks = (pid: number): number => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(f[11]) + Number(f[12]) // utime + stime, in clock ticks (100 a second)
  }
  /** CPU share of one core (%) of this process and of QEMU over one window. */
  const window = async (record: boolean): Promise<{ node: number; qemu: number }> => {
    const rec = record ? new FilmstripRecorder(capture, n => vm.console.lastLines(n)).start() : undefined
    const q0 = ticks(vm.pid!)
    const n0 = process.cpuUsage()
    const t0 = performance.now()
    await new Promise(r => setTimeout(r, WINDOW_MS))
    const wall = performance.now() - t0
    const n1 = process.cpuUsage(n0)
    const q1 = ticks(vm.pid!)
    await rec?.stop()
    return { node: ((n1.user + n1.system) / 1000 / wall) * 100, qemu: (((q1 - q0) * 10) / wall) * 100 }
  }
  const on: { node: number; qemu: number }[] = []
  const off: { node: number; qemu: number }[] = []
  for (let i = 0; i < ROUNDS; i++) {
    off.push(await window(false))
    on.push(await window(true))
  }
  const total = (xs: { node: number; qemu: number }[]) => stats(xs.map(x => x.node + x.qemu))
  // The cost of a changed screen: capture, compare, halve, PNG-encode, against an unchanged tick.
  const still = new FilmstripRecorder(capture, () => [])
  await still.takeFrame()
  const unchanged = await timeIt(10, () => still.takeFrame())
  // Two screens that differ in one corner, as PPM bytes made once: every tick is a change.
  const image: Image = await captureScreen(vm.qmp, work)
  const asPpm = (img: Image): Buffer => {
    const px = Buffer.alloc(img.width * img.height * 3)
    for (let i = 0, s = 0; i < img.width * img.height; i++, s += 4) {
      px[i * 3] = img.data[s]!
      px[i * 3 + 1] = img.data[s + 1]!
      px[i * 3 + 2] = img.data[s + 2]!
    }
    return Buffer.concat([Buffer.from(`P6\n${img.width} ${img.height}\n255\n`), px])
  }
  const a = asPpm(image)
  fillRect(image, { x: 0, y: 0, width: 8, height: 8 }, [255, 0, 255])
  const b = asPpm(image)
  let flip = 0
  const changing = new FilmstripRecorder(async () => (flip++ & 1 ? a : b), () => [])
  const kept = await timeIt(10, () => changing.takeFrame())
  emit([
    row('filmstrip', 'CPU, unchanging screen, filmstrip on (node + QEMU)', '%', total(on), 'filmstrip off (node + QEMU)', total(off)),
    row('filmstrip', 'CPU of the test process, filmstrip on', '%', stats(on.map(x => x.node)), 'filmstrip off', stats(off.map(x => x.node))),
    row('filmstrip', 'one tick, screen changed (frame kept)', 'ms', kept, 'one tick, screen unchanged', unchanged),
  ])
  process.stdout.write(`filmstrip cost at an unchanging screen: ${(total(on).median - total(off).median).toFixed(2)} % of one core (median of ${ROUNDS} windows of ${WINDOW_MS / 1000} s each way, guest paused)\n`)
} finally {
  await vm.dispose()
  await rm(work, { recursive: true, force: true })
}

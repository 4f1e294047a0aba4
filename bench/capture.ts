// Capture + compare of a real 1280x800 screen, the demo ISO's GRUB menu under UEFI, against
// baselines measured in the same run: QMP screendump alone (the floor of any capture), raw
// pixelmatch on the same buffers (what a compare costs without bootcheck), and one poll of
// waitForScreen (capture, reference check) against screendump + raw pixelmatch, as screens
// per second.
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import pixelmatch from 'pixelmatch'
import { boot } from '../src/index.js'
import { decodePpm, readPng } from '../src/screens/image.js'
import { compareImages } from '../src/screens/compare.js'
import { checkAgainstReference } from '../src/screens/references.js'
import { demoMedia } from '../vm-configs/demo.js'
import { emit, row, stats, timeIt } from './lib/report.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const media = await demoMedia()
const refFile = new URL('../tests/integration/bootmenu.test.screens/uefi-grub-menu.png', import.meta.url).pathname
const testFile = new URL('../tests/integration/bootmenu.test.ts', import.meta.url).pathname
const reference = await readPng(refFile)
const vm = await boot({ name: 'bench-capture', cdrom: media.iso, firmware: 'uefi' })
try {
  await vm.console.waitFor('live-copytoram')
  await vm.sendKey('down')
  await vm.sendKey('up')
  await vm.waitForStillScreen({ stillFor: 1000 })
  const image = await vm.screenImage()
  const check = compareImages(reference, image)
  if (!check.match) throw new Error(`the screen does not match the reference: ${check.reason}`)
  const { width: W, height: H } = image
  let n = 0
  const dumpFile = (): string => join(vm.artifactsDir, `bench-${n++}.ppm`)
  const rawDump = async (): Promise<Buffer> => {
    const file = dumpFile()
    await vm.qmp.execute('screendump', { filename: file })
    const bytes = await readFile(file)
    await rm(file)
    return bytes
  }
  const capture = await timeIt(RUNS, () => vm.screenImage())
  const dump = await timeIt(RUNS, rawDump)
  const compare = await timeIt(RUNS, () => compareImages(reference, image))
  const raw = await timeIt(RUNS, () => pixelmatch(reference.data, image.data, Buffer.alloc(W * H * 4), W, H, { threshold: 0.1, includeAA: true }))
  const poll = await timeIt(RUNS, async () => {
    const c = await checkAgainstReference({ name: 'uefi-grub-menu', testFile, artifactsDir: vm.artifactsDir, actual: await vm.screenImage(), update: 'none', artifacts: false })
    if (c.status !== 'matched') throw new Error(c.message)
  })
  const rawPoll = await timeIt(RUNS, async () => {
    const img = decodePpm(await rawDump())
    pixelmatch(reference.data, img.data, Buffer.alloc(W * H * 4), W, H, { threshold: 0.1, includeAA: true })
  })
  const perSecond = (s: typeof poll): typeof poll => stats([1000 / s.max, 1000 / s.median, 1000 / s.min].filter(Number.isFinite))
  process.stdout.write(`${W}x${H} GRUB menu (UEFI, ${vm.accel}), ${RUNS} runs each; ratio = bootcheck / baseline\n`)
  emit([
    row('capture', 'capture (screendump PPM + decode)', 'ms', capture, 'QMP screendump + read', dump),
    row('capture', 'compare with reference', 'ms', compare, 'raw pixelmatch', raw),
    row('capture', 'capture + reference check (a poll)', 'ms', poll, 'screendump + pixelmatch', rawPoll),
    { ...row('capture', 'polls per second', 'per s', perSecond(poll), 'screendump + pixelmatch', perSecond(rawPoll)) },
  ])
} finally {
  await vm.dispose()
}

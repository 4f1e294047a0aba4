// The live view and the trace, measured on a real machine (the demo system at its shell):
// - latency: the guest changes its VGA screen (a command writes to /dev/tty0); the time
//   from the command's start until the live view's canvas in headless Chromium shows a
//   change, against the time until QEMU's own screendump shows it (polled back to back,
//   the floor of any capture), both watched at once, in the same run;
// - trace size: a test minute of commands (one a second, with the filmstrip of every
//   test), its trace page against the raw artifacts it was made from (console.log and
//   actions.jsonl), in bytes per test minute.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { boot } from '../src/index.js'
import { startLiveView } from '../src/runner/live/server.js'
import { collectMachines } from '../src/runner/collect.js'
import { captureScreenPpm } from '../src/screens/capture.js'
import { traceOf } from '../src/report/trace/data.js'
import { renderTracePage } from '../src/report/trace/page.js'
import { demoMedia, params } from '../vm-configs/demo.js'
import { emit, row, stats } from './lib/report.js'

/** Page script: resolves with the time the live canvas's pixel at (½, ¾) is first mostly `want` (`r` or `b`). */
const WAIT_FOR_COLOUR = (want: 'r' | 'b'): string => `new Promise((resolve, reject) => {
  const c = document.querySelector('section.machine canvas');
  const end = Date.now() + 10000;
  const tick = () => {
    const [r, , b] = c.getContext('2d').getImageData(c.width >> 1, (c.height * 3) >> 2, 1, 1).data;
    if (${want === 'r' ? 'r > 120 && b < 60' : 'b > 120 && r < 60'}) return resolve(Date.now());
    if (Date.now() > end) return reject(new Error('the canvas did not turn ${want} within 10 s'));
    requestAnimationFrame(tick);
  };
  tick();
})`

/** Whether a screendump (binary PPM) has mostly `want` at (½, ¾). */
function dumpIs(ppm: Buffer, want: 'r' | 'b'): boolean {
  const head = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'))
  if (!head) return false
  const [w, h] = [Number(head[1]), Number(head[2])]
  const at = head[0].length + (((h * 3) >> 2) * w + (w >> 1)) * 3
  const [r, b] = [ppm[at]!, ppm[at + 2]!]
  return want === 'r' ? r > 120 && b < 60 : b > 120 && r < 60
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10)
const TRACE_SECONDS = Number(process.env.BENCH_TRACE_SECONDS ?? 60)
const chromiumPath = [process.env.BOOTCHECK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => p && existsSync(p))
if (!chromiumPath) {
  process.stdout.write('live-view: skipped (no Chromium at $BOOTCHECK_CHROMIUM or /usr/bin/chromium)\n')
  process.exit(0)
}

process.env.BOOTCHECK_LIVE = '1'
process.env.BOOTCHECK_FILMSTRIP = 'all'
const artifacts = await mkdtemp(join(tmpdir(), 'bootcheck-bench-live-'))
process.env.BOOTCHECK_ARTIFACTS = artifacts
const media = await demoMedia()
const vm = await boot({ name: 'bench-live', cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media) })
const live = await startLiveView({ root: vm.artifactsDir })
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
try {
  await vm.succeed('true')
  const page = await browser.newPage()
  await page.goto(live.url)
  await page.waitForSelector('section.machine[data-vnc=connected] canvas', { timeout: 60_000 })
  await page.waitForTimeout(1000)
  const work = await mkdtemp(join(tmpdir(), 'bootcheck-bench-dump-'))
  const pageMs: number[] = []
  const dumpMs: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    // The whole screen turns red, then blue, and so on: watched in the page (every animation
    // frame) and by QEMU's screendump (back to back) from before the command is sent.
    const want = i % 2 ? 'b' : 'r'
    const inPage = page.evaluate(WAIT_FOR_COLOUR(want)) as Promise<number>
    const t0 = Date.now()
    const dumped = (async () => {
      while (!dumpIs(await captureScreenPpm(vm.qmp, work), want)) if (Date.now() - t0 > 10_000) throw new Error('the screendump did not change')
      return Date.now()
    })()
    await vm.succeed(`printf '\\033[4${want === 'r' ? 1 : 4}m\\033[H\\033[2J' > /dev/tty0`)
    const [p, d] = await Promise.all([inPage, dumped])
    pageMs.push(p - t0)
    dumpMs.push(d - t0)
  }
  await rm(work, { recursive: true, force: true })
  // A test minute of commands, then its trace.
  const started = Date.now()
  for (let i = 0; Date.now() - started < TRACE_SECONDS * 1000; i++) {
    await vm.succeed(`echo step ${i}; ls /`)
    await new Promise(r => setTimeout(r, 1000))
  }
  const minutes = (Date.now() - started) / 60_000
  await vm.dispose()
  const [m] = await collectMachines(artifacts)
  const page2 = renderTracePage(traceOf({ name: 'bench', status: 'passed', machines: [m!] }, 'bench', dirname(m!.dir)))
  const raw = (await stat(m!.transcript!)).size + (await readFile(m!.actionsLog!)).length
  const frames = await Promise.all((m!.filmstrip ?? []).map(f => stat(f.file).then(s => s.size)))
  emit([
    row('live-view', 'guest screen change → live view canvas', 'ms', stats(pageMs), 'QEMU screendump sees it', stats(dumpMs)),
    row('live-view', 'trace page per test minute', 'KiB', stats([Buffer.byteLength(page2) / 1024 / minutes]), 'console.log + actions.jsonl', stats([raw / 1024 / minutes])),
  ])
  process.stdout.write(`filmstrip PNGs linked by the trace: ${frames.length} frames, ${(frames.reduce((a, b) => a + b, 0) / 1024 / minutes).toFixed(0)} KiB per test minute\n`)
} finally {
  await browser.close()
  await live.close()
  await vm.dispose()
  await rm(artifacts, { recursive: true, force: true })
}

// How long the whole suite's merged report takes to load in Chromium, for 100 tests.
// One real test's artifacts (the demo system on QEMU: a few commands, a screen check that
// fails on a missing reference, its filmstrip kept) are copied under 100 tests (10 files of
// 10, one failed test in each file) split into two shard run folders, which
// `bootcheck merge-reports` merges (report.html, and a trace per test). Two suites: as a
// default run keeps them (filmstrips of the failed tests only) and as --filmstrip=all does
// (every test's). Each round opens the merged report.html from file:// in a fresh headless
// Chromium page: the time from navigation to the load event and to the first paint,
// against a plain HTML page of the same size (one <pre>) loaded the same way, in the same
// run. Goal: < 2 s for 100 tests.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Writable } from 'node:stream'
import { chromium, type Browser } from 'playwright-core'
import { boot } from '../src/index.js'
import { collectMachines } from '../src/runner/collect.js'
import { mergeReports } from '../src/runner/merge.js'
import type { FileRecord, MachineRecord, RunRecord } from '../src/report/model.js'
import { demoMedia, params } from '../vm-configs/demo.js'
import { emit, row, stats } from './lib/report.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const FILES = 10
const TESTS_PER_FILE = 10
const chromiumPath = [process.env.BOOTCHECK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => p && existsSync(p))
if (!chromiumPath) {
  process.stdout.write('report-load: skipped (no Chromium at $BOOTCHECK_CHROMIUM or /usr/bin/chromium)\n')
  process.exit(0)
}

/** One real test's machine: a few commands and a failed screen check, its filmstrip kept. */
async function realMachine(artifacts: string): Promise<MachineRecord> {
  process.env.BOOTCHECK_ARTIFACTS = artifacts
  process.env.BOOTCHECK_FILMSTRIP = 'all'
  const media = await demoMedia()
  const vm = await boot({ name: 'demo', cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media), testFile: join(artifacts, 'bench.test.ts') })
  try {
    for (let i = 0; i < 10; i++) await vm.succeed(`echo step ${i}; ls /`)
    await vm.expectScreen('no-reference').catch(() => undefined)
  } finally {
    await vm.dispose()
  }
  const [m] = await collectMachines(artifacts)
  if (!m) throw new Error('no machine artifacts')
  const { file: _, ...machine } = m
  return machine
}

/** A shard run folder at `dir` holding files `from`..`to` (exclusive), each test with a copy of `m`'s artifacts. */
function writeShard(dir: string, m: MachineRecord, from: number, to: number, index: number, filmstripAll: boolean): void {
  const files: FileRecord[] = []
  for (let f = from; f < to; f++) {
    const file = `tests/suite-${f}.test.ts`
    const tests = Array.from({ length: TESTS_PER_FILE }, (_, i) => {
      const name = `test ${f}.${i}`
      const mdir = join(dir, 'artifacts', `suite-${f}.test.ts`, `test-${i}`, 'demo')
      mkdirSync(mdir, { recursive: true })
      cpSync(m.dir, mdir, { recursive: true })
      const failed = i === 0
      const { filmstrip: _film, ...rest } = m
      const kept = failed || filmstripAll ? m : rest
      const machine = JSON.parse(JSON.stringify({ ...kept, test: name }).split(JSON.stringify(m.dir).slice(1, -1)).join(mdir)) as MachineRecord
      return { name, status: failed ? ('failed' as const) : ('passed' as const), durationMs: 9000, ...(failed ? { message: "Screen 'no-reference' has no reference" } : {}), machines: [machine] }
    })
    const failed = tests.filter(t => t.status === 'failed').length
    files.push({ file, status: failed ? 'failed' : 'passed', durationMs: 90_000, tests, tap: `TAP version 14\n1..${tests.length}\n`, machines: [] })
  }
  const n = (to - from) * TESTS_PER_FILE
  const run: RunRecord = {
    dir,
    startedAt: new Date().toISOString(),
    durationMs: 900_000,
    status: 'failed',
    host: { hostname: hostname(), cpus: 2, memoryMiB: 8192, budgetMiB: 4096, jobs: 1 },
    files,
    counts: { passed: n - (to - from), failed: to - from, skipped: 0, todo: 0 },
    shard: { index, total: 2, by: 'count', suiteFiles: FILES },
  }
  writeFileSync(join(dir, 'results.json'), JSON.stringify(run, null, 2))
}

/** Milliseconds from navigation to the load event and to the first contentful paint of `url` in a fresh page. */
async function load(browser: Browser, url: string): Promise<{ load: number; paint: number }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 })
    // The first contentful paint may be recorded after the load event: wait for it (5 s at most).
    const r = (await page.evaluate(`new Promise(resolve => {
      const done = paint => resolve({ load: performance.getEntriesByType('navigation')[0].loadEventEnd, paint });
      new PerformanceObserver(list => {
        const e = list.getEntriesByName('first-contentful-paint')[0];
        if (e) done(e.startTime);
      }).observe({ type: 'paint', buffered: true });
      setTimeout(() => done(-1), 5000);
    })`)) as { load: number; paint: number }
    if (r.paint < 0) throw new Error(`no first contentful paint of ${url} within 5 s`)
    return r
  } finally {
    await page.close()
  }
}

/** Merges a suite of 100 tests; returns its report, a plain page of the same size and the figures. */
async function suite(work: string, m: MachineRecord, filmstripAll: boolean, browser: Browser) {
  const base = join(work, filmstripAll ? 'all' : 'default')
  for (const s of [1, 2]) writeShard(join(base, `shard-${s}`), m, (s - 1) * (FILES / 2), s * (FILES / 2), s, filmstripAll)
  const out = join(base, 'merged')
  const quiet = new Writable({ write: (_c, _e, done) => done() })
  const { run } = await mergeReports({ inputs: [join(base, 'shard-1'), join(base, 'shard-2')], out, stderr: quiet })
  const tests = run.files.reduce((n, f) => n + f.tests.length, 0)
  const report = join(out, 'report.html')
  const plain = join(base, 'plain.html')
  const text = (await readFile(report, 'utf8')).replace(/[<>&]/g, ' ')
  writeFileSync(plain, `<!doctype html><meta charset="utf-8"><title>plain</title><pre>${text}</pre>`)
  const r = { load: [] as number[], paint: [] as number[] }
  const p = { load: [] as number[], paint: [] as number[] }
  for (let i = 0; i < ROUNDS; i++) {
    const a = await load(browser, pathToFileURL(report).href)
    const b = await load(browser, pathToFileURL(plain).href)
    r.load.push(a.load)
    r.paint.push(a.paint)
    p.load.push(b.load)
    p.paint.push(b.paint)
  }
  const images = (await readFile(report, 'utf8')).match(/<img /g)?.length ?? 0
  const trace = (await stat(join(run.files[0]!.tests[0]!.machines[0]!.dir, '..', 'trace.html'))).size
  return { tests, size: (await stat(report)).size, images, trace, r, p }
}

const work = await mkdtemp(join(tmpdir(), 'bootcheck-bench-report-'))
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
try {
  const m = await realMachine(join(work, 'real'))
  const rows = []
  for (const all of [false, true]) {
    const s = await suite(work, m, all, browser)
    const label = `merged report, ${s.tests} tests, filmstrips of ${all ? 'all' : 'failed'}`
    rows.push(row('report-load', `${label}: load event`, 'ms', stats(s.r.load), 'plain page, same size', stats(s.p.load)))
    rows.push(row('report-load', `${label}: first contentful paint`, 'ms', stats(s.r.paint), 'plain page, same size', stats(s.p.paint)))
    process.stdout.write(`${label}: report.html ${(s.size / 1024).toFixed(0)} KiB, ${s.images} images; one trace page ${(s.trace / 1024).toFixed(0)} KiB (opened on demand); load event goal < 2000 ms: ${stats(s.r.load).median < 2000 ? 'met' : 'NOT met'}\n`)
  }
  emit(rows)
} finally {
  await browser.close()
  await rm(work, { recursive: true, force: true })
}

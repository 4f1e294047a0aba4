import { mkdir, rename, rm, symlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { execa } from 'execa'
import type { RunRecord, ShardInfo } from '../report/model.js'
import { collectMachines, attachMachines } from './collect.js'
import { defaultLimits } from './limits.js'
import { createProgress } from './progress.js'
import { RUNNER_ENV } from '../lease/protocol.js'
import { MACHINE_SCRATCH_PREFIX } from '../machine/start.js'
import { SNAPSHOT_SCRATCH_PREFIX } from '../machine/snapshot.js'
import { makeScratchDir, sweepDeadScratch } from '../util/scratch.js'
import { RunnerServer } from './server.js'
import { readTapRun } from './tap-results.js'
import { tapBin, topLevelEnv } from './tap.js'
import { writeReports } from './write-reports.js'

/** What `bootcheck run` was asked to do. */
export interface RunOptions {
  files: string[]
  /** Test files run at once (tap's `--jobs`). */
  jobs: number
  /** Seconds a test file may take. */
  timeoutS: number
  grep?: string[]
  bail?: boolean
  /** `missing` or `all`: write screen references. */
  updateScreens?: string
  /** The memory budget (sum of the running machines' memory) and the vCPU budget. */
  memoryMiB: number
  cpus: number
  /** Where run folders go; default `.bootcheck/runs`. */
  runsDir?: string
  /** Also write JUnit XML here. */
  junit?: string
  /** Progress lines: `auto` (live on a terminal, plain otherwise), `tty`, `plain` or `off`. */
  progress?: 'auto' | 'tty' | 'plain' | 'off'
  /** Keep the machine of a failing test running and attach the terminal to it. */
  debug?: boolean
  /** This run is one shard of the suite (`--shard`): recorded in results.json. */
  shard?: ShardInfo
  /** Extra environment for the test processes (e.g. `BOOTCHECK_DEBUG`, `BOOTCHECK_CONFIG`). */
  env?: Record<string, string>
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
}

/** The prefix of a run's temporary folder (its socket) in the system's temp folder. */
export const RUN_SCRATCH_PREFIX = 'bootcheck-run-'

/**
 * Runs test files through tap, each machine admitted within the memory budget, with TAP on
 * stdout, progress on stderr, and a run folder holding artifacts, `results.json`,
 * `report.html` (and JUnit XML when asked). Returns the exit status and the run's record.
 */
export async function runTests(o: RunOptions): Promise<{ exitCode: number; run: RunRecord }> {
  const stdout = o.stdout ?? process.stdout
  const stderr = o.stderr ?? process.stderr
  const started = new Date()
  const dir = await createRunDir(resolve(o.runsDir ?? join('.bootcheck', 'runs')), started)
  // Folders of earlier runs and machines whose processes were killed (SIGKILL leaves them).
  const swept = sweepDeadScratch([RUN_SCRATCH_PREFIX, MACHINE_SCRATCH_PREFIX, SNAPSHOT_SCRATCH_PREFIX])
  if (swept.length) stderr.write(`bootcheck: removed ${swept.length} temporary folder(s) of runs that were killed: ${swept.join(', ')}\n`)
  const sockDir = await makeScratchDir(RUN_SCRATCH_PREFIX)
  // With --debug the terminal belongs to the attached console: no live block.
  const progress = createProgress({ stdout, stderr, mode: o.debug ? 'off' : (o.progress ?? 'auto') })
  const server = await RunnerServer.listen(join(sockDir, 'runner.sock'), { memoryMiB: o.memoryMiB, cpus: o.cpus }, (m, why) => progress.update(m, why))
  stderr.write(`bootcheck: run folder ${relative(process.cwd(), dir) || dir}; ${o.files.length} test file(s), ${o.jobs} at a time, memory budget ${o.memoryMiB} MiB, ${o.cpus} vCPU\n`)
  // A shard can be empty (more shards than files): tap given no files would run its default
  // folders, so it is not started, and the run passes with an empty report.
  const noFiles = o.files.length === 0

  const tapArgs = ['--disable-coverage', '--reporter=tap', `--jobs=${o.jobs}`, `--timeout=${o.timeoutS}`]
  for (const g of o.grep ?? []) tapArgs.push(`--grep=${g}`)
  if (o.bail) tapArgs.push('--bail')
  const child = execa(process.execPath, noFiles ? ['-e', ''] : [tapBin(), ...tapArgs, ...o.files], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    // Its own process group, so an interrupt reaches tap and every test process, and each
    // ends its own QEMU processes (by pid) on the way out. Not with --debug: a failing
    // test then attaches its machine to this terminal, which needs the same session.
    detached: !o.debug,
    extendEnv: false,
    env: {
      ...topLevelEnv(process.env),
      [RUNNER_ENV]: server.socketPath,
      BOOTCHECK_ARTIFACTS: join(dir, 'artifacts'),
      ...(o.updateScreens ? { BOOTCHECK_UPDATE_SCREENS: o.updateScreens } : {}),
      ...(o.debug ? { BOOTCHECK_DEBUG: '1' } : {}),
      ...o.env,
    },
  })
  let tap = ''
  let partial = ''
  child.stdout?.on('data', (d: Buffer) => {
    const text = partial + d.toString()
    const cut = text.lastIndexOf('\n') + 1
    partial = text.slice(cut)
    tap += text.slice(0, cut)
    if (cut > 0) progress.write(text.slice(0, cut))
  })

  let interruptedBy: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interruptedBy) {
      // A second interrupt: stop waiting for a clean end.
      if (o.debug) child.kill('SIGKILL')
      else killGroup(child.pid, 'SIGKILL')
      return
    }
    interruptedBy = signal
    stderr.write(`\nbootcheck: ${signal}: stopping the tests and their machines…\n`)
    if (o.debug) child.kill(signal)
    else killGroup(child.pid, signal)
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.on(s, onSignal)
  const result = await child
  for (const s of signals) process.off(s, onSignal)
  tap += partial
  if (partial) progress.write(partial + '\n')
  progress.stop()
  await server.close()
  await rm(sockDir, { recursive: true, force: true })

  // tap names files relative to its project root (the nearest package.json), which may not
  // be the working folder: match them to the files given by their path's end.
  const parsed = readTapRun(tap, interruptedBy !== undefined)
  const files = o.files.map(f => {
    const found = parsed.find(r => sameFile(r.file, f))
    return found ? { ...found, file: f } : { file: f, status: interruptedBy ? ('interrupted' as const) : ('failed' as const), durationMs: 0, tests: [], tap: '' }
  })
  const run: RunRecord = {
    dir,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    status: interruptedBy ? 'interrupted' : result.exitCode === 0 ? 'passed' : 'failed',
    ...(interruptedBy ? { interruptedBy } : {}),
    host: { hostname: hostname(), ...defaultLimits.host(), budgetMiB: o.memoryMiB, jobs: o.jobs },
    files: attachMachines(
      files.map(f => ({ ...f, machines: [] })),
      await collectMachines(join(dir, 'artifacts')),
    ),
    counts: { passed: 0, failed: 0, skipped: 0, todo: 0 },
    ...(o.shard ? { shard: o.shard } : {}),
  }
  for (const f of run.files) {
    // A file that failed outside any test (it did not load, it crashed) counts as one failure.
    if ((f.status === 'failed' || f.status === 'interrupted') && !f.tests.some(t => t.status === 'failed' || t.status === 'interrupted')) run.counts.failed++
    for (const t of f.tests) {
      if (t.status === 'passed') run.counts.passed++
      else if (t.status === 'failed' || t.status === 'interrupted') run.counts.failed++
      else if (t.status === 'skipped') run.counts.skipped++
      else if (t.status === 'todo') run.counts.todo++
    }
  }
  await writeReports(run, { ...(o.junit ? { junit: o.junit } : {}), stderr })
  // Again at the end: a run started meanwhile (say, by a test of this run) took the link.
  await linkLatest(dir)
  const exitCode = interruptedBy ? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[interruptedBy]! : (result.exitCode ?? 1)
  return { exitCode, run }
}

function sameFile(tapName: string, given: string): boolean {
  const a = resolve(given)
  const b = tapName.split(/[\\/]/).filter(p => p && p !== '.').join(sep)
  return a === resolve(tapName) || a.endsWith(sep + b)
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/** `<runsDir>/<date>T<time>-<n>`, plus a `latest` link to it. */
async function createRunDir(runsDir: string, at: Date): Promise<string> {
  await mkdir(runsDir, { recursive: true })
  const stamp = at.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z')
  let dir = join(runsDir, stamp)
  for (let n = 2; ; n++) {
    try {
      await mkdir(dir)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      dir = join(runsDir, `${stamp}-${n}`)
    }
  }
  await mkdir(join(dir, 'artifacts'))
  await linkLatest(dir)
  return dir
}

/** Points `<runsDir>/latest` at a run folder (replaced atomically). */
async function linkLatest(dir: string): Promise<void> {
  const runsDir = dirname(dir)
  const tmp = join(runsDir, `.latest-${process.pid}`)
  await rm(tmp, { force: true })
  await symlink(basename(dir), tmp).catch(() => undefined)
  await rename(tmp, join(runsDir, 'latest')).catch(() => undefined)
}

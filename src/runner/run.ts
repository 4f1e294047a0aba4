import { mkdir, rename, rm, symlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import type { FileRecord, RunRecord, ShardInfo } from '../report/model.js'
import { attemptArtifactsDir, combineAttempts, countTests, filesToRetry, runOutcome, type AttemptPolicy } from './attempts.js'
import { collectMachines, attachMachines } from './collect.js'
import { defaultLimits } from './limits.js'
import { createProgress } from './progress.js'
import { acquireLease } from '../lease/client.js'
import { RUNNER_ENV } from '../lease/protocol.js'
import { PROJECT_ENV } from '../config/config.js'
import { MACHINE_SCRATCH_PREFIX } from '../machine/start.js'
import { SNAPSHOT_SCRATCH_PREFIX } from '../machine/snapshot.js'
import { makeScratchDir, sweepDeadScratch } from '../util/scratch.js'
import { RunnerServer } from './server.js'
import { startLiveView } from './live/server.js'
import { LIVE_ENV } from '../machine/live.js'
import { readTapRun } from './tap-results.js'
import { runTapProcess } from './tap-process.js'
import { applyKnownFailures, type KnownFailure } from './known-failures.js'
import { writeReports } from './write-reports.js'

/** How long an interrupted run waits for its test processes to end their machines. */
const DRAIN_MS = 15_000

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
  /** Serve the live view of the running machines (`--ui`): its URL is printed on stderr. */
  ui?: boolean
  /** This run is one shard of the suite (`--shard`): recorded in results.json. */
  shard?: ShardInfo
  /** Run a failed file again, up to this many times, on fresh machines (default 0). */
  retries?: number
  /** Exit non-zero when a file was flaky (failed, then passed on a retry). */
  failOnFlaky?: boolean
  /** Run every file this many times (default 1). */
  repeatEach?: number
  /** Failures already tracked: matching failed tests are `known` (see known-failures.ts). */
  knownFailures?: KnownFailure[]
  /** Projects (machine variants) to run every file under, by name; none: once, as it is. */
  projects?: string[]
  /** End the summary with this many of the slowest files (default none). */
  slowest?: number
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
 *
 * The phases: {@link openRun} (the run folder, the lease server, progress), {@link runFiles}
 * (each project and repeat, with its attempts), {@link closeRun} (the server and its
 * socket, after the test processes ended), then the record, the reports and the exit status.
 */
export async function runTests(o: RunOptions): Promise<{ exitCode: number; run: RunRecord }> {
  const stderr = o.stderr ?? process.stderr
  const started = new Date()
  const ctx = await openRun(o, started)
  const { files, interruptedBy } = await runFiles(o, ctx)
  await closeRun(ctx, interruptedBy)

  if (o.knownFailures?.length) files.splice(0, files.length, ...applyKnownFailures(files, o.knownFailures))
  const outcome = runOutcome(files, { failOnFlaky: o.failOnFlaky === true })
  const policy = attemptPolicy(o)
  const run: RunRecord = {
    dir: ctx.dir,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    status: interruptedBy ? 'interrupted' : outcome.status,
    ...(interruptedBy ? { interruptedBy } : {}),
    host: { hostname: hostname(), ...defaultLimits.host(), budgetMiB: o.memoryMiB, jobs: o.jobs },
    files,
    counts: { ...(policy.retries > 0 ? { flaky: 0 } : {}), ...countTests(files) },
    ...(policy.retries > 0 ? { retries: policy.retries } : {}),
    ...(policy.repeatEach > 1 ? { repeatEach: policy.repeatEach } : {}),
    ...(o.shard ? { shard: o.shard } : {}),
  }
  await writeReports(run, { ...(o.junit ? { junit: o.junit } : {}), ...(o.slowest ? { slowest: o.slowest } : {}), stderr })
  // Again at the end: a run started meanwhile (say, by a test of this run) took the link.
  await linkLatest(ctx.dir)
  const exitCode = interruptedBy ? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[interruptedBy]! : outcome.exitCode
  return { exitCode, run }
}

/** A run in progress: its folder, the lease server and its socket folder, the progress display. */
interface RunContext {
  dir: string
  sockDir: string
  server: RunnerServer
  progress: ReturnType<typeof createProgress>
  stderr: NodeJS.WriteStream
  /** The live view (`--ui`), if asked for. */
  live: Awaited<ReturnType<typeof startLiveView>> | undefined
}

function attemptPolicy(o: RunOptions): AttemptPolicy {
  return { retries: o.retries ?? 0, repeatEach: o.repeatEach ?? 1 }
}

/** Makes the run folder (sweeping what killed runs left), starts the lease server and the progress display. */
async function openRun(o: RunOptions, started: Date): Promise<RunContext> {
  const stdout = o.stdout ?? process.stdout
  const stderr = o.stderr ?? process.stderr
  const dir = await createRunDir(resolve(o.runsDir ?? join('.bootcheck', 'runs')), started)
  // Folders of earlier runs and machines whose processes were killed (SIGKILL leaves them).
  const swept = sweepDeadScratch([RUN_SCRATCH_PREFIX, MACHINE_SCRATCH_PREFIX, SNAPSHOT_SCRATCH_PREFIX])
  if (swept.length) stderr.write(`bootcheck: removed ${swept.length} temporary folder(s) of runs that were killed: ${swept.join(', ')}\n`)
  const sockDir = await makeScratchDir(RUN_SCRATCH_PREFIX)
  // With --debug the terminal belongs to the attached console: no live block.
  const progress = createProgress({ stdout, stderr, mode: o.debug ? 'off' : (o.progress ?? 'auto') })
  // A run inside another run's test (bootcheck's own suite) takes its machines' leases from that run too.
  const upstream = process.env[RUNNER_ENV] ? (need: Parameters<typeof acquireLease>[0]) => acquireLease(need) : undefined
  const server = await RunnerServer.listen(join(sockDir, 'runner.sock'), { memoryMiB: o.memoryMiB, cpus: o.cpus }, (m, why) => progress.update(m, why), upstream)
  const live = o.ui ? await startLiveView({ root: join(dir, 'artifacts'), stages: () => server.machines.values(), references: { testFiles: o.files } }) : undefined
  if (live) stderr.write(`bootcheck: live view ${live.url}\n`)
  stderr.write(`bootcheck: run folder ${relative(process.cwd(), dir) || dir}; ${o.files.length} test file(s), ${o.jobs} at a time, memory budget ${o.memoryMiB} MiB, ${o.cpus} vCPU\n`)
  return { dir, sockDir, server, progress, stderr, live }
}

/** Stops the progress display, the lease server (waiting for the test processes of an interrupted run) and the live view, and removes its socket folder. */
async function closeRun(ctx: RunContext, interruptedBy: NodeJS.Signals | undefined): Promise<void> {
  ctx.progress.stop()
  // Interrupted: tap may exit before its test processes have ended their QEMU; wait for them.
  if (interruptedBy) await ctx.server.drained(DRAIN_MS)
  await ctx.server.close()
  await ctx.live?.close()
  await rm(ctx.sockDir, { recursive: true, force: true })
}

/**
 * Runs the files under each project and for each repeat, each such variant with its
 * attempts (`--retries`), one tap process an attempt; stops early when interrupted or, with
 * `bail`, at the first failure. Returns the files' records, attempts combined.
 */
async function runFiles(o: RunOptions, ctx: RunContext): Promise<{ files: FileRecord[]; interruptedBy: NodeJS.Signals | undefined }> {
  const { stderr, progress, dir } = ctx
  const policy = attemptPolicy(o)
  const tapArgs = ['--disable-coverage', '--reporter=tap', `--jobs=${o.jobs}`, `--timeout=${o.timeoutS}`]
  for (const g of o.grep ?? []) tapArgs.push(`--grep=${g}`)
  if (o.bail) tapArgs.push('--bail')
  const baseEnv: Record<string, string> = {
    [RUNNER_ENV]: ctx.server.socketPath,
    ...(o.updateScreens ? { BOOTCHECK_UPDATE_SCREENS: o.updateScreens } : {}),
    ...(o.debug ? { BOOTCHECK_DEBUG: '1' } : {}),
    ...(ctx.live ? { [LIVE_ENV]: '1' } : {}),
    ...o.env,
  }
  let interruptedBy: NodeJS.Signals | undefined
  const attempt = async (files: string[], artifacts: string, env: Record<string, string>): Promise<FileRecord[]> => {
    await mkdir(artifacts, { recursive: true })
    const r = await runTapProcess({
      files,
      tapArgs,
      env: { ...baseEnv, BOOTCHECK_ARTIFACTS: artifacts, ...env },
      debug: o.debug === true,
      onLines: text => progress.write(text),
      onInterrupt: signal => stderr.write(`\nbootcheck: ${signal}: stopping the tests and their machines…\n`),
    })
    interruptedBy ??= r.interruptedBy
    const records = fileRecords(files, readTapRun(r.tap, r.interruptedBy !== undefined), r.interruptedBy !== undefined)
    return attachMachines(records, await collectMachines(artifacts))
  }
  // One file list under one project, one repeat: attempts until it passes or retries run out.
  const runVariant = async (project: string | undefined, repeat: number): Promise<FileRecord[]> => {
    if (project !== undefined) stderr.write(`bootcheck: project ${project}${policy.repeatEach > 1 ? `, repeat ${repeat}` : ''}\n`)
    const tags = { ...(policy.repeatEach > 1 ? { repeat } : {}), ...(project !== undefined ? { project } : {}) }
    const projectEnv: Record<string, string> = project !== undefined ? { [PROJECT_ENV]: project } : {}
    const tries = new Map<string, FileRecord[]>(o.files.map(f => [f, []]))
    let pending = o.files
    for (let n = 1; pending.length > 0; n++) {
      if (n > 1) stderr.write(`bootcheck: attempt ${n} of ${policy.retries + 1}${policy.repeatEach > 1 ? ` (repeat ${repeat})` : ''}${project !== undefined ? ` (project ${project})` : ''} for ${pending.length} failed file(s): ${pending.join(', ')}\n`)
      const got = await attempt(pending, attemptArtifactsDir(join(dir, 'artifacts'), policy, repeat, n, project), { ...projectEnv, BOOTCHECK_ATTEMPT: String(n), BOOTCHECK_REPEAT: String(repeat) })
      for (const f of got) tries.get(f.file)!.push({ ...f, ...(policy.retries > 0 ? { attempt: n } : {}), ...tags })
      // A file whose every failure is a known one is not run again.
      pending = filesToRetry(o.knownFailures?.length ? applyKnownFailures(got, o.knownFailures) : got)
      if (interruptedBy || n > policy.retries || (o.bail && pending.length > 0)) break
    }
    return o.files.map(f => combineAttempts(tries.get(f)!))
  }
  const files: FileRecord[] = []
  for (const project of o.projects?.length ? o.projects : [undefined]) {
    for (let repeat = 1; repeat <= policy.repeatEach; repeat++) {
      if (interruptedBy || (o.bail && files.some(f => f.status === 'failed'))) break
      files.push(...(await runVariant(project, repeat)))
    }
  }
  return { files, interruptedBy }
}

/**
 * The records of the files given to one tap process. tap names files relative to its project
 * root (the nearest package.json), which may not be the working folder: they are matched to
 * the files given by their path's end. A file without a record failed (or was interrupted).
 */
function fileRecords(given: string[], parsed: ReturnType<typeof readTapRun>, interrupted: boolean): FileRecord[] {
  return given.map(f => {
    const found = parsed.find(r => sameFile(r.file, f))
    return { ...(found ?? { status: interrupted ? ('interrupted' as const) : ('failed' as const), durationMs: 0, tests: [], tap: '' }), file: f, machines: [] }
  })
}

function sameFile(tapName: string, given: string): boolean {
  const a = resolve(given)
  const b = tapName.split(/[\\/]/).filter(p => p && p !== '.').join(sep)
  return a === resolve(tapName) || a.endsWith(sep + b)
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

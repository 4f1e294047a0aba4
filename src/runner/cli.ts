import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig, type ProjectConfig } from '../config/config.js'
import { parseMemory } from '../spec/spec.js'
import { defaultLimits } from './limits.js'
import { runTests } from './run.js'
import { parseShard, parseTimings, shardFiles, timingsOf } from './shard.js'
import type { ShardInfo } from '../report/model.js'
import { UsageError } from '../errors/errors.js'
import { forbidOnly, lastFailedFiles, listTests, narrowTo } from './select.js'
import { loadKnownFailures } from './known-failures.js'

// #region usage (quoted by docs/runner.md)
const USAGE = `Usage:
  bootcheck run [options] [files or folders…]   run tap test files written in TypeScript
  bootcheck shell [machine | --iso FILE | --kernel FILE …]
                                                  boot a machine and attach this terminal to its serial console
  bootcheck media [--cache-dir DIR]               build (or reuse) the demo live media; print their paths as JSON
  bootcheck merge-reports [run folders or .tar.gz archives…] --out DIR
                                                  merge the run folders of shards into one report
  bootcheck show-trace <run folder | trace.html>  serve a test's trace (its steps with their console lines,
                                                  screen, QMP events, network frames) on 127.0.0.1; print the URL
  bootcheck snapshots list [--json]               show the snapshots bootOnce cached (.bootcheck/cache/snapshots)
  bootcheck snapshots prune [--unused-for DAYS]   remove them (all, or those not restored for DAYS days)
  bootcheck init [--iso FILE | --kernel FILE [--initrd FILE] | --disk FILE]
                 [--console serial|screen] [--probe-timeout SECONDS]
                                                  start a project: bootcheck.config.ts, a first test, a CI workflow;
                                                  boots the image once to see whether a shell answers on its serial
                                                  console (a shell test) or not (a screen test); --console skips that
  bootcheck help

Options of run (defaults from bootcheck.config.ts 'run', then from the host):
  -j, --jobs N        test files run at once (default: CPU count)
  -m, --memory SIZE   memory budget: machines wait while the memory of running machines
                      would pass it (default: 80% of available memory), e.g. 4G
      --cpus N        vCPU budget of running machines (default: CPU count)
  -t, --timeout S     seconds a test file may take (default 900)
  -g, --grep PATTERN  only subtests whose name matches
  -b, --bail          stop at the first failure
      --junit FILE    also write JUnit XML to FILE
      --runs-dir DIR  where run folders go (default .bootcheck/runs; 'latest' links to the newest)
      --progress MODE auto (live lines on a terminal, plain lines otherwise), tty, plain or off
      --debug         when a test fails, keep its machine running and attach this terminal to it
  --update-screens[=missing|all]  write missing screen references (or replace differing ones)
      --shard I/N     run only the I-th of N parts of the test files (found, then sorted)
      --timings FILE  balance shards by the durations in FILE (a results.json or a timings file)
      --write-timings FILE  after the run, write its files' durations to FILE (merged with FILE's)
      --fresh         make every bootOnce snapshot again in this run instead of restoring a cached one
      --retries N     run a failed file again, up to N times, on fresh machines; one that
                      fails and then passes is 'flaky' (exit 0 unless --fail-on-flaky)
      --fail-on-flaky exit 1 when a file was flaky
      --repeat-each N run every file N times (hunting flakes); each repeat has its own artifacts
      --last-failed   run only the files that failed or were flaky in the last run (runs/latest)
      --list          print the files and the subtests they name (after --shard); boot nothing
      --forbid-only   fail at once when a file has a t.only (for CI)
      --slowest N     end the summary with the N slowest files
      --project NAME  run under this project of bootcheck.config.ts only (repeatable; default: all)
      --known-failures FILE  failures matching an unexpired entry of FILE (JSON) are 'known', not failed
      --filmstrip MODE  keep the screen's filmstrip (a frame whenever it changed) for failed
                      tests (default), for all tests, or record none: failed, all or off
  Folders are searched for *.test.ts files; the default is the current folder.
  Each run writes <run folder>/report.html, results.json and artifacts/.`
// #endregion

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await run(rest)
      case 'shell':
        return await shell(rest)
      case 'init':
        return await (await import('./init.js')).initCommand(rest)
      case 'media':
        return await media(rest)
      case 'merge-reports':
        return await mergeReportsCommand(rest)
      case 'snapshots':
        return await snapshotsCommand(rest)
      case 'show-trace':
        return await (await import('./show-trace.js')).showTraceCommand(rest)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n')
        return command === undefined ? 2 : 0
      default:
        process.stderr.write(`bootcheck: unknown command '${command}'\n${USAGE}\n`)
        return 2
    }
  } catch (e) {
    // A UsageError's name is 'UsageError' (BootcheckError names each subclass): match the class.
    if (e instanceof TypeError || e instanceof UsageError || (e as Error).name === 'BootcheckError' || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bootcheck ${command}: ${(e as Error).message}\n`)
      return 2
    }
    throw e
  }
}

async function run(argv: string[]): Promise<number> {
  // `--update-screens` takes an optional value, which parseArgs cannot express.
  let updateScreens: string | undefined
  const args = argv.filter(a => {
    const m = /^--update-screens(?:=(.*))?$/.exec(a)
    if (!m) return true
    updateScreens = m[1] ?? 'missing'
    if (!['missing', 'all', 'none'].includes(updateScreens)) throw new UsageError(`--update-screens takes missing or all, got '${updateScreens}'`)
    return false
  })
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(args),
    allowPositionals: true,
    options: {
      jobs: { type: 'string', short: 'j' },
      memory: { type: 'string', short: 'm' },
      cpus: { type: 'string' },
      timeout: { type: 'string', short: 't' },
      grep: { type: 'string', short: 'g', multiple: true },
      bail: { type: 'boolean', short: 'b', default: false },
      junit: { type: 'string' },
      'runs-dir': { type: 'string' },
      progress: { type: 'string' },
      debug: { type: 'boolean', default: false },
      shard: { type: 'string' },
      timings: { type: 'string' },
      'write-timings': { type: 'string' },
      fresh: { type: 'boolean', default: false },
      filmstrip: { type: 'string' },
      retries: { type: 'string' },
      'fail-on-flaky': { type: 'boolean', default: false },
      'repeat-each': { type: 'string' },
      'last-failed': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      'forbid-only': { type: 'boolean', default: false },
      slowest: { type: 'string' },
      'known-failures': { type: 'string' },
      project: { type: 'string', multiple: true },
    },
  })
  const filmstrip = values.filmstrip
  if (filmstrip !== undefined && !['failed', 'all', 'off'].includes(filmstrip)) throw new UsageError(`--filmstrip takes failed, all or off, got '${filmstrip}'`)
  const { path: configPath, config } = await loadConfig()
  const rc = config.run ?? {}
  const progress = values.progress ?? 'auto'
  if (!['auto', 'tty', 'plain', 'off'].includes(progress)) throw new UsageError(`--progress takes auto, tty, plain or off, got '${progress}'`)
  const shard = values.shard !== undefined ? parseShard(values.shard) : undefined
  if (values.timings !== undefined && !shard) throw new UsageError('--timings balances shards: it needs --shard I/N')
  const retries = values.retries !== undefined ? wholeNumber(values.retries, 'retries', 0) : (rc.retries ?? 0)
  const repeatEach = values['repeat-each'] !== undefined ? wholeNumber(values['repeat-each'], 'repeat-each', 1) : 1
  const slowest = values.slowest !== undefined ? wholeNumber(values.slowest, 'slowest', 0) : 0
  const runsDir = values['runs-dir'] ?? rc.runsDir
  const knownFile = values['known-failures'] ?? (rc.knownFailures !== undefined && configPath ? resolve(dirname(configPath), rc.knownFailures) : rc.knownFailures)
  const projects = pickProjects(config.projects ?? [], values.project)
  const knownFailures = knownFile !== undefined ? await loadKnownFailures(knownFile) : undefined
  const chosen = await chooseFiles({
    paths: positionals.length > 0 ? positionals : (rc.files ?? ['.']),
    ...(values['last-failed'] ? { lastFailedIn: resolve(runsDir ?? join('.bootcheck', 'runs')) } : {}),
    forbidOnly: values['forbid-only'] || rc.forbidOnly === true,
    ...(shard ? { shard } : {}),
    ...(values.timings !== undefined ? { timings: values.timings } : {}),
  })
  if ('exitCode' in chosen) return chosen.exitCode
  const { files, shardInfo } = chosen
  if (values.list) {
    process.stdout.write(await listTests(files))
    return 0
  }
  const debug = values.debug
  const junit = values.junit ?? rc.junit
  const { exitCode, run: record } = await runTests({
    files,
    ...(shardInfo ? { shard: shardInfo } : {}),
    // --debug attaches one failing machine at a time, without a timeout ending it.
    jobs: debug ? 1 : values.jobs ? positiveInt(values.jobs, 'jobs') : (rc.jobs ?? defaultLimits.jobs()),
    timeoutS: debug ? 0 : values.timeout ? positiveInt(values.timeout, 'timeout') : (rc.timeout ?? 900),
    memoryMiB: values.memory ? parseMemory(values.memory) : rc.memory !== undefined ? parseMemory(rc.memory) : defaultLimits.memoryMiB(),
    cpus: values.cpus ? positiveInt(values.cpus, 'cpus') : (rc.cpus ?? defaultLimits.cpus()),
    ...(values.grep ? { grep: values.grep } : {}),
    bail: values.bail,
    ...(updateScreens ? { updateScreens } : {}),
    ...(junit ? { junit } : {}),
    ...(runsDir ? { runsDir } : {}),
    progress: progress as 'auto',
    debug,
    retries,
    failOnFlaky: values['fail-on-flaky'] || rc.failOnFlaky === true,
    repeatEach,
    slowest,
    ...(knownFailures ? { knownFailures } : {}),
    ...(projects.length ? { projects } : {}),
    env: {
      ...(configPath ? { BOOTCHECK_CONFIG: configPath } : {}),
      // bootOnce makes snapshots older than this run's start again, once.
      ...(values.fresh ? { BOOTCHECK_FRESH_SINCE: String(Date.now()) } : {}),
      ...(filmstrip ? { BOOTCHECK_FILMSTRIP: filmstrip } : {}),
    },
  })
  if (values['write-timings'] !== undefined) await writeTimings(values['write-timings'], record)
  return exitCode
}

/** What `bootcheck run` chooses its files from. */
interface FileChoice {
  paths: string[]
  /** `--last-failed`: the runs folder whose `latest` run is read. */
  lastFailedIn?: string
  forbidOnly: boolean
  shard?: ReturnType<typeof parseShard>
  timings?: string
}

/**
 * The files a run executes: found under the paths, narrowed to the last run's failures
 * (`--last-failed`, read before this run's folder takes the `latest` link), checked for
 * `t.only` (`--forbid-only`), then split (`--shard`). Or the exit status when none remain.
 */
async function chooseFiles(c: FileChoice): Promise<{ files: string[]; shardInfo?: ShardInfo } | { exitCode: number }> {
  const lastFailed = c.lastFailedIn !== undefined ? await lastFailedFiles(c.lastFailedIn) : undefined
  let found = await findTestFiles(c.paths)
  if (lastFailed) {
    found = narrowTo(lastFailed, found)
    if (found.length === 0) {
      process.stderr.write('bootcheck run: --last-failed: no file failed or was flaky in the last run; nothing to run\n')
      return { exitCode: 0 }
    }
    process.stderr.write(`bootcheck run: --last-failed: ${found.length} file(s) that failed or were flaky last time\n`)
  }
  if (c.forbidOnly) await forbidOnly(found)
  if (found.length === 0) {
    process.stderr.write(`bootcheck run: no test files (*.test.ts) in ${c.paths.join(' ')}\n`)
    return { exitCode: 1 }
  }
  if (!c.shard) return { files: found }
  const timings = c.timings !== undefined ? await readTimings(c.timings) : undefined
  const part = shardFiles(found, c.shard, timings)
  const shardInfo: ShardInfo = { ...c.shard, by: part.by, suiteFiles: new Set(found).size }
  const estimate = part.estimatedMs !== undefined ? `, about ${(part.estimatedMs / 1000).toFixed(0)} s by the timings` : ''
  process.stderr.write(`bootcheck run: shard ${c.shard.index}/${c.shard.total}: ${part.files.length} of ${shardInfo.suiteFiles} test file(s), split by ${part.by}${estimate}\n`)
  return { files: part.files, shardInfo }
}

/** Reads `--timings FILE`; a missing file means no timings yet (the first run of a CI cache). */
async function readTimings(file: string): Promise<Record<string, number> | undefined> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined
    throw new UsageError(`--timings ${file}: ${e.message}`)
  })
  if (text === undefined) {
    process.stderr.write(`bootcheck run: no timings at ${file} yet: splitting by count\n`)
    return undefined
  }
  return parseTimings(text, file)
}

/** Writes the durations of a run's files to `file`, over those already in it. */
async function writeTimings(file: string, run: Parameters<typeof timingsOf>[0]): Promise<void> {
  const previous = await readFile(file, 'utf8').then(
    text => { try { return parseTimings(text, file) } catch { return {} } },
    () => ({}),
  )
  await mkdir(dirname(resolve(file)), { recursive: true })
  await writeFile(file, JSON.stringify(timingsOf(run, previous), null, 2) + '\n')
}

async function mergeReportsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string', short: 'o' }, junit: { type: 'string' }, 'write-timings': { type: 'string' } },
  })
  if (!values.out) throw new UsageError('merge-reports needs --out DIR')
  if (positionals.length === 0) throw new UsageError('merge-reports needs run folders or .tar.gz archives of them')
  const { mergeReports } = await import('./merge.js')
  const { run } = await mergeReports({ inputs: positionals, out: values.out, ...(values.junit ? { junit: values.junit } : {}), stderr: process.stderr })
  if (values['write-timings'] !== undefined) await writeTimings(values['write-timings'], run)
  return run.status === 'passed' ? 0 : 1
}

async function snapshotsCommand(argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, 'unused-for': { type: 'string' } } })
  const { listCachedSnapshots, pruneCachedSnapshots, snapshotCacheDir } = await import('../api/snapshot-cache.js')
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`
  if (sub === 'list') {
    const entries = await listCachedSnapshots()
    if (values.json) process.stdout.write(JSON.stringify(entries, null, 2) + '\n')
    else if (entries.length === 0) process.stdout.write(`no cached snapshots in ${snapshotCacheDir()}\n`)
    else {
      for (const e of entries) {
        const busy = e.lockedBy !== undefined ? `  (being replaced by pid ${e.lockedBy})` : ''
        process.stdout.write(`${e.key}  ${e.name} (machine ${e.machine})  ${mb(e.bytes)}  made ${e.createdAt}  used ${e.usedAt}${busy}\n`)
      }
      process.stdout.write(`${entries.length} snapshot(s), ${mb(entries.reduce((n, e) => n + e.bytes, 0))} in ${snapshotCacheDir()}\n`)
    }
    return 0
  }
  if (sub === 'prune') {
    const days = values['unused-for'] !== undefined ? Number(values['unused-for']) : undefined
    if (days !== undefined && !(Number.isFinite(days) && days >= 0)) throw new UsageError(`--unused-for takes a number of days, got '${values['unused-for']}'`)
    const removed = await pruneCachedSnapshots(days !== undefined ? { unusedForMs: days * 86_400_000 } : {})
    for (const e of removed) process.stdout.write(`removed ${e.key}  ${e.name}  ${mb(e.bytes)}\n`)
    process.stdout.write(`removed ${removed.length} snapshot(s), ${mb(removed.reduce((n, e) => n + e.bytes, 0))}\n`)
    return 0
  }
  throw new UsageError(`snapshots takes list or prune, got ${sub === undefined ? 'nothing' : `'${sub}'`}`)
}

async function shell(argv: string[]): Promise<number> {
  const { shellCommand } = await import('./shell.js')
  const { machineFromConfig } = await import('../config/config.js')
  return shellCommand(argv, { resolveMachine: name => machineFromConfig(name) })
}

async function media(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'cache-dir': { type: 'string' } } })
  const { buildLiveMedia } = await import('../../vm-configs/demo.js')
  const result = await buildLiveMedia({
    log: line => process.stderr.write(`bootcheck media: ${line}\n`),
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
  })
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  return 0
}

/** Files are taken as they are; folders are searched for `*.test.ts` (and .js/.mts/.mjs) files. */
export async function findTestFiles(paths: string[]): Promise<string[]> {
  const out: string[] = []
  for (const p of paths) {
    const st = await stat(p).catch(() => null)
    if (!st) throw new UsageError(`'${p}' does not exist`)
    if (st.isFile()) {
      out.push(p)
      continue
    }
    const entries = (await readdir(p, { recursive: true })) as string[]
    out.push(
      ...entries
        .filter(e => TEST_FILE.test(e) && !e.split(sep).some(part => part === 'node_modules' || part.startsWith('.')))
        .sort()
        .map(e => join(p, e)),
    )
  }
  return out
}

const TEST_FILE = /\.test\.(ts|mts|js|mjs)$/

/** The projects to run under: those named by `--project`, else all of the config's. */
function pickProjects(defined: ProjectConfig[], asked: string[] | undefined): string[] {
  for (const p of defined) if (!/^[A-Za-z0-9._-]+$/.test(String(p?.name))) throw new UsageError(`bootcheck.config.ts: project name '${String(p?.name)}' may hold only letters, digits, '.', '_' and '-'`)
  const names = defined.map(p => p.name)
  for (const a of asked ?? []) if (!names.includes(a)) throw new UsageError(`--project ${a}: bootcheck.config.ts defines ${names.length ? `the projects ${names.join(', ')}` : 'no projects'}`)
  return asked?.length ? asked : names
}

/** `--retries -1` as `--retries=-1`, so a negative number gets its own one-line error, not parseArgs' three lines. */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = args[i + 1]
    if (/^--[a-z-]+$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`)
      i++
    } else out.push(a)
  }
  return out
}

/** A whole number of at least `min` for `--name`, or a {@link UsageError} saying so. */
function wholeNumber(value: string, name: string, min: number): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs a whole number of at least ${min}, got '${value}'`)
  return n
}

function positiveInt(value: string, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} needs a positive whole number, got '${value}'`)
  return n
}

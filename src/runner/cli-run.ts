/**
 * `bootcheck run`'s command line: its flags over the config's `run` fields, the test files
 * it chooses (folders, `--last-failed`, `--shard`, `--forbid-only`), and the options it
 * hands {@link runTests}. `main` in cli.ts dispatches here.
 * @module
 */
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

/** The options of `bootcheck run` (see the CLI's usage text), for `parseArgs`. */
const RUN_OPTIONS = {
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
  ui: { type: 'boolean', default: false },
  shard: { type: 'string' },
  timings: { type: 'string' },
  'write-timings': { type: 'string' },
  fresh: { type: 'boolean', default: false },
  filmstrip: { type: 'string' },
  capsule: { type: 'boolean' },
  'no-capsule': { type: 'boolean' },
  retries: { type: 'string' },
  'fail-on-flaky': { type: 'boolean', default: false },
  'repeat-each': { type: 'string' },
  'last-failed': { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
  'forbid-only': { type: 'boolean', default: false },
  slowest: { type: 'string' },
  'known-failures': { type: 'string' },
  project: { type: 'string', multiple: true },
} as const

/** `bootcheck run`'s command line, parsed. */
type RunArgs = ReturnType<typeof parseRunArgs>

/**
 * `bootcheck run`: the phases are {@link parseRunArgs}, the config, the files to run
 * ({@link chooseFiles}), then `--list` or {@link runTests} with the options
 * {@link runTestOptions} makes of flags and config, and `--write-timings`.
 */
export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv)
  const { values, positionals } = args
  const { path: configPath, config } = await loadConfig()
  const rc = config.run ?? {}
  const options = await runTestOptions(args, config, configPath)
  const shard = values.shard !== undefined ? parseShard(values.shard) : undefined
  if (values.timings !== undefined && !shard) throw new UsageError('--timings balances shards: it needs --shard I/N')
  const runsDir = values['runs-dir'] ?? rc.runsDir
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
  const { exitCode, run: record } = await runTests({ files, ...(shardInfo ? { shard: shardInfo } : {}), ...options })
  if (values['write-timings'] !== undefined) await writeTimings(values['write-timings'], record)
  return exitCode
}

/** Parses `bootcheck run`'s arguments and checks the values of its enumerated flags. */
function parseRunArgs(argv: string[]) {
  // `--update-screens` takes an optional value, which parseArgs cannot express.
  let updateScreens: string | undefined
  const args = argv.filter(a => {
    const m = /^--update-screens(?:=(.*))?$/.exec(a)
    if (!m) return true
    updateScreens = m[1] ?? 'missing'
    if (!['missing', 'all', 'none'].includes(updateScreens)) throw new UsageError(`--update-screens takes missing or all, got '${updateScreens}'`)
    return false
  })
  const { values, positionals } = parseArgs({ args: joinNegativeValues(args), allowPositionals: true, options: RUN_OPTIONS })
  const filmstrip = values.filmstrip
  if (filmstrip !== undefined && !['failed', 'all', 'off'].includes(filmstrip)) throw new UsageError(`--filmstrip takes failed, all or off, got '${filmstrip}'`)
  const progress = values.progress ?? 'auto'
  if (!['auto', 'tty', 'plain', 'off'].includes(progress)) throw new UsageError(`--progress takes auto, tty, plain or off, got '${progress}'`)
  return { values, positionals, updateScreens, progress: progress as 'auto' | 'tty' | 'plain' | 'off' }
}

/** The options of {@link runTests} (all but the files) from the flags, over the config's `run` fields. */
async function runTestOptions(args: RunArgs, config: Awaited<ReturnType<typeof loadConfig>>['config'], configPath: string | undefined): Promise<Omit<Parameters<typeof runTests>[0], 'files'>> {
  const { values, updateScreens, progress } = args
  const rc = config.run ?? {}
  const runsDir = values['runs-dir'] ?? rc.runsDir
  const knownFile = values['known-failures'] ?? (rc.knownFailures !== undefined && configPath ? resolve(dirname(configPath), rc.knownFailures) : rc.knownFailures)
  const projects = pickProjects(config.projects ?? [], values.project)
  const knownFailures = knownFile !== undefined ? await loadKnownFailures(knownFile) : undefined
  const debug = values.debug
  const junit = values.junit ?? rc.junit
  const filmstrip = values.filmstrip
  return {
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
    progress,
    debug,
    ui: values.ui,
    retries: values.retries !== undefined ? wholeNumber(values.retries, 'retries', 0) : (rc.retries ?? 0),
    failOnFlaky: values['fail-on-flaky'] || rc.failOnFlaky === true,
    repeatEach: values['repeat-each'] !== undefined ? wholeNumber(values['repeat-each'], 'repeat-each', 1) : 1,
    slowest: values.slowest !== undefined ? wholeNumber(values.slowest, 'slowest', 0) : 0,
    ...(knownFailures ? { knownFailures } : {}),
    ...(projects.length ? { projects } : {}),
    env: {
      ...(configPath ? { BOOTCHECK_CONFIG: configPath } : {}),
      // bootOnce makes snapshots older than this run's start again, once.
      ...(values.fresh ? { BOOTCHECK_FRESH_SINCE: String(Date.now()) } : {}),
      ...(filmstrip ? { BOOTCHECK_FILMSTRIP: filmstrip } : {}),
      // A failed test's machines are saved for `bootcheck resume` unless turned off.
      ...(values['no-capsule'] || (values.capsule === undefined && rc.capsule === false) ? { BOOTCHECK_CAPSULE: 'off' } : values.capsule ? { BOOTCHECK_CAPSULE: 'failed' } : {}),
    },
  }
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
export async function writeTimings(file: string, run: Parameters<typeof timingsOf>[0]): Promise<void> {
  const previous = await readFile(file, 'utf8').then(
    text => { try { return parseTimings(text, file) } catch { return {} } },
    () => ({}),
  )
  await mkdir(dirname(resolve(file)), { recursive: true })
  await writeFile(file, JSON.stringify(timingsOf(run, previous), null, 2) + '\n')
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

import { readdir, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/config.js'
import { parseMemory } from '../spec/spec.js'
import { defaultLimits } from './limits.js'
import { runTests } from './run.js'
import { UsageError } from '../errors/errors.js'

const USAGE = `Usage:
  bootcheck run [options] [files or folders…]   run tap test files written in TypeScript
  bootcheck shell [machine | --iso FILE | --kernel FILE …]
                                                  boot a machine and attach this terminal to its serial console
  bootcheck media [--cache-dir DIR]               build (or reuse) the demo live media; print their paths as JSON
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
  Folders are searched for *.test.ts files; the default is the current folder.
  Each run writes <run folder>/report.html, results.json and artifacts/.`

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await run(rest)
      case 'shell':
        return await shell(rest)
      case 'media':
        return await media(rest)
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
    if (e instanceof TypeError || (e as Error).name === 'BootcheckError' || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
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
    args,
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
    },
  })
  const { path: configPath, config } = await loadConfig()
  const rc = config.run ?? {}
  const progress = values.progress ?? 'auto'
  if (!['auto', 'tty', 'plain', 'off'].includes(progress)) throw new UsageError(`--progress takes auto, tty, plain or off, got '${progress}'`)
  const files = await findTestFiles(positionals.length > 0 ? positionals : (rc.files ?? ['.']))
  if (files.length === 0) {
    process.stderr.write(`bootcheck run: no test files (*.test.ts) in ${positionals.join(' ') || '.'}\n`)
    return 1
  }
  const debug = values.debug
  const junit = values.junit ?? rc.junit
  const runsDir = values['runs-dir'] ?? rc.runsDir
  const { exitCode } = await runTests({
    files,
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
    env: {
      ...(configPath ? { BOOTCHECK_CONFIG: configPath } : {}),
    },
  })
  return exitCode
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

function positiveInt(value: string, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} needs a positive whole number, got '${value}'`)
  return n
}

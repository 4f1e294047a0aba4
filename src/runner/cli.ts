import { createRequire } from 'node:module'
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { execa } from 'execa'

const USAGE = `Usage:
  bootcheck run [options] [files or folders…]   run tap test files written in TypeScript
  bootcheck media [--cache-dir DIR]               build (or reuse) the demo live media; print their paths as JSON
  bootcheck help

Options of run:
  -j, --jobs N        test files run in parallel (default 2)
  -t, --timeout S     seconds a test file may take (default 900)
  -g, --grep PATTERN  only subtests whose name matches
  -b, --bail          stop at the first failure
  --update-screens=missing|all  write missing screen references (or replace differing ones)
  Folders are searched for *.test.ts files; the default is the current folder.`

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'run':
      return run(rest)
    case 'media':
      return media(rest)
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
}

async function run(argv: string[]): Promise<number> {
  // `--update-screens` takes an optional value, which parseArgs cannot express.
  let updateScreens: string | undefined
  const args = argv.filter(a => {
    const m = /^--update-screens(?:=(.*))?$/.exec(a)
    if (!m) return true
    updateScreens = m[1] ?? 'missing'
    if (!['missing', 'all', 'none'].includes(updateScreens)) throw new TypeError(`--update-screens takes missing or all, got '${updateScreens}'`)
    return false
  })
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      jobs: { type: 'string', short: 'j', default: '2' },
      timeout: { type: 'string', short: 't', default: '900' },
      grep: { type: 'string', short: 'g', multiple: true },
      bail: { type: 'boolean', short: 'b', default: false },
    },
  })
  const tapArgs = ['--disable-coverage', `--jobs=${positiveInt(values.jobs, 'jobs')}`, `--timeout=${positiveInt(values.timeout, 'timeout')}`]
  for (const g of values.grep ?? []) tapArgs.push(`--grep=${g}`)
  if (values.bail) tapArgs.push('--bail')
  const files = await findTestFiles(positionals.length > 0 ? positionals : ['.'])
  if (files.length === 0) {
    process.stderr.write(`bootcheck run: no test files (*.test.ts) in ${positionals.join(' ') || '.'}\n`)
    return 1
  }
  const r = await execa(process.execPath, [tapBin(), ...tapArgs, ...files], {
    stdio: 'inherit',
    reject: false,
    env: {
      ...topLevelEnv(process.env),
      ...(updateScreens ? { BOOTCHECK_UPDATE_SCREENS: updateScreens } : {}),
    },
    extendEnv: false,
  })
  return r.exitCode ?? 1
}

async function media(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'cache-dir': { type: 'string' } } })
  const { buildLiveMedia } = await import('../../vm-configs/debian/build.js')
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
    if (!st) throw new Error(`bootcheck run: '${p}' does not exist`)
    if (st.isFile()) {
      out.push(p)
      continue
    }
    const entries = (await readdir(p, { recursive: true })) as string[]
    out.push(
      ...entries
        .filter(e => TEST_FILE.test(e) && !e.split(sep).includes('node_modules'))
        .sort()
        .map(e => join(p, e)),
    )
  }
  return out
}

const TEST_FILE = /\.test\.(ts|mts|js|mjs)$/

/**
 * The environment without tap's own variables, so `bootcheck run` acts as a top-level
 * runner (with its summary) even when started from inside another tap run.
 */
export function topLevelEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(env)) {
    if (k === 'TAP' || k.startsWith('TAP_') || k.startsWith('_TAPJS_')) continue
    if (k === 'NODE_OPTIONS' && v?.includes('@tapjs/')) continue
    out[k] = v
  }
  return out
}

function tapBin(): string {
  const require = createRequire(import.meta.url)
  const pkg = require.resolve('tap/package.json')
  return join(dirname(pkg), (require(pkg) as { bin: { tap: string } }).bin.tap)
}

function positiveInt(value: string, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`--${name} needs a positive whole number, got '${value}'`)
  return n
}

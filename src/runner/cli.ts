import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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
  Files default to the current folder's tests (tap's own defaults).`

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

async function run(args: string[]): Promise<number> {
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
  const r = await execa(process.execPath, [tapBin(), ...tapArgs, ...positionals], { stdio: 'inherit', reject: false })
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

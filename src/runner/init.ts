/**
 * `bootcheck init [--iso PATH | --kernel PATH [--initrd PATH] | --disk PATH]`: recognises the
 * image by its signature, refuses to overwrite any file (writing none), boots the image to
 * see whether a shell answers on its serial console (`init-probe.ts`; `--console` skips
 * that), writes the plan of `init-plan.ts`, adds the package.json script, and prints the
 * next two commands.
 */
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors/errors.js'
import { FIRST_SCREEN, INIT_SCRIPT, initFiles, machineName, probeSpec, type InitConsole, type InitImage } from './init-plan.js'
import { probeConsole } from './init-probe.js'

/** How long the probe waits for a shell by default: a systemd live ISO needs 80–100 s under TCG. */
const DEFAULT_PROBE_S = 180

/** Runs `bootcheck init` in `cwd`; returns the exit status (errors are thrown as {@link UsageError}). */
export async function initCommand(argv: string[], cwd = process.cwd(), out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  if (positionals.length) throw new UsageError(`init takes --iso, --kernel/--initrd or --disk, not '${positionals[0]}'`)
  const given = [values.iso && '--iso', values.kernel && '--kernel', values.disk && '--disk'].filter(Boolean)
  if (given.length !== 1) throw new UsageError(`init needs exactly one of --iso PATH, --kernel PATH [--initrd PATH] or --disk PATH${given.length ? `, got ${given.join(' and ')}` : ''}`)
  if (values.initrd && !values.kernel) throw new UsageError('init: --initrd goes with --kernel')
  const chosen = consoleFlag(values.console)
  const probeS = probeSeconds(values['probe-timeout'])
  const image = await recognise(values, cwd)
  const existing = initFiles(image, cwd).files.filter(f => existsSync(join(cwd, f.path))).map(f => f.path)
  if (existing.length) throw new UsageError(`init: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written (move ${existing.length === 1 ? 'it' : 'them'} away to start again)`)
  const pkg = await readPackage(cwd)
  const via = chosen ?? (await probe(image, probeS, out))
  const { name, files } = initFiles(image, cwd, via)
  for (const f of files) {
    await mkdir(dirname(join(cwd, f.path)), { recursive: true })
    // 'wx': a file that appeared meanwhile is not overwritten either.
    await writeFile(join(cwd, f.path), f.text, { flag: 'wx' })
  }
  const script = await addScript(cwd, pkg)
  out.write(
    [
      `bootcheck init: machine '${name}' (${image.kind}); wrote ${files.map(f => f.path).join(', ')}${script}`,
      'Next:',
      via === 'serial'
        ? `  npx bootcheck run               # boots ${name} and runs tests/${name}.test.ts`
        : `  npx bootcheck run --update-screens=missing   # boots ${name}; writes tests/${name}.test.screens/${FIRST_SCREEN}.png`,
      `  npx bootcheck shell ${name.padEnd(11)} # a terminal on its serial console`,
      '',
    ].join('\n'),
  )
  return 0
}

const OPTIONS = {
  iso: { type: 'string' },
  kernel: { type: 'string' },
  initrd: { type: 'string' },
  disk: { type: 'string' },
  console: { type: 'string' },
  'probe-timeout': { type: 'string' },
} as const

function consoleFlag(value: string | undefined): InitConsole | undefined {
  if (value === undefined || value === 'serial' || value === 'screen') return value
  throw new UsageError(`init: --console takes serial or screen, got '${value}'`)
}

function probeSeconds(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PROBE_S
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`init: --probe-timeout takes a whole number of seconds, got '${value}'`)
  return Number(value)
}

/** Boots the image once to see whether a shell answers on its serial console. */
async function probe(image: InitImage, seconds: number, out: NodeJS.WritableStream): Promise<InitConsole> {
  const name = machineName(image)
  out.write(`bootcheck init: booting ${name} to look for a shell on its serial console (up to ${seconds} s; --console serial|screen skips this)\n`)
  const started = Date.now()
  const via = await probeConsole(probeSpec(image, name), seconds * 1000)
  const took = ((Date.now() - started) / 1000).toFixed(0)
  out.write(
    via === 'serial'
      ? `bootcheck init: its shell answered after ${took} s: the first test runs a command\n`
      : `bootcheck init: no shell answered within ${seconds} s: the first test watches the screen\n`,
  )
  return via
}

/** The image, checked to be what the flag says by its first bytes. */
async function recognise(v: { iso?: string; kernel?: string; initrd?: string; disk?: string }, cwd: string): Promise<InitImage> {
  if (v.iso) {
    const iso = resolve(cwd, v.iso)
    if ((await bytesAt(iso, 0x8001, 5, '--iso')).toString('latin1') !== 'CD001') throw new UsageError(`init: ${iso} is not an ISO 9660 image (no CD001 signature at byte 32769)`)
    return { kind: 'iso', iso }
  }
  if (v.disk) {
    const disk = resolve(cwd, v.disk)
    if ((await bytesAt(disk, 0, 4, '--disk')).toString('latin1') === 'QFI\xfb') return { kind: 'disk', disk, format: 'qcow2' }
    const sig = await bytesAt(disk, 510, 2, '--disk')
    if (sig[0] === 0x55 && sig[1] === 0xaa) return { kind: 'disk', disk, format: 'raw' }
    throw new UsageError(`init: ${disk} is neither a qcow2 image nor a raw disk with a partition table (no 55 AA at byte 510)`)
  }
  const kernel = resolve(cwd, v.kernel!)
  const bzImage = (await bytesAt(kernel, 0x202, 4, '--kernel')).toString('latin1') === 'HdrS'
  const elf = (await bytesAt(kernel, 0, 4, '--kernel')).toString('latin1') === '\x7fELF'
  if (!bzImage && !elf) throw new UsageError(`init: ${kernel} is not a Linux kernel QEMU can boot directly (no bzImage HdrS header, not ELF)`)
  if (v.initrd) await bytesAt(resolve(cwd, v.initrd), 0, 1, '--initrd')
  return { kind: 'kernel', kernel, ...(v.initrd ? { initrd: resolve(cwd, v.initrd) } : {}) }
}

async function bytesAt(file: string, at: number, n: number, flag: string): Promise<Buffer> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`init: ${flag} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)
  })
  try {
    const buf = Buffer.alloc(n)
    const { bytesRead } = await fh.read(buf, 0, n, at)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

type Package = { text?: string; json: { scripts?: Record<string, string> } & Record<string, unknown> }

/** package.json as it is (a new one when missing); invalid JSON is an error before anything is written. */
async function readPackage(cwd: string): Promise<Package> {
  const file = join(cwd, 'package.json')
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return { json: { name: 'boot-tests', version: '1.0.0', private: true, type: 'module' } }
  try {
    return { text, json: JSON.parse(text) as Package['json'] }
  } catch (e) {
    throw new UsageError(`init: ${file} is not valid JSON (${(e as Error).message}); nothing was written`)
  }
}

/** Adds `"bootcheck": "bootcheck run"` to package.json (made when missing); says what it did. */
async function addScript(cwd: string, { text, json: pkg }: Package): Promise<string> {
  const file = join(cwd, 'package.json')
  if (pkg.scripts?.[INIT_SCRIPT.name] !== undefined) return `; package.json already has a '${INIT_SCRIPT.name}' script, left as it is`
  pkg.scripts = { ...pkg.scripts, [INIT_SCRIPT.name]: INIT_SCRIPT.command }
  const indent = text ? (/^[ \t]+/m.exec(text)?.[0] ?? '  ') : '  '
  await writeFile(file, JSON.stringify(pkg, null, indent) + '\n')
  return text === undefined ? `, package.json (with the script '${INIT_SCRIPT.name}')` : `; added the script '${INIT_SCRIPT.name}' to package.json`
}

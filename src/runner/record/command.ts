/**
 * `bootcheck record <spec.json | machine name> [--out FILE]`: boots the machine with its
 * live view, input unlocked, records what the user types, clicks and marks there, and
 * when the page's Stop button (or Ctrl-C, or the guest powering off) ends it, writes a
 * tap test file that replays it.
 * @module
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { resolveSpecPaths } from '../../config/config.js'
import { BootcheckError, UsageError } from '../../errors/errors.js'
import { LIVE_ENV } from '../../machine/live.js'
import type { Machine } from '../../machine/machine.js'
import { checkFile } from '../../media/image.js'
import { checkSpec } from '../../spec/check.js'
import type { MachineSpec } from '../../spec/spec.js'
import { specFiles, type SpecFile } from '../shell.js'
import { recordedTestSource, type RecordedTest } from './code.js'

/** Help of `bootcheck record`. */
export const RECORD_USAGE = `Usage:
  bootcheck record SPEC.json [--out FILE]   the machine a JSON machine spec describes (paths relative to it)
  bootcheck record NAME [--out FILE]        a machine defined in bootcheck.config.ts

Boots the machine and serves its live view (the URL is printed) with input unlocked. What
you type and click on its screen is recorded, and so are the marks of the recording tools
under the screen: "Wait for a screen region" (the guest pauses; drag a rectangle and name
it: a reference is saved beside the test file) and "Wait for a text" (the guest pauses;
type it or pick a line of the screen). "Stop and write the test" (or Ctrl-C here) writes
the test file; run it with bootcheck run FILE.

Options:
  -o, --out FILE   the test file to write (default tests/recorded.test.ts); an existing
                   file is never replaced
      --name TEXT  the test's name (default 'recorded: <machine>')
  -h, --help`

/** The command line of `bootcheck record`, parsed. */
export interface RecordArgs {
  /** A spec file (`*.json`, or any file that exists) or a machine name of the config. */
  target: string
  /** The test file to write, absolute. */
  out: string
  /** The test's name, when given. */
  testName?: string
  help: boolean
}

/** Parses the arguments after `record`. Pure. Throws {@link UsageError}. */
export function parseRecordArgs(argv: string[], cwd = process.cwd()): RecordArgs {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { out: { type: 'string', short: 'o' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
  const { values: v, positionals } = parsed
  const help = v.help === true
  if (!help && positionals.length !== 1) throw new UsageError(`give one machine: a spec file (.json) or a machine name of bootcheck.config.ts${positionals.length ? `, not ${positionals.length}` : ''}`)
  const out = resolve(cwd, v.out ?? 'tests/recorded.test.ts')
  if (!/\.(test\.)?m?ts$/.test(out)) throw new UsageError(`--out ${v.out}: the test file must end in .ts or .mts`)
  if (v.name !== undefined && v.name.trim() === '') throw new UsageError('--name is empty')
  return { target: positionals[0] ?? '', out, ...(v.name !== undefined ? { testName: v.name } : {}), help }
}

/** The machine to record: the spec to boot, and how the test file boots it. */
export interface RecordTarget {
  spec: MachineSpec
  machine: RecordedTest['machine']
  /** For messages and the test's first comment. */
  source: string
}

/**
 * The machine `args.target` names: a spec file read (paths made absolute from its folder)
 * and checked, or a machine of the config through `resolveMachine`. A tablet is added
 * (`tablet: true`) unless the spec says otherwise, so clicks land where they were made, in
 * the recording and in the replay. Throws {@link UsageError} for a bad spec, an unknown
 * machine, a missing media file or an existing `--out` file.
 */
export async function resolveRecordTarget(args: RecordArgs, resolveMachine: (name: string) => Promise<MachineSpec>): Promise<RecordTarget> {
  if (existsSync(args.out)) throw new UsageError(`${args.out} exists: bootcheck record never replaces a file; give another --out, or remove it`)
  const asFile = args.target.endsWith('.json') || (existsSync(args.target) && statSync(args.target).isFile())
  let target: RecordTarget
  if (asFile) {
    const spec = await readSpecFile(args.target)
    const tablet = spec.tablet === undefined ? { tablet: true } : {}
    target = { spec: { ...spec, ...tablet }, machine: { spec: { ...spec, ...tablet } }, source: args.target }
  } else {
    if (!/^[A-Za-z0-9._-]+$/.test(args.target)) throw new UsageError(`'${args.target}' is neither a spec file (.json) nor a machine name`)
    let spec: MachineSpec
    try {
      spec = await resolveMachine(args.target)
    } catch (e) {
      if (e instanceof BootcheckError) throw new UsageError(e.message)
      throw e
    }
    const tablet = spec.tablet === undefined ? { tablet: true } : {}
    target = { spec: { name: args.target, ...spec, ...tablet }, machine: { config: args.target, overrides: tablet }, source: args.target }
  }
  await checkMedia(target.spec)
  return target
}

async function readSpecFile(path: string): Promise<MachineSpec> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    throw new UsageError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${path}: a machine spec is a JSON object ({ "cdrom": "live.iso", … })`)
  const spec = resolveSpecPaths(value as MachineSpec, dirname(resolve(path)))
  try {
    checkSpec(spec)
  } catch (e) {
    if (e instanceof BootcheckError) throw new UsageError(`${path}: ${e.message}`)
    throw e
  }
  return spec
}

async function checkMedia(spec: MachineSpec): Promise<void> {
  const roles: Record<SpecFile['kind'], string> = { cdrom: 'ISO (cdrom)', usb: 'USB image (usb)', kernel: 'kernel', initrd: 'initrd', disk: 'disk image' }
  for (const f of specFiles(spec)) await checkFile(f.path, roles[f.kind]).catch((e: Error) => Promise.reject(new UsageError(e.message)))
}

/** What {@link recordCommand} needs from its surroundings. */
export interface RecordIo {
  /** Turns a machine name into its spec (`bootcheck.config.ts`). */
  resolveMachine: (name: string) => Promise<MachineSpec>
  /** Messages. Default `process.stderr`. */
  errors?: NodeJS.WritableStream
  /** The help text goes here. Default `process.stdout`. */
  output?: NodeJS.WritableStream
}

/**
 * `bootcheck record`: returns the exit status (0 once the test file is written, 1 when the
 * machine did not boot). Throws {@link UsageError} for a bad command line, before QEMU starts.
 */
export async function recordCommand(argv: string[], io: RecordIo): Promise<number> {
  const args = parseRecordArgs(argv)
  const say = (line: string): void => void (io.errors ?? process.stderr).write(`bootcheck record: ${line}\n`)
  if (args.help) {
    ;(io.output ?? process.stdout).write(RECORD_USAGE + '\n')
    return 0
  }
  const target = await resolveRecordTarget(args, io.resolveMachine)
  process.env[LIVE_ENV] = '1' // QEMU serves the screen for the live view
  // Loaded only now: a bad command line fails without loading the machine's modules.
  const { boot } = await import('../../api/boot.js')
  let machine: Machine
  try {
    // Its artifacts are filed under the test being recorded (the written test's spec has no testFile).
    machine = await boot({ ...target.spec, testFile: args.out })
  } catch (e) {
    say(`could not boot: ${(e as Error).message}`)
    return 1
  }
  try {
    return await recordMachine(machine, target, args, say)
  } finally {
    await machine.dispose()
  }
}

async function recordMachine(machine: Machine, target: RecordTarget, args: RecordArgs, say: (line: string) => void): Promise<number> {
  const [{ findLiveMachines }, { startLiveView }, { RecordSession }] = await Promise.all([import('../live/machines.js'), import('../live/server.js'), import('./session.js')])
  // Paused at its start, so a boot loader's countdown does not run out before the page is open.
  await machine.qmp.execute('stop')
  const [live] = await findLiveMachines(machine.artifactsDir)
  if (!live) throw new BootcheckError(`the machine's live view facts are missing in ${machine.artifactsDir}`)
  let written: string | undefined
  let ended: () => void = () => undefined
  const end = new Promise<void>(resolve => (ended = resolve))
  // Synchronous, so that a signal's handler can write the file before the process registry's ends the process.
  const write = (): string => {
    if (written) return written
    const source = recordedTestSource({ machine: target.machine, steps: session.recording.steps, testName: args.testName ?? `recorded: ${machine.name}`, source: target.source })
    try {
      mkdirSync(dirname(args.out), { recursive: true })
      writeFileSync(args.out, source, { flag: 'wx' })
    } catch (e) {
      throw new BootcheckError(`could not write ${args.out}: ${(e as Error).message}`, { cause: e })
    }
    written = args.out
    const steps = session.recording.steps.filter(s => s.kind !== 'note').length
    say(`wrote ${args.out} (${steps} steps); run it with: bootcheck run ${relative(process.cwd(), args.out) || args.out}`)
    return written
  }
  const session = new RecordSession(
    {
      pause: async () => void (await machine.qmp.execute('stop')),
      resume: async () => void (machine.running && (await machine.qmp.execute('cont'))),
      screen: () => machine.screenImage(),
      text: () => machine.screenText(),
    },
    live.id,
    args.out,
    async () => {
      const path = write()
      ended()
      return path
    },
    { paused: true },
  )
  const view = await startLiveView({ root: machine.artifactsDir, recorder: session, references: { unavailable: 'bootcheck record: mark a region with "Wait for a screen region" below' } })
  view.unlocked.add(live.id)
  process.stderr.write(`bootcheck: live view ${view.url}\n`)
  say(`recording ${machine.name} (${machine.accel.toUpperCase()}, QEMU pid ${machine.pid}, artifacts in ${relative(process.cwd(), machine.artifactsDir)}) into ${relative(process.cwd(), args.out) || args.out}; the guest is paused until you press Resume (or a key) in the page; stop with the page's button or Ctrl-C`)
  // Ctrl-C: the file is written first (prepended: the process registry's handler then ends QEMU and exits).
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const onEnd = (): void => {
    try {
      write()
    } catch (e) {
      say((e as Error).message)
    }
    ended()
  }
  for (const s of signals) process.prependListener(s, onEnd)
  void machine.exited.then(() => {
    if (written) return
    say('the machine has ended')
    onEnd()
  })
  try {
    await end
    await new Promise(r => setTimeout(r, 300)) // the page gets the answer to its Stop
  } finally {
    for (const s of signals) process.off(s, onEnd)
    await view.close()
  }
  return written ? 0 : 1
}

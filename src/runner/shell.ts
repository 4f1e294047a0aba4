import { LIVE_ENV } from '../machine/live.js'
import { startLiveView } from './live/server.js'
import { parseArgs } from 'node:util'
import { boot } from '../api/boot.js'
import type { Machine } from '../machine/machine.js'
import { parseMemory, type MachineSpec } from '../spec/spec.js'
import { checkFile } from '../media/image.js'
import { UsageError } from '../errors/errors.js'
import { attachConsole, type TerminalInput, type TerminalOutput } from '../attach/attach.js'

/** Help of `bootcheck shell`. */
export const SHELL_USAGE = `Usage:
  bootcheck shell NAME [options]                  a machine defined in the config file
  bootcheck shell --iso FILE [options]            an ISO, booted from its own boot loader
  bootcheck shell --kernel FILE [--initrd FILE] [--append "PARAMS"] [options]

Options:
  --iso FILE          ISO attached as the CD
  --kernel FILE       kernel booted directly; --initrd FILE, --append "PARAMS" go with it
  --param P           extra kernel parameter (repeatable); with --iso, added to the ISO's boot entry
  --entry LABEL       with --param: which boot entry of the ISO (default: its default)
  --usb FILE          image attached as a USB stick (never written: runs on an overlay)
  --disk FILE         image attached as a virtio disk (repeatable; never written)
  --memory SIZE       e.g. 1G, 512M (default 1G)
  --cpus N            virtual CPUs (default 1)
  --uefi              boot with UEFI firmware (OVMF) instead of SeaBIOS
  --accel auto|kvm|tcg  (default auto: KVM when it works)
  --name N            machine name in messages and artifacts (default shell)
  --ui                also serve its live view (screen, console) on 127.0.0.1; prints the URL

The terminal is attached to the guest's serial console. Ctrl-] then q powers the machine
off (ACPI power button, then quit); Ctrl-] ? lists the other escape commands.`

/** What {@link shellCommand} needs from its surroundings; all optional. */
export interface ShellIo {
  /** Turns `bootcheck shell NAME` into a machine spec, e.g. from `bootcheck.config.ts`. */
  resolveMachine?: (name: string) => Promise<MachineSpec>
  /** Default `process.stdin`. */
  input?: TerminalInput
  /** Default `process.stdout`. */
  output?: TerminalOutput
  /** Messages and errors. Default `process.stderr`. */
  errors?: NodeJS.WritableStream
}

/** The command line parsed: a machine spec from the flags, and the definition's name if one was given. */
export interface ShellArgs {
  /** `NAME` of `bootcheck shell NAME`, to resolve from the config file. */
  machine?: string
  /** The spec the flags describe; with `machine`, these fields override the definition's. */
  spec: MachineSpec
  help: boolean
  /** `--ui`: serve the live view of the machine too. */
  ui?: boolean
}

const OPTIONS = {
  iso: { type: 'string' },
  kernel: { type: 'string' },
  initrd: { type: 'string' },
  append: { type: 'string' },
  param: { type: 'string', multiple: true },
  entry: { type: 'string' },
  usb: { type: 'string' },
  disk: { type: 'string', multiple: true },
  memory: { type: 'string' },
  cpus: { type: 'string' },
  uefi: { type: 'boolean' },
  accel: { type: 'string' },
  name: { type: 'string' },
  ui: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * Parses the arguments of `bootcheck shell` (after the word `shell`). Pure: files are
 * checked by {@link checkShellFiles}. Throws {@link UsageError} with a message naming
 * the problem.
 */
export function parseShellArgs(argv: string[]): ShellArgs {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    // Node's message for an unknown option goes on about positionals starting with '-'.
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new UsageError(`bootcheck shell: ${lowerFirst(message)}`)
  }
  const { values: v, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`bootcheck shell: one machine name at most, got ${positionals.join(', ')}`)
  const machine = positionals[0]
  if (v.iso !== undefined && v.kernel !== undefined) {
    throw new UsageError('bootcheck shell: --iso and --kernel exclude each other; give one of them')
  }
  if (v.kernel === undefined) {
    if (v.initrd !== undefined) throw new UsageError('bootcheck shell: --initrd needs --kernel')
    if (v.append !== undefined) throw new UsageError('bootcheck shell: --append needs --kernel (use --param to add to an ISO’s boot entry)')
  }
  if ((v.param || v.entry) && v.kernel === undefined && v.iso === undefined && v.usb === undefined && machine === undefined) {
    throw new UsageError('bootcheck shell: --param and --entry need --kernel or an ISO (--iso or --usb)')
  }
  if (v.entry !== undefined && v.kernel !== undefined) throw new UsageError('bootcheck shell: --entry is for an ISO’s boot entries, not --kernel')
  if (!v.help && machine === undefined && !v.iso && !v.kernel && !v.usb && !v.disk?.length) {
    throw new UsageError('bootcheck shell: nothing to boot; give a machine name, --iso, --kernel, --usb or --disk')
  }
  const name = v.name ?? (machine === undefined ? 'shell' : undefined)
  if (name !== undefined && !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new UsageError(`bootcheck shell: --name may hold letters, digits, '.', '_' and '-' only, got ${JSON.stringify(name)}`)
  }
  if (v.memory !== undefined) {
    try {
      parseMemory(v.memory)
    } catch (e) {
      throw new UsageError(`bootcheck shell: --${(e as Error).message}`)
    }
  }
  const cpus = v.cpus === undefined ? undefined : Number(v.cpus)
  if (cpus !== undefined && (!Number.isInteger(cpus) || cpus < 1)) throw new UsageError(`bootcheck shell: --cpus needs a positive whole number, got '${v.cpus}'`)
  if (v.accel !== undefined && !['auto', 'kvm', 'tcg'].includes(v.accel)) {
    throw new UsageError(`bootcheck shell: --accel takes auto, kvm or tcg, got '${v.accel}'`)
  }
  const kernelParams = [...(v.append?.split(/\s+/).filter(Boolean) ?? []), ...(v.param ?? [])]
  const spec: MachineSpec = {
    ...(name !== undefined ? { name } : {}),
    ...(v.iso !== undefined ? { cdrom: v.iso } : {}),
    ...(v.kernel !== undefined ? { kernel: v.kernel } : {}),
    ...(v.initrd !== undefined ? { initrd: v.initrd } : {}),
    ...(kernelParams.length || v.append !== undefined ? { kernelParams } : {}),
    ...(v.entry !== undefined ? { bootEntry: v.entry } : {}),
    ...(v.usb !== undefined ? { usb: v.usb } : {}),
    ...(v.disk?.length ? { disks: [...v.disk] } : {}),
    ...(v.memory !== undefined ? { memory: v.memory } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(v.uefi ? { firmware: 'uefi' as const } : {}),
    ...(v.accel !== undefined ? { accel: v.accel as 'auto' | 'kvm' | 'tcg' } : {}),
  }
  return { ...(machine !== undefined ? { machine } : {}), spec, help: v.help === true, ...(v.ui ? { ui: true } : {}) }
}

/**
 * The machine spec of a `bootcheck shell` command line given with files (`--iso`,
 * `--kernel`, …). Pure. Throws {@link UsageError} for a bad command line, and for a
 * machine name, which needs {@link shellCommand} and its `resolveMachine`.
 */
export function shellSpecFromArgs(argv: string[]): MachineSpec {
  const args = parseShellArgs(argv)
  if (args.machine !== undefined) throw new UsageError(`bootcheck shell: '${args.machine}' is a machine name; resolving it needs the config file`)
  return args.spec
}

/**
 * Checks that every file the spec names exists and is readable, so a typo fails at once
 * with the file's role and path, before any QEMU starts. Throws {@link UsageError}.
 */
export async function checkShellFiles(spec: MachineSpec): Promise<void> {
  const roles: Record<SpecFile['kind'], string> = { cdrom: 'ISO (--iso)', kernel: 'kernel (--kernel)', initrd: 'initrd (--initrd)', usb: 'USB image (--usb)', disk: 'disk image (--disk)' }
  for (const f of specFiles(spec)) {
    await checkFile(f.path, roles[f.kind]).catch((e: Error) => {
      throw new UsageError(`bootcheck shell: ${lowerFirst(e.message)}`)
    })
  }
}

/** A file a machine spec boots from (see {@link specFiles}). */
export interface SpecFile {
  path: string
  kind: 'cdrom' | 'kernel' | 'initrd' | 'usb' | 'disk'
}

/** The files a spec boots from that a command checks before any QEMU starts (`shell`, `record`): CD, kernel, initrd, USB stick, disk images. */
export function specFiles(spec: MachineSpec): SpecFile[] {
  const named: Array<[string | undefined, SpecFile['kind']]> = [
    [spec.cdrom, 'cdrom'],
    [spec.kernel, 'kernel'],
    [spec.initrd, 'initrd'],
    [spec.usb, 'usb'],
    ...(spec.disks ?? []).map((d): [string | undefined, SpecFile['kind']] => [typeof d === 'string' ? d : d.image, 'disk']),
  ]
  return named.flatMap(([path, kind]) => (path === undefined ? [] : [{ path, kind }]))
}

/**
 * `bootcheck shell`: boots the machine the arguments describe (or the named definition,
 * through `io.resolveMachine`), attaches the terminal to its serial console, and stops
 * and disposes the machine when the user leaves (escape, then `q`) or QEMU exits.
 * Returns the exit status: 0 after leaving or a clean power off by the guest, 1 when
 * the boot failed or QEMU ended otherwise, 2 for a bad command line or a missing file.
 * SIGINT, SIGTERM and SIGHUP end QEMU by pid (the process registry) before exiting.
 */
export async function shellCommand(argv: string[], io: ShellIo = {}): Promise<number> {
  const errors = io.errors ?? process.stderr
  const say = (line: string): void => void errors.write(`bootcheck shell: ${line}\n`)
  let spec: MachineSpec
  let ui = false
  try {
    const args = parseShellArgs(argv)
    ui = args.ui === true
    if (args.help) {
      ;(io.output ?? process.stdout).write(SHELL_USAGE + '\n')
      return 0
    }
    spec = args.spec
    if (args.machine !== undefined) {
      if (!io.resolveMachine) throw new UsageError(`bootcheck shell: no machine definitions here to find '${args.machine}' in; give --iso or --kernel`)
      spec = { name: args.machine, ...(await io.resolveMachine(args.machine)), ...spec }
    }
    spec = { failOn: false, ...spec }
    await checkShellFiles(spec)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    errors.write(`${e.message}\nRun 'bootcheck shell --help' for the options.\n`)
    return 2
  }
  let machine: Machine
  // The live view's VNC socket is asked of QEMU through the environment, as for a run's tests.
  if (ui) process.env[LIVE_ENV] = '1'
  try {
    machine = await boot(spec)
  } catch (e) {
    say(`could not boot: ${(e as Error).message}`)
    return 1
  }
  const live = ui ? await startLiveView({ root: machine.artifactsDir, references: { unavailable: 'bootcheck shell boots no test file, so there is nowhere to put references (make them under bootcheck run --ui, or in the trace)' } }) : undefined
  if (live) errors.write(`bootcheck: live view ${live.url}\n`)
  try {
    say(`${machine.name} runs on ${machine.accel.toUpperCase()}, QEMU pid ${machine.pid}; artifacts (console log, QEMU command) in ${machine.artifactsDir}`)
    const how = await attachConsole(machine, { input: io.input ?? process.stdin, output: io.output ?? process.stdout })
    const exit = await machine.exited
    if (how === 'exited' && (exit.code !== 0 || exit.signal)) return 1
    return 0
  } finally {
    await machine.dispose()
    await live?.close()
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

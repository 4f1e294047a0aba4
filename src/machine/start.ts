/**
 * Starting a machine: the spec is checked, the launch prepared and planned, room is asked
 * for (the runner's memory budget, through the {@link Admit} the caller gives), and QEMU is
 * started with its console, fail-fast watcher, QMP connection and artifacts. Knows nothing
 * of tap, the config file or the runner: `src/api/boot.ts` puts those around it.
 * @module
 */
import { liveDisplayArgs } from './live.js'
import { appendFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { SerialConsole } from '../console/console.js'
import { DEFAULT_FAILURE_PATTERNS, FailureWatcher } from '../console/failfast.js'
import { UBOOT_FAILURE_PATTERNS } from '../console/uboot.js'
import { GuestFailureError, MachineExitedError, NetworkError, QemuStartError, SnapshotError, SpecError } from '../errors/errors.js'
import { isProtocolLine, SHELL_PROTOCOL } from '../guest/protocol.js'
import { buildQemuArgv, shellQuote, type LaunchPlan } from '../qemu/argv.js'
import { detectAccelerator, resolveQemuBinary } from '../qemu/accel.js'
import { DEFAULT_QEMU } from '../qemu/binary.js'
import { QemuProcess } from '../qemu/process.js'
import { trackScratch, untrackScratch } from '../qemu/registry.js'
import { QmpClient } from '../qmp/client.js'
import { ARCH_PROFILES, foreignArchReason, type Arch } from '../spec/arch.js'
import { checkSpec, type CheckedSpec } from '../spec/check.js'
import type { MachineSpec } from '../spec/spec.js'
import { makeScratchDir } from '../util/scratch.js'
import { within } from '../util/sleep.js'
import { ARTIFACT_FILES, createArtifactsDir, markMachineEnded, recordPid, writeMachineFacts } from './artifacts.js'
import { Machine } from './machine.js'
import { Network } from './network.js'
import { launchPlan } from './plan.js'
import { bootOrigin } from './origin.js'
import { prepareLaunch, type Owned } from './prepare.js'
import { readManifest } from './snapshot-manifest.js'
import { secret } from '../errors/secret.js'
import { loadSnapshotState, prepareRestore, type PreparedRestore } from './snapshot-restore.js'
import type { MachineOrigin } from './snapshot-save.js'
import { quoteLines } from '../util/quote.js'

/** What a machine asks for before QEMU starts. */
export interface AdmissionRequest {
  machine: string
  /** The test's name path joined with ' > '. */
  test: string
  memoryMiB: number
  cpus: number
}

/** A machine's place in a budget: progress reports while it runs, and its release when QEMU ends. */
export interface Admission {
  /** What the machine does now; called often, so it must be cheap. */
  status(update: { stage?: string; line?: string }): void
  /** Gives the room back; may be called twice. */
  release(): void
}

/** Waits until a machine may start (e.g. the runner's memory budget has room). */
export type Admit = (request: AdmissionRequest) => Promise<Admission>

/** How {@link startMachine} is placed: the test it belongs to, how it is admitted, where notes go. */
export interface StartContext {
  /** The test's name path, outermost first; empty outside a test. */
  test: string[]
  /** Default: admitted at once. */
  admit?: Admit
  /** Where the accelerator note goes. Default: stderr. */
  note?: (line: string) => void
}

/**
 * The QEMU binary a spec runs on, found in PATH: `qemu`, else for x86_64 `$BOOTCHECK_QEMU`
 * or `qemu-system-x86_64`, else the architecture's binary (e.g. `qemu-system-aarch64`). A
 * missing one is a {@link QemuStartError} naming its Debian package.
 */
export function specQemuBinary(spec: MachineSpec, arch: Arch = spec.arch ?? 'x86_64'): Promise<string> {
  const profile = ARCH_PROFILES[arch]
  const fallback = arch === 'x86_64' ? (process.env.BOOTCHECK_QEMU ?? DEFAULT_QEMU) : profile.qemu
  return resolveQemuBinary(spec.qemu ?? fallback, process.env, profile.qemuPackage)
}

/**
 * The accelerator: the spec's `accel` when it names one, TCG for a guest architecture the
 * host's KVM cannot run (`accel: 'kvm'` there is a {@link SpecError}), else the probe's
 * decision.
 */
export async function chooseAccelerator(spec: MachineSpec, arch: Arch, qemu: string): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
  const foreign = foreignArchReason(arch)
  if (foreign && spec.accel === 'kvm') throw new SpecError(`boot: accel 'kvm' is impossible here: ${foreign}; use 'tcg' or 'auto'`)
  if (spec.accel === 'kvm' || spec.accel === 'tcg') return { accel: spec.accel, reason: 'chosen in the machine spec' }
  if (foreign) return { accel: 'tcg', reason: foreign }
  return detectAccelerator({ qemu })
}

/** The prefix of a machine's temporary folder in the system's temp folder. */
export const MACHINE_SCRATCH_PREFIX = 'bootcheck-vm-'

const ADMIT_AT_ONCE: Admit = async () => ({ status: () => {}, release: () => {} })

/**
 * Starts a machine and returns it once QEMU runs and QMP answers (the guest still boots).
 * On any failure everything started so far is stopped and the temporary folder removed.
 *
 * The phases: {@link resolveStart} (the spec checked, a snapshot's manifest, name, QEMU,
 * accelerator), the networks reserved and a work folder made, {@link planStart} (a launch
 * prepared and planned, or a restore), room asked for and the facts written,
 * {@link openConsole}, {@link spawnQemu}, {@link connectQmp} (and the saved state loaded),
 * then the {@link Machine}.
 */
export async function startMachine(spec: MachineSpec, ctx: StartContext): Promise<Machine> {
  const r = await resolveStart(spec, ctx)
  const { name } = r
  const test = ctx.test.join(' > ')
  const networks = joinNetworks(spec, name, test)
  const workDir = await makeScratchDir(MACHINE_SCRATCH_PREFIX)
  trackScratch(workDir)
  let admission: Admission | undefined
  const owned: Owned = {}
  try {
    const testFile = resolve(spec.testFile ?? process.argv[1] ?? 'bootcheck')
    const artifactsDir = await createArtifactsDir({ file: testFile, test: ctx.test, machine: name })
    const { plan, origin, restore } = await planStart(spec, r, workDir, artifactsDir, owned)
    admission = await (ctx.admit ?? ADMIT_AT_ONCE)({ machine: name, test, memoryMiB: plan.memoryMiB, cpus: plan.cpus })
    await writeMachineFacts(artifactsDir, {
      machine: name,
      test,
      file: testFile,
      accel: r.accel,
      arch: basename(r.qemu).replace(/^qemu-system-/, ''),
      firmware: plan.firmware.kind,
      memoryMiB: plan.memoryMiB,
      cpus: plan.cpus,
      startedAt: new Date().toISOString(),
      ...(restore ? { restoredFrom: resolve(r.restoreDir!) } : {}),
      ...(networks.length ? { networks: networks.map(n => ({ name: n.name, capture: n.capturePath })) } : {}),
    })
    const argv = [...buildQemuArgv(plan), ...(await liveDisplayArgs(workDir, artifactsDir))]
    await writeFile(join(artifactsDir, ARTIFACT_FILES.command), shellQuote([r.qemu, ...argv]) + '\n')
    const io: { proc?: QemuProcess } = {}
    const console = openConsole(spec, name, plan, artifactsDir, admission, data => io.proc!.write(data))
    const proc = (io.proc = spawnQemu(r.qemu, argv, name, artifactsDir, console, admission))
    const qmp = await connectQmp(plan, proc, name, artifactsDir)
    if (restore) await loadRestoredState(qmp, restore, proc, name, r.restoreDir!, artifactsDir)
    const machine = new Machine({
      name,
      accel: r.accel,
      process: proc,
      console,
      qmp,
      artifactsDir,
      workDir,
      timeout: spec.timeout ?? 120_000,
      bootTimeout: spec.bootTimeout ?? 300_000,
      testFile,
      ...((spec.login ?? origin.login) ? { login: (spec.login ?? origin.login)! } : {}),
      ...((spec.shellProbe ?? origin.shellProbe) ? { shellProbe: (spec.shellProbe ?? origin.shellProbe)! } : {}),
      ...shellPromptOf(spec, origin),
      ...(owned.http ? { http: owned.http } : {}),
      origin,
      // Helper functions of another bootcheck version are set up again, not trusted.
      ...(restore ? { shellReady: restore.manifest.shellReady ? (restore.manifest.shellProtocol === SHELL_PROTOCOL ? 'ready' : 'prompt') : 'no' } : {}),
    })
    for (const n of networks) n.join(machine)
    if (spec.syncClock) await machine.syncClock()
    return machine
  } catch (e) {
    for (const n of networks) n.unreserve(name)
    admission?.release()
    await owned.http?.close()
    await rm(workDir, { recursive: true, force: true })
    untrackScratch(workDir)
    throw e
  }
}

/** What {@link resolveStart} settles before anything is made. */
interface ResolvedStart {
  checked: CheckedSpec
  restoreDir: string | undefined
  manifest: Awaited<ReturnType<typeof readManifest>> | undefined
  name: string
  qemu: string
  accel: 'kvm' | 'tcg'
}

/** The accelerator notes already written by this process. */
const saidAccel = new Set<string>()

/** Checks the spec, reads a snapshot's manifest (a bad folder fails here), names the machine and picks QEMU and the accelerator. */
async function resolveStart(spec: MachineSpec, ctx: StartContext): Promise<ResolvedStart> {
  const checked = checkSpec(spec)
  // A login password is a secret: masked in every log, report and message from now on.
  if (spec.login?.password) secret(spec.login.password)
  const restoreDir = spec.from === undefined ? undefined : typeof spec.from === 'string' ? spec.from : spec.from.dir
  // A bad snapshot folder fails here, before anything starts.
  const manifest = restoreDir ? await readManifest(restoreDir) : undefined
  const name = spec.name ?? manifest?.machine ?? 'machine'
  const arch = (manifest?.plan.arch as Arch | undefined) ?? spec.arch ?? 'x86_64'
  const qemu = await specQemuBinary(spec, arch)
  const accel = await chooseAccelerator(spec, arch, qemu)
  const note = ctx.note ?? (line => process.stderr.write(`bootcheck: ${line}\n`))
  const why = `${accel.accel === 'kvm' ? 'KVM' : 'TCG (software emulation)'}: ${accel.reason}`
  // said once a process for each reason, by the first machine it applies to
  if (!saidAccel.has(why)) {
    saidAccel.add(why)
    note(`${name}: ${why}`)
  }
  return { checked, restoreDir, manifest, name, qemu, accel: accel.accel }
}

/** The launch plan and origin: a snapshot's (its overlays prepared) or a fresh launch's (media prepared, then planned). */
async function planStart(
  spec: MachineSpec,
  r: ResolvedStart,
  workDir: string,
  artifactsDir: string,
  owned: Owned,
): Promise<{ plan: LaunchPlan; origin: MachineOrigin; restore?: PreparedRestore }> {
  if (r.restoreDir) {
    // A failure capsule's cards go onto the networks of these names (see docs/capsules.md).
    const networks = new Map((spec.nics ?? []).filter((n): n is Network => n instanceof Network).map(n => [n.name, { socketDir: n.socketDir, captureDir: n.captureDir }]))
    const shares = new Map((spec.shares ?? []).map(s => [s.guest.replace(/\/+$/, ''), s.host]))
    const target = { name: r.name, qemu: r.qemu, accel: r.accel, workDir, artifactsDir, networks, shares, ...(spec.qemuArgs ? { qemuArgs: spec.qemuArgs } : {}) }
    const restore = await prepareRestore(r.restoreDir, r.manifest!, target, owned)
    return { plan: restore.plan, origin: restore.origin, restore }
  }
  const prepared = await prepareLaunch(spec, workDir, artifactsDir, owned)
  const plan = launchPlan(spec, { name: r.name, accel: r.accel, workDir, memoryMiB: r.checked.memoryMiB }, prepared)
  return { plan, origin: bootOrigin(spec, r.qemu, plan, workDir, owned.http) }
}

/** The serial console with its transcript, progress lines for the admission, and the fail-fast watcher. */
function openConsole(spec: MachineSpec, name: string, plan: LaunchPlan, artifactsDir: string, admitted: Admission, write: (data: string) => void): SerialConsole {
  const console = new SerialConsole({
    name,
    write,
    logFile: join(artifactsDir, ARTIFACT_FILES.console),
    defaultTimeout: spec.timeout ?? 120_000,
  })
  console.onText(progressLines(line => admitted.status({ line })))
  if (spec.failOn !== false) {
    const patterns = spec.failOn ?? (plan.firmware.kind === 'u-boot' ? [...DEFAULT_FAILURE_PATTERNS, ...UBOOT_FAILURE_PATTERNS] : DEFAULT_FAILURE_PATTERNS)
    const watcher = new FailureWatcher(patterns, f => {
      const lines = quoteLines(f.context)
      const message = `${name}: ${f.name} on the serial console:\n${lines}\nFull transcript: ${console.logFile}\nArtifacts: ${artifactsDir}`
      console.fail(new GuestFailureError(message, f.name, f.line))
    })
    console.onText(text => watcher.push(text))
  }
  return console
}

/** Starts QEMU on the console; when it exits, the room is given back and the console ends with {@link MachineExitedError}. */
function spawnQemu(qemu: string, argv: string[], name: string, artifactsDir: string, console: SerialConsole, admitted: Admission): QemuProcess {
  const stderrFile = join(artifactsDir, ARTIFACT_FILES.stderr)
  const proc = QemuProcess.spawn({ qemu, argv, stderrFile, label: name, onData: d => console.push(d) })
  admitted.status({ stage: 'booting' })
  void recordPid(artifactsDir, proc.pid)
  void proc.exited.then(exit => {
    // The end time is taken before the room is given back, so a machine that waited
    // for it always starts after this one ended.
    const endedAt = new Date()
    admitted.release()
    void markMachineEnded(artifactsDir, endedAt, proc.sampleCpu()).catch(() => undefined)
    const how = exit.signal ? `signal ${signalName(exit.signal)}` : `code ${exit.code}`
    console.end(new MachineExitedError(`QEMU for ${name} exited (${how}).${stderrSuffix(exit.stderr)}\nArtifacts: ${artifactsDir}`))
  })
  return proc
}

/** Connects to QMP, logging its traffic; a QEMU that exits or never answers is a {@link QemuStartError}. */
async function connectQmp(plan: LaunchPlan, proc: QemuProcess, name: string, artifactsDir: string): Promise<QmpClient> {
  const qmpLog = join(artifactsDir, ARTIFACT_FILES.qmp)
  return QmpClient.connect(plan.qmpSocket, {
    isAlive: () => proc.alive,
    onTraffic: (dir, line) => appendFileSync(qmpLog, `${dir === 'send' ? '>' : '<'} ${line}\n`),
  }).catch(async e => {
    const exit = await within(proc.exited, 2000)
    await proc.kill()
    if (exit) {
      const why = exit.stderr.trim() || `exit code ${exit.code}`
      throw new QemuStartError(`QEMU for ${name} did not start: ${why}\nCommand: ${join(artifactsDir, ARTIFACT_FILES.command)}`)
    }
    throw new QemuStartError(`QEMU for ${name} started but its QMP socket did not answer: ${(e as Error).message}`, { cause: e })
  })
}

/** Loads a snapshot's saved state; QEMU rejecting it is a {@link SnapshotError}. */
async function loadRestoredState(qmp: QmpClient, restore: PreparedRestore, proc: QemuProcess, name: string, restoreDir: string, artifactsDir: string): Promise<void> {
  await loadSnapshotState(qmp, restore, name, () => proc.alive).catch(async e => {
    const exit = await within(proc.exited, 2000)
    await proc.kill()
    // QEMU ends when it cannot load a stream: say so rather than how QMP noticed.
    const why = exit ? `QEMU rejected the saved state (damaged, or not of this machine) and ended.${stderrSuffix(exit.stderr)}` : (e as Error).message
    throw new SnapshotError(`${name} could not be restored from '${restoreDir}': ${why}\nArtifacts: ${artifactsDir}`, { cause: e })
  })
}

/** Reserves the machine's place on each network of its spec (see {@link Network.reserve}). */
function joinNetworks(spec: MachineSpec, name: string, test: string): Network[] {
  const networks: Network[] = []
  try {
    for (const n of spec.nics ?? []) {
      if (n === 'user') continue
      if (!(n instanceof Network)) throw new NetworkError(`${name}: nics holds '${n.name}', which is not a network made by network(t, …)`)
      n.reserve(name, test)
      networks.push(n)
    }
  } catch (e) {
    for (const n of networks) n.unreserve(name)
    throw e
  }
  return networks
}

/**
 * Turns console text into the last whole line of each chunk that is not bootcheck's own
 * protocol, for progress displays. A chunk may end in the middle of a line.
 */
export function progressLines(emit: (line: string) => void): (text: string) => void {
  let partial = ''
  return text => {
    const lines = (partial + text).split('\n')
    partial = lines.pop()!.slice(-500)
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i]!.replace(/[\x00-\x1f]/g, '').trim()
      if (l && !isProtocolLine(l)) return emit(l.length > 160 ? l.slice(0, 157) + '…' : l)
    }
  }
}

/** A signal number as its name and number, e.g. `SIGSEGV (11)`. */
export function signalName(signal: number): string {
  const name = Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0]
  return name ? `${name} (${signal})` : String(signal)
}

function stderrSuffix(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean).slice(-10)
  return lines.length ? `\nQEMU said:\n${quoteLines(lines)}` : ''
}

/** The machine's known shell prompt: the spec's, or the one its snapshot kept. */
function shellPromptOf(spec: MachineSpec, origin: MachineOrigin): { shellPrompt?: RegExp } {
  if (spec.shellPrompt !== undefined) return { shellPrompt: typeof spec.shellPrompt === 'string' ? new RegExp(spec.shellPrompt) : spec.shellPrompt }
  return origin.shellPrompt ? { shellPrompt: new RegExp(origin.shellPrompt.source, origin.shellPrompt.flags) } : {}
}

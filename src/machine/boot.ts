import { appendFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SerialConsole } from '../console/console.js'
import { DEFAULT_FAILURE_PATTERNS, FailureWatcher } from '../console/failfast.js'
import { extractBootFiles } from '../media/bootconfig.js'
import { checkFile } from '../media/image.js'
import { createOverlay } from '../media/overlay.js'
import { prepareUefi } from '../media/firmware.js'
import { NetbootHttpServer } from '../net/http.js'
import { IPXE_CHAIN_SCRIPT, ipxeChainScript } from '../net/ipxe.js'
import { checkServedRoot, isServedFile, layOverlay, resolveServedPath, type Overlay } from '../net/tree.js'
import { buildQemuArgv, shellQuote, type LaunchPlan } from '../qemu/argv.js'
import { detectAccelerator, resolveQemuBinary } from '../qemu/accel.js'
import { QemuProcess } from '../qemu/process.js'
import { trackScratch, untrackScratch } from '../qemu/registry.js'
import { QmpClient } from '../qmp/client.js'
import { GuestFailureError, MachineExitedError, MediumError, QemuStartError } from '../errors/errors.js'
import { within } from '../util/sleep.js'
import { machineFromConfig } from '../config/config.js'
import { attachAfterFailure, debugRequested } from '../runner/debug.js'
import { acquireLease, type Lease } from '../runner/client.js'
import { createArtifactsDir, markMachineEnded, recordPid, testPath, writeMachineFacts } from './artifacts.js'
import { Machine } from './machine.js'
import { parseMemory, type MachineSpec } from './spec.js'

/**
 * The part of a tap test `boot` uses: a teardown hook, and optionally a way to print
 * comments and the test's name. Any tap `t` fits.
 */
export interface TestContext {
  teardown(fn: () => unknown): void
  comment?(...message: unknown[]): void
  fullname?: string
  name?: string
  passing?(): boolean
}

/**
 * Boots a machine and returns it once QEMU runs and QMP answers (the guest is still
 * booting: wait for console text or run a command next).
 *
 * With a tap `t` first, the machine is stopped when the test ends, fails or times out.
 * Without it, call {@link Machine.dispose} yourself. Every QEMU process is also ended when
 * the runner exits or gets SIGINT/SIGTERM.
 *
 * ```ts
 * const vm = await boot(t, { cdrom: 'live.iso', memory: '1G' })
 * await vm.console.waitFor(/# $/)
 * ```
 *
 * With a name instead of a spec, the machine definition of that name in
 * `bootcheck.config.ts` is used, with `overrides` laid over it:
 * `boot(t, 'live', { kernelParams: ['copytoram'] })`.
 */
export async function boot(t: TestContext, spec: MachineSpec | string, overrides?: Partial<MachineSpec>): Promise<Machine>
export async function boot(spec: MachineSpec): Promise<Machine>
export async function boot(a: TestContext | MachineSpec, b?: MachineSpec | string, overrides?: Partial<MachineSpec>): Promise<Machine> {
  const t = b === undefined ? undefined : (a as TestContext)
  // A name is a machine definition from bootcheck.config.ts.
  const spec = typeof b === 'string' ? await machineFromConfig(b, overrides) : { ...(b ?? (a as MachineSpec)), ...overrides }
  const name = spec.name ?? 'machine'
  checkSpec(spec)
  const qemu = await resolveQemuBinary(spec.qemu ?? process.env.BOOTCHECK_QEMU ?? 'qemu-system-x86_64')
  const accel = await chooseAccel(spec, qemu)
  const note = `${name}: ${accel.accel === 'kvm' ? 'KVM' : 'TCG (software emulation)'}: ${accel.reason}`
  if (t?.comment) t.comment(note)
  else process.stderr.write(`bootcheck: ${note}\n`)

  const workDir = await mkdtemp(join(tmpdir(), 'bootcheck-'))
  trackScratch(workDir)
  let machine: Machine | undefined
  let lease: Lease | undefined
  const owned: Owned = {}
  try {
    const test = testPath(t)
    const file = resolve(spec.testFile ?? process.argv[1] ?? 'bootcheck')
    const artifactsDir = await createArtifactsDir({ file, test, machine: name })
    const plan = await makePlan(spec, name, accel.accel, workDir, artifactsDir, owned)
    // Under `bootcheck run`, wait here until the run's memory budget has room.
    lease = await acquireLease({ machine: name, test: test.join(' > '), memoryMiB: plan.memoryMiB, cpus: plan.cpus })
    await writeMachineFacts(artifactsDir, {
      machine: name,
      test: test.join(' > '),
      file,
      accel: accel.accel,
      memoryMiB: plan.memoryMiB,
      cpus: plan.cpus,
      startedAt: new Date().toISOString(),
    })
    const argv = buildQemuArgv(plan)
    await writeFile(join(artifactsDir, 'qemu-command.txt'), shellQuote([qemu, ...argv]) + '\n')
    const console = new SerialConsole({
      name,
      write: data => proc.write(data),
      logFile: join(artifactsDir, 'console.log'),
      defaultTimeout: spec.timeout ?? 120_000,
    })
    const leased = lease
    let partial = ''
    console.onText(text => {
      // Whole lines only: a chunk may end in the middle of one.
      const lines = (partial + text).split('\n')
      partial = lines.pop()!.slice(-500)
      const line = lastLine(lines.join('\n'))
      if (line) leased.status({ line })
    })
    if (spec.failOn !== false) {
      const watcher = new FailureWatcher(spec.failOn ?? DEFAULT_FAILURE_PATTERNS, f => {
        const lines = f.context.map(l => `  | ${l}`).join('\n')
        const message = `${name}: ${f.name} on the serial console:\n${lines}\nFull transcript: ${console.logFile}\nArtifacts: ${artifactsDir}`
        console.fail(new GuestFailureError(message, f.name, f.line))
      })
      console.onText(text => watcher.push(text))
    }
    const stderrFile = join(artifactsDir, 'qemu-stderr.log')
    const proc = QemuProcess.spawn({ qemu, argv, stderrFile, label: name, onData: d => console.push(d) })
    leased.status({ stage: 'booting' })
    void recordPid(artifactsDir, proc.pid)
    void proc.exited.then(exit => {
      // The end time is taken before the memory is given back, so a machine that waited
      // for it always starts after this one ended.
      const endedAt = new Date()
      leased.release()
      void markMachineEnded(artifactsDir, endedAt).catch(() => undefined)
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`
      console.end(new MachineExitedError(`QEMU for ${name} exited (${how}).${stderrSuffix(exit.stderr)}`))
    })
    const qmpLog = join(artifactsDir, 'qmp.log')
    const qmp = await QmpClient.connect(plan.qmpSocket, {
      isAlive: () => proc.alive,
      onTraffic: (dir, line) => appendFileSync(qmpLog, `${dir === 'send' ? '>' : '<'} ${line}\n`),
    }).catch(async e => {
      const exit = await within(proc.exited, 2000)
      await proc.kill()
      if (exit) {
        const why = exit.stderr.trim() || `exit code ${exit.code}`
        throw new QemuStartError(`QEMU for ${name} did not start: ${why}\nCommand: ${join(artifactsDir, 'qemu-command.txt')}`)
      }
      throw new QemuStartError(`QEMU for ${name} started but its QMP socket did not answer: ${(e as Error).message}`, { cause: e })
    })
    machine = new Machine({
      name,
      accel: accel.accel,
      process: proc,
      console,
      qmp,
      artifactsDir,
      workDir,
      timeout: spec.timeout ?? 120_000,
      bootTimeout: spec.bootTimeout ?? 300_000,
      testFile: resolve(spec.testFile ?? process.argv[1] ?? 'bootcheck'),
      ...(spec.login ? { login: spec.login } : {}),
      ...(spec.shellProbe ? { shellProbe: spec.shellProbe } : {}),
      ...(owned.http ? { http: owned.http } : {}),
    })
    const m = machine
    t?.teardown(async () => {
      // Name the folder next to the failure in the test's output.
      if (t.passing && !t.passing()) {
        t.comment?.(`artifacts of ${name}: ${artifactsDir}`)
        if (debugRequested()) await attachAfterFailure(m, test.join(' > ') || name, line => t.comment?.(line))
      }
      await m.dispose()
    })
    return machine
  } catch (e) {
    if (!machine) {
      lease?.release()
      await owned.http?.close()
      await rm(workDir, { recursive: true, force: true })
      untrackScratch(workDir)
    }
    throw e
  }
}

/** What a boot starts besides QEMU and must stop again (on failure, or in `dispose`). */
interface Owned {
  http?: NetbootHttpServer
}

function checkSpec(spec: MachineSpec): void {
  if (!spec.cdrom && !spec.usb && !spec.disks?.length && !spec.kernel && !spec.pxe && !spec.ipxe) {
    throw new TypeError('boot: nothing to boot; give cdrom, usb, disks, kernel, pxe or ipxe')
  }
  if (spec.pxe && spec.ipxe) throw new TypeError('boot: give pxe or ipxe, not both (one NIC boots one way)')
  if ((spec.pxe || spec.ipxe) && spec.kernel) {
    throw new TypeError(`boot: kernel (a direct kernel boot) and ${spec.pxe ? 'pxe' : 'ipxe'} (a network boot) exclude each other`)
  }
  if (spec.pxe && spec.kernelParams?.length && !spec.cdrom && !spec.usb) {
    throw new TypeError(
      'boot: with pxe the kernel command line comes from the boot loader fetched over TFTP; ' +
        "lay your own configuration over the root, e.g. overlay: { 'pxelinux.cfg/default': … }",
    )
  }
  if (spec.bootFrom === 'net' && !spec.pxe && !spec.ipxe) throw new TypeError("boot: bootFrom 'net' needs pxe or ipxe")
  if (spec.initrd && !spec.kernel) throw new TypeError('boot: initrd given without kernel')
  if ((spec.kernelParams?.length || spec.bootEntry) && !spec.kernel && !spec.cdrom && !spec.usb && !spec.ipxe) {
    throw new TypeError('boot: kernelParams need a kernel, or an ISO (cdrom or usb) whose boot entry they extend')
  }
  if (spec.cpus !== undefined && (!Number.isInteger(spec.cpus) || spec.cpus < 1)) {
    throw new TypeError(`boot: cpus must be a positive integer, got ${spec.cpus}`)
  }
  if (spec.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(spec.name)) {
    throw new TypeError(`boot: name may hold letters, digits, '.', '_' and '-' only, got ${JSON.stringify(spec.name)}`)
  }
}

async function chooseAccel(spec: MachineSpec, qemu: string): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
  if (spec.accel === 'kvm' || spec.accel === 'tcg') return { accel: spec.accel, reason: 'chosen in the machine spec' }
  return detectAccelerator({ qemu })
}

async function makePlan(
  spec: MachineSpec,
  name: string,
  accel: 'kvm' | 'tcg',
  workDir: string,
  artifactsDir: string,
  owned: Owned,
): Promise<LaunchPlan> {
  const abs = (p: string): string => resolve(p)
  if (spec.cdrom) await checkFile(spec.cdrom, 'cdrom image')
  if (spec.kernel) await checkFile(spec.kernel, 'kernel')
  if (spec.initrd) await checkFile(spec.initrd, 'initrd')
  const disks = await Promise.all(
    (spec.disks ?? []).map(async (d, i) => {
      const disk = typeof d === 'string' ? { image: d } : d
      const id = disk.id ?? `disk${i}`
      return { id, file: await createOverlay(disk.image, join(workDir, `${id}.qcow2`), `disk image '${id}'`) }
    }),
  )
  const usb = spec.usb ? await createOverlay(spec.usb, join(workDir, 'usb.qcow2'), 'USB stick image') : undefined
  const direct = await directBoot(spec, workDir)
  const firmware: LaunchPlan['firmware'] =
    spec.firmware === 'uefi' ? { kind: 'uefi', ...(await prepareUefi(workDir)) } : { kind: 'bios' }
  // last: it may start the HTTP server, which nothing after it should have to stop
  const net = await netBoot(spec, workDir, artifactsDir, owned)
  return {
    name,
    accel,
    memoryMiB: parseMemory(spec.memory ?? '1G'),
    cpus: spec.cpus ?? 1,
    firmware,
    qmpSocket: join(workDir, 'qmp.sock'),
    disks,
    extraArgs: spec.qemuArgs ?? [],
    ...(spec.cdrom ? { cdrom: abs(spec.cdrom) } : {}),
    ...(usb ? { usb } : {}),
    ...(spec.tablet ? { tablet: true } : {}),
    ...direct,
    ...(net ? { net } : {}),
    ...(spec.bootFrom ? { bootFrom: spec.bootFrom } : {}),
  }
}

/** The kernel, initrd and command line of a direct boot, if the spec asks for one. */
async function directBoot(spec: MachineSpec, workDir: string): Promise<Pick<LaunchPlan, 'kernel' | 'initrd' | 'append'>> {
  if (spec.kernel) {
    return {
      kernel: resolve(spec.kernel),
      ...(spec.initrd ? { initrd: resolve(spec.initrd) } : {}),
      ...(spec.kernelParams ? { append: spec.kernelParams.join(' ') } : {}),
    }
  }
  const iso = spec.cdrom ?? spec.usb
  if (!iso || spec.pxe || spec.ipxe || (!spec.kernelParams?.length && !spec.bootEntry)) return {}
  const found = await extractBootFiles(iso, workDir, spec.bootEntry ? { entry: spec.bootEntry } : {})
  return {
    kernel: found.kernel,
    ...(found.initrd ? { initrd: found.initrd } : {}),
    append: [...found.params, ...(spec.kernelParams ?? [])].join(' '),
  }
}

/** Lines of bootcheck's own command protocol (probes, markers, base64), not worth showing as progress. */
const PROTOCOL_LINE = /BCR ?BC[0-9a-f]{12}|__bc[xp] BC|^BC[BE]?[0-9a-f]{12}|^[A-Za-z0-9+/=]{40,}$/

/** The last non-empty line of a chunk of console text that is not bootcheck's own protocol. */
function lastLine(text: string): string | undefined {
  const lines = text.split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!.replace(/[\x00-\x1f]/g, '').trim()
    if (l && !PROTOCOL_LINE.test(l)) return l.length > 160 ? l.slice(0, 157) + '…' : l
  }
  return undefined
}

/**
 * The NIC of a network boot: for PXE, the TFTP root (the original, or a tree of links with
 * the overlay laid over it) and the boot file; for iPXE, an HTTP server of the machine's own
 * serving the root, and the script's URL as the boot file. The boot file must be there.
 */
async function netBoot(spec: MachineSpec, workDir: string, artifactsDir: string, owned: Owned): Promise<LaunchPlan['net']> {
  const serve = async (root: string, role: string, overlay: Overlay, folder: string): Promise<string> => {
    const real = await checkServedRoot(resolve(root), role)
    return Object.keys(overlay).length ? layOverlay(real, overlay, join(workDir, folder)) : real
  }
  const mustHave = async (served: string, path: string, what: string, root: string, overlay: Overlay): Promise<void> => {
    const file = resolveServedPath(served, path)
    if (file && (await isServedFile(file))) return
    const where = Object.keys(overlay).length ? `${root}' (with the overlay laid over it)` : `${root}'`
    throw new MediumError(`The ${what} '${path}' is not in the ${spec.pxe ? 'TFTP' : 'HTTP'} root '${where}: the machine would have nothing to boot.`)
  }
  if (spec.pxe) {
    const overlay = spec.pxe.overlay ?? {}
    const served = await serve(spec.pxe.tftpRoot, 'TFTP root', overlay, 'tftp')
    await mustHave(served, spec.pxe.bootfile, 'PXE boot file', spec.pxe.tftpRoot, overlay)
    await writeFile(join(artifactsDir, 'tftp-root.txt'), `${served}\n`)
    return { tftpRoot: served, bootfile: spec.pxe.bootfile.replace(/^\/+/, '') }
  }
  if (spec.ipxe) {
    const script = (spec.ipxe.script ?? 'netboot.ipxe').replace(/^\/+/, '')
    const params = spec.kernelParams ?? []
    const overlay: Record<string, Overlay[string]> = { ...spec.ipxe.overlay }
    if (params.length) overlay[IPXE_CHAIN_SCRIPT] = ipxeChainScript(script, params)
    const served = await serve(spec.ipxe.httpRoot, 'HTTP root', overlay, 'http')
    await mustHave(served, script, 'iPXE script', spec.ipxe.httpRoot, spec.ipxe.overlay ?? {})
    owned.http = await NetbootHttpServer.start({ root: served, logFile: join(artifactsDir, 'http.log') })
    const first = params.length ? IPXE_CHAIN_SCRIPT : script
    return { bootfile: owned.http.guestUrl + first.split('/').map(encodeURIComponent).join('/') }
  }
  return undefined
}

function stderrSuffix(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean).slice(-10)
  return lines.length ? `\nQEMU said:\n${lines.map(l => `  | ${l}`).join('\n')}` : ''
}

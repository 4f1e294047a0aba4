/**
 * The {@link Machine} users hold: removable media, power, snapshots, disks, network cards
 * and handovers, on top of the commands, screens and core it extends.
 * @module
 */
import { join } from 'node:path'
import { formatMs } from '../console/console.js'
import { SnapshotError, SpecError, TimeoutError } from '../errors/errors.js'
import type { QemuExit } from '../qemu/process.js'
import { trackScratch } from '../qemu/registry.js'
import { makeScratchDir } from '../util/scratch.js'
import { sleep, within } from '../util/sleep.js'
import { slug } from './artifacts.js'
import { ejectMedium, insertMedium, unplugDevice } from './media.js'
import { flattenDisk } from './disks.js'
import { classifyHandover, FACTS_COMMAND, parseFacts, type HandoverResult } from './handover.js'
import { findNic, forwardPort, interfaceOf, LIST_INTERFACES, setLink, type ForwardPortOptions } from './nics.js'
import { SNAPSHOT_SCRATCH_PREFIX, Snapshot } from './snapshot.js'
import type { SharedFolder } from './capsule.js'
import { SNAPSHOT_MANIFEST, type SnapshotManifest } from './snapshot-manifest.js'
import { saveSnapshot } from './snapshot-save.js'
import type { HandoverOptions, RebootOptions, SnapshotOptions } from './machine-options.js'
import { MachineServices } from './machine-services.js'
export type { HandoverOptions, MachineParts, RebootOptions, RetryOptions, RunOptions, SnapshotOptions } from './machine-options.js'

/**
 * A running virtual machine: its serial console, commands in the guest, removable media,
 * screens, input and power. Made by `boot`; ended by {@link Machine.dispose} (which
 * `boot(t, …)` registers as the test's teardown). Every method call is a step in the
 * machine's `actions.jsonl` (see {@link ActionRecord}).
 */
export class Machine extends MachineServices {
  /**
   * Ejects a removable medium (default: the CD): the tray opens and the medium is removed,
   * even when the guest has locked the tray. Resolves when QEMU reports no medium.
   */
  eject(id = 'cdrom'): Promise<void> {
    return this.step('eject', { id }, () => ejectMedium(this.qmp, this.name, id))
  }

  /** Inserts a medium into a removable drive (default: the CD) and closes the tray. */
  insert(image: string, id = 'cdrom'): Promise<void> {
    return this.step('insert', { image, id }, () => insertMedium(this.qmp, image, id))
  }

  /** Unplugs a device (default: the USB stick) and waits until QEMU has removed it. */
  unplug(id = 'usb', options: { timeout?: number } = {}): Promise<void> {
    return this.step('unplug', { id, ...options }, () => unplugDevice(this.qmp, id, options.timeout ?? 30_000))
  }

  /**
   * Reboots and, by default, waits until the shell answers in the new boot. The transcript
   * of the earlier boot counts as read.
   */
  reboot(options: RebootOptions = {}): Promise<void> {
    return this.step('reboot', { ...options }, async () => {
      const timeout = options.timeout ?? this.bootTimeout
      const mark = this.qmp.mark()
      if ((options.how ?? 'guest') === 'guest') {
        await this.waitForShell(this.bootTimeout)
        this.console.sendLine('reboot')
      } else {
        await this.qmp.execute('system_reset')
      }
      await this.qmp.waitForEvent('RESET', { after: mark, timeoutMs: timeout }).catch(e => {
        throw new TimeoutError(`${this.name} did not reset within ${formatMs(timeout)}.${this.console.recentOutput()}`, { cause: e })
      })
      this.shell.invalidate()
      this.console.skipToEnd()
      if (options.waitForShell ?? true) await this.waitForShell(timeout)
    })
  }

  /**
   * Saves the running machine (CPU, RAM, devices, the CD's tray and medium, whether the USB
   * stick is plugged in, its disks) into a {@link Snapshot}, with QEMU's migration to a
   * file; the guest pauses while its state is written (about 0.2 s for 110 MB) and runs on.
   * Restore it with `boot(t, { from: snapshot })`, as often as needed: each restored
   * machine gets its own overlays, so none sees another's writes and the snapshot is never
   * changed. Waits for a running command to finish first. Throws {@link SnapshotError}
   * naming a device QEMU cannot migrate.
   */
  snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    return this.step(
      'snapshot',
      { ...options },
      () =>
        this.shell.exclusive(async () => {
          const shares = this.origin.plan.shares ?? []
          if (shares.length > 0) {
            throw new SnapshotError(
              `${this.name} cannot be snapshotted: it shares ${shares.map(s => `'${s.host}' (at ${s.guest})`).join(', ')} with 9p, and QEMU cannot migrate a mounted 9p export. ` +
                'Snapshot a machine without shares and copy files into the restored one with vm.copyTo.',
            )
          }
          if (this.origin.plan.sd) throw new SnapshotError(`${this.name} cannot be snapshotted: it has an SD card, whose overlay snapshots do not carry yet. Snapshot a machine without sd.`)
          const name = options.name ?? 'snapshot'
          const wired = this.nics.filter(n => n.network !== 'user')
          if (wired.length) {
            throw new SnapshotError(
              `${this.name} cannot be snapshotted: it is on network${wired.length > 1 ? 's' : ''} ${wired.map(n => `'${n.network}'`).join(', ')}, whose switch and peers a restored copy would not find; snapshot it before it joins (boot it without nics)`,
            )
          }
          let dir = options.dir
          if (dir === undefined) {
            const scratch = await makeScratchDir(SNAPSHOT_SCRATCH_PREFIX)
            trackScratch(scratch)
            dir = join(scratch, slug(name))
          }
          const source = { name: this.name, qmp: this.qmp, accel: this.accel, origin: this.origin, shellReady: this.shell.isReady, alive: () => this.running }
          const manifest = await saveSnapshot(source, dir, name)
          this.actions.attach('snapshot', join(dir, SNAPSHOT_MANIFEST))
          return new Snapshot(dir, manifest)
        }),
      s => `${s.dir} (${(s.stateBytes / 1e6).toFixed(1)} MB of state)`,
    )
  }

  /** The host folders shared with the guest over 9p (`shares` in its spec), and where the guest mounts each. */
  get sharedFolders(): SharedFolder[] {
    return (this.origin.plan.shares ?? []).map(s => ({ host: s.host, guest: s.guest }))
  }

  /**
   * Saves the machine into `dir` for a failure capsule (see docs/capsules.md), as
   * {@link Machine.snapshot} does but at once (after a failure a command may still hang in
   * the guest: it is not waited for), with its network cards kept by network name (a resume
   * plugs them into new switches), and the guest left paused: the machines of a network are
   * all paused before any is saved. Not a step of the log, whose last failed step is the
   * failure. Throws {@link SnapshotError} for a machine whose 9p shares are still mounted
   * (QEMU cannot migrate a mounted export: {@link Machine.unmountShares} first) or with an SD
   * card. The shares are recorded; a resume shares the folders it is given again.
   */
  async saveForCapsule(dir: string): Promise<SnapshotManifest> {
    const shares = this.origin.plan.shares ?? []
    if (this.sharesMounted) throw new SnapshotError(`${this.name} was not saved: it shares ${shares.map(s => `'${s.host}'`).join(', ')} with 9p, mounted: QEMU cannot migrate a mounted 9p export (unmountShares first)`)
    if (this.origin.plan.sd) throw new SnapshotError(`${this.name} was not saved: it has an SD card, whose overlay snapshots do not carry yet`)
    await this.qmp.execute('stop')
    const source = { name: this.name, qmp: this.qmp, accel: this.accel, origin: this.origin, shellReady: this.shell.isReady, alive: () => this.running }
    return saveSnapshot(source, dir, `capsule of ${this.name}`)
  }

  /**
   * Unmounts the machine's 9p shares in the guest, when they are mounted (QEMU cannot
   * migrate a mounted export; the next command mounts them again), within 15 s; a
   * {@link SnapshotError} when the shell does not answer or a share is busy. A failure
   * capsule does this before it pauses the machine.
   */
  async unmountShares(): Promise<void> {
    if (!this.sharesMounted) return
    const shares = this.origin.plan.shares ?? []
    const command = shares.map(s => `umount ${s.guest}`).join(' && ')
    const why = `${this.name} was not saved: it shares ${shares.map(s => `'${s.host}'`).join(', ')} with 9p, and QEMU cannot migrate a mounted 9p export`
    const r = await Promise.race([this.shell.run(command, 10_000, 10_000), sleep(15_000).then(() => undefined)]).catch((e: Error) => ({ status: -1, output: e.message, stderr: '' }))
    if (!r) throw new SnapshotError(`${why}; the guest shell did not answer to unmount it`)
    if (r.status !== 0) throw new SnapshotError(`${why}; unmounting it failed: ${(r.output + r.stderr).trim().slice(0, 300)}`)
    this.sharesMounted = null
  }

  /**
   * Writes disk `id` (its overlay with the base image under it, or a blank disk) as one
   * self-contained qcow2 file at `path`, for a later test to boot (`disks: [path]`): say,
   * a system installed onto `disks: [{ size: '2G' }]`. The guest is paused while it is
   * copied (its writes are flushed first) and resumed; run `sync` in it before. Throws
   * {@link SpecError} for a disk the machine does not have.
   */
  saveDisk(id: string, path: string): Promise<void> {
    return this.step('saveDisk', { id, path }, async () => {
      const plan = this.origin.plan
      const disks = [...plan.disks, ...(plan.sd ? [{ id: 'sd', file: plan.sd.file }] : [])]
      const disk = disks.find(d => d.id === id)
      if (!disk) throw new SpecError(`saveDisk: ${this.name} has no disk '${id}' (it has ${disks.map(d => `'${d.id}'`).join(', ') || 'none'})`)
      await flattenDisk(this.qmp, disk.file, path)
      this.actions.attach('disk', path)
    })
  }

  /**
   * Pulls (`up: false`) or plugs back (`up: true`) the cable of the NIC on `network` (a
   * network name or a NIC's device id), with QMP `set_link`: the guest sees its carrier
   * go down or come up. `lan.disconnect(vm)` and `lan.connect(vm)` call this.
   */
  setLink(network: string, up: boolean): Promise<void> {
    return this.step('setLink', { network, up }, () => setLink(this.qmp, findNic(this.name, this.nics, network), up))
  }

  /**
   * The name the guest gave the NIC on `network` (a network name, `'user'`, or a NIC's
   * device id), e.g. `eth1` or `enp0s4`: the interface whose MAC address is the one
   * bootcheck gave the card (listed from `/sys/class/net` in the guest shell). Throws a
   * {@link NetworkError} when the machine has no NIC there, or the guest no interface
   * with its MAC (no driver for the card).
   *
   * ```ts
   * const dev = await router.interfaceName(lan)
   * await router.succeed(`ip link set ${dev} up && ip addr add 10.0.0.1/24 dev ${dev}`)
   * ```
   */
  interfaceName(network: string | { readonly name: string }): Promise<string> {
    const name = typeof network === 'string' ? network : network.name
    return this.step(
      'interfaceName',
      { network: name },
      async () => {
        const nic = findNic(this.name, this.nics, name)
        return interfaceOf(this.name, nic, await this.succeed(LIST_INTERFACES))
      },
      dev => dev,
    )
  }

  /**
   * Forwards a port on 127.0.0.1 to the guest's port `guest` through the machine's
   * user-network NIC (`nics: ['user']`), e.g. to fetch a page from a web server in the
   * guest: `http://127.0.0.1:${await vm.forwardPort({ guest: 80 })}/`. Returns the host port
   * (a free one unless `host` is given). Throws a {@link NetworkError} when the machine has
   * no user-network NIC.
   */
  forwardPort(options: ForwardPortOptions): Promise<number> {
    return this.step(
      'forwardPort',
      { ...options },
      () => forwardPort(this.qmp, this.name, findNic(this.name, this.nics, 'user'), options),
      port => `127.0.0.1:${port} → guest port ${options.guest}`,
    )
  }

  /**
   * Hands the machine over to the next system and waits for its shell: reads the running
   * system's facts (boot id, PID 1, root), runs `trigger` (say
   * `() => vm.console.sendLine('kexec -e')`), forgets the shell session, waits for
   * `expect` when given, then for the next system's shell (logging in and failing fast on
   * a panic as at boot), and reports how the handover happened: `kexec` (no reset, a new
   * kernel), `switch-root` (the same kernel, a new root or PID 1), or `reset` (QEMU
   * reported `RESET`: the firmware ran again).
   */
  handover(trigger: () => unknown, options: HandoverOptions = {}): Promise<HandoverResult> {
    return this.step(
      'handover',
      { ...options, ...(options.expect ? { expect: String(options.expect) } : {}) },
      async () => {
        const timeout = options.timeout ?? this.bootTimeout
        const before = parseFacts(await this.succeed(FACTS_COMMAND))
        const mark = this.qmp.mark()
        const started = Date.now()
        this.shell.invalidate()
        this.console.skipToEnd()
        await trigger()
        if (options.expect !== undefined) await this.console.waitFor(options.expect, { timeout })
        await this.waitForShell(Math.max(1000, timeout - (Date.now() - started)))
        const durationMs = Date.now() - started
        const after = parseFacts(await this.succeed(FACTS_COMMAND))
        const resetSeen = this.qmp.events.some(e => e.seq > mark && e.event === 'RESET')
        return { kind: classifyHandover(resetSeen, before, after), before, after, durationMs }
      },
      r => `${r.kind} in ${formatMs(r.durationMs)}`,
    )
  }

  /**
   * Powers the machine off: `poweroff` in the guest shell when one is up, otherwise the ACPI
   * power button. Resolves when QEMU has exited; if the guest does not power off within
   * the timeout, QEMU is stopped and a {@link TimeoutError} is thrown.
   */
  powerOff(options: { timeout?: number } = {}): Promise<QemuExit> {
    return this.step('powerOff', { ...options }, async () => {
      const timeout = options.timeout ?? 60_000
      if (!this.running) return this.exited
      const viaShell = await this.shell.ensureReady(Math.min(timeout, 10_000)).then(
        () => true,
        () => false,
      )
      if (viaShell) this.console.sendLine('poweroff')
      else await this.qmp.execute('system_powerdown').catch(() => undefined)
      const done = await within(this.exited, timeout)
      if (done) return done
      await this.process.kill('SIGKILL')
      throw new TimeoutError(`${this.name} did not power off within ${formatMs(timeout)}; QEMU was stopped.${this.console.recentOutput()}`)
    })
  }
}

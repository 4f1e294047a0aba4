/**
 * Restoring a snapshot into a new machine, before QEMU starts: the snapshot is checked
 * against this host (QEMU version, machine type, accelerator, media checksums, the saved
 * state's size), the machine gets its own overlays over the snapshot's disks and its own
 * copy of the UEFI variables, and the launch plan is the snapshot's with those laid over
 * it, started paused to receive the saved state (see {@link loadSnapshotState}).
 * @module
 */
import { chmod, copyFile, open, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { CapsuleError, SnapshotError } from '../errors/errors.js'
import { fileChecksum, hashFile, treeChecksum } from '../media/checksum.js'
import { createOverlay } from '../media/overlay.js'
import { NetbootHttpServer } from '../net/http.js'
import type { LaunchPlan, PlanNic } from '../qemu/argv.js'
import { qemuIdentity } from '../qemu/identity.js'
import type { QmpClient } from '../qmp/client.js'
import { ARTIFACT_FILES } from './artifacts.js'
import { loadUri, waitForMigration } from './migration.js'
import type { Owned } from './prepare.js'
import { assertNoChanges, snapshotChanges, SNAPSHOT_STATE, type SnapshotManifest } from './snapshot-manifest.js'
import { restoreExtraArgs } from './snapshot-check.js'
import type { MachineOrigin } from './snapshot-save.js'

/** What a restore prepared: the plan to start QEMU with, and the new machine's origin for its own snapshots. */
export interface PreparedRestore {
  manifest: SnapshotManifest
  plan: LaunchPlan
  origin: MachineOrigin
  stateFile: string
}

/** Where the restored machine runs. */
export interface RestoreTarget {
  name: string
  qemu: string
  accel: 'kvm' | 'tcg'
  workDir: string
  artifactsDir: string
  /** The restoring spec's `qemuArgs`: the only QEMU arguments a restore adds (see restoreExtraArgs). */
  qemuArgs?: readonly string[]
  /**
   * The networks to plug a failure capsule's cards into, by network name: each switch's
   * socket folder and the folder its capture goes to (a resumed group gets new switches).
   */
  networks?: ReadonlyMap<string, { socketDir: string; captureDir: string }>
  /** The host folder to share at each guest path of a failure capsule's shares (`shares` given besides `from`). */
  shares?: ReadonlyMap<string, string>
}

/** The magic a QEMU migration stream starts with (`QEVM`, then version 3). */
const STATE_MAGIC = Buffer.from([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3])

/**
 * Checks the snapshot in `dir` (whose manifest the caller read with `readManifest`) and
 * prepares its restore into `target.workDir`; anything
 * started (an iPXE HTTP server) goes into `owned`. Throws {@link SnapshotMismatchError}
 * for a snapshot that does not fit this host, {@link SnapshotError} for a damaged one.
 */
export async function prepareRestore(dir: string, manifest: SnapshotManifest, target: RestoreTarget, owned: Owned): Promise<PreparedRestore> {
  dir = resolve(dir)
  const stateFile = join(dir, SNAPSHOT_STATE)
  await checkStateFile(stateFile, manifest)
  const identity = await qemuIdentity(target.qemu)
  const now = new Map<string, string | undefined>()
  await Promise.all(
    manifest.media.map(async m => {
      const sum = await (m.kind === 'tree' ? treeChecksum(m.path) : fileChecksum(m.path)).catch(() => undefined)
      now.set(m.path, sum)
    }),
  )
  assertNoChanges(dir, snapshotChanges(manifest, { version: identity.version, machineTypes: identity.machineTypes, accel: target.accel }, now))

  const { plan: saved, files, removable } = manifest
  // A snapshot's disk copies lie on the base images it recorded (and checksummed), no other file.
  const checked = new Set(manifest.media.map(m => m.path))
  const trustedBases = { format: 'qcow2', allowBacking: Object.values(manifest.bases).filter(b => checked.has(b)) }
  const disks = await Promise.all(
    files.disks.map(async d => ({ id: d.id, file: await createOverlay(join(dir, d.file), join(target.workDir, `${d.id}.qcow2`), `snapshot disk '${d.id}'`, 'qemu-img', trustedBases) })),
  )
  const usb = files.usb ? await createOverlay(join(dir, files.usb), join(target.workDir, 'usb.qcow2'), 'snapshot USB stick', 'qemu-img', trustedBases) : undefined
  let firmware = saved.firmware
  if (firmware.kind === 'uefi' && files.vars) {
    const vars = join(target.workDir, 'vars.fd')
    await copyFile(join(dir, files.vars), vars)
    await chmod(vars, 0o644)
    firmware = { ...firmware, vars }
  }
  let net = saved.net
  let http: MachineOrigin['http']
  if (net && files.tftpRoot) net = { ...net, tftpRoot: join(dir, files.tftpRoot) }
  if (net && manifest.httpBootPath !== undefined) {
    const root = files.httpRoot ? join(dir, files.httpRoot) : httpRootOf(manifest)
    owned.http = await NetbootHttpServer.start({ root, logFile: join(target.artifactsDir, ARTIFACT_FILES.http) })
    http = { root, bootPath: manifest.httpBootPath }
    net = { ...net, bootfile: owned.http.guestUrl + manifest.httpBootPath.split('/').map(encodeURIComponent).join('/') }
  }
  const { shares: savedShares, ...data } = saved
  const shares = await sharesFor(savedShares ?? [], target, dir)
  const nics = data.nics?.map(n => plugNic(n, target, dir))
  for (const network of target.networks?.keys() ?? []) {
    if (!nics?.some(n => n.id === `nic-${network}`)) throw new SnapshotError(`The snapshot '${dir}' of ${target.name} has no card on network '${network}': a restored machine has the cards it was saved with`)
  }
  const plan: LaunchPlan = {
    ...data,
    extraArgs: restoreExtraArgs(manifest, target.qemuArgs, dir),
    name: target.name,
    accel: target.accel,
    machineType: manifest.qemu.machineType,
    qmpSocket: join(target.workDir, 'qmp.sock'),
    firmware,
    disks,
    incoming: true,
    ...(files.kernel ? { kernel: join(dir, files.kernel) } : {}),
    ...(files.initrd ? { initrd: join(dir, files.initrd) } : {}),
    ...(net ? { net } : {}),
    ...(nics ? { nics } : {}),
    ...(shares.length ? { shares } : {}),
  }
  if (removable.cdrom) plan.cdrom = removable.cdrom.medium
  delete plan.usb
  if (usb) plan.usb = usb
  else if (saved.usb !== undefined) plan.xhci = true
  const { incoming: _incoming, ...running } = plan
  const origin: MachineOrigin = {
    qemu: target.qemu,
    plan: running,
    media: manifest.media.filter(m => m.role !== 'cdrom').map(({ role, path, kind }) => ({ role, path, kind })),
    bases: manifest.bases,
    ownFolders: [target.workDir, dir],
    ...(http ? { http } : {}),
    ...(manifest.login ? { login: manifest.login } : {}),
    ...(manifest.shellProbe ? { shellProbe: manifest.shellProbe } : {}),
    ...(manifest.shellPrompt ? { shellPrompt: manifest.shellPrompt } : {}),
  }
  return { manifest, plan, origin, stateFile }
}

/**
 * Loads the saved state into a QEMU started with {@link prepareRestore}'s plan, checks the
 * state's checksum meanwhile, and lets the guest run. A damaged or truncated state ends in
 * a {@link SnapshotError} within seconds (QEMU rejects it, or the checksum differs).
 */
export async function loadSnapshotState(qmp: QmpClient, restore: PreparedRestore, name: string, alive: () => boolean): Promise<void> {
  const checksum = hashFile(restore.stateFile)
  await qmp.execute('migrate-incoming', { uri: loadUri(restore.stateFile) })
  await waitForMigration(qmp, `loading the saved state of snapshot '${restore.manifest.name}' into ${name}`, 120_000, alive)
  if ((await checksum) !== restore.manifest.state.sha256) {
    throw new SnapshotError(`The saved state '${restore.stateFile}' of snapshot '${restore.manifest.name}' is damaged: its checksum is not the one recorded when it was taken`)
  }
  await qmp.execute('cont')
}

/** A state file of the recorded size that starts like a migration stream, or a {@link SnapshotError} at once. */
async function checkStateFile(file: string, manifest: SnapshotManifest): Promise<void> {
  const size = await stat(file).then(
    s => s.size,
    () => undefined,
  )
  if (size === undefined) throw new SnapshotError(`The snapshot's saved state '${file}' is missing`)
  if (size !== manifest.state.bytes) {
    throw new SnapshotError(`The snapshot's saved state '${file}' is truncated or damaged: ${size} bytes, ${manifest.state.bytes} when it was taken`)
  }
  const head = Buffer.alloc(STATE_MAGIC.length)
  const fh = await open(file, 'r')
  try {
    await fh.read(head, 0, head.length, 0)
  } finally {
    await fh.close()
  }
  if (!head.equals(STATE_MAGIC)) throw new SnapshotError(`The snapshot's saved state '${file}' is damaged: it does not start like a QEMU migration stream`)
}

/**
 * A failure capsule's 9p shares, each at its guest path, from the host folder the restoring
 * spec gives for it (a manifest never shares a host folder by itself); a
 * {@link CapsuleError} naming the share when none is given or the folder is not there.
 */
async function sharesFor(saved: NonNullable<LaunchPlan['shares']>, target: RestoreTarget, dir: string): Promise<NonNullable<LaunchPlan['shares']>> {
  const given = target.shares ?? new Map<string, string>()
  for (const guest of given.keys()) {
    if (!saved.some(s => s.guest === guest)) throw new CapsuleError(`${target.name} had no share at '${guest}' (it had ${saved.map(s => `'${s.guest}'`).join(', ') || 'none'})`)
  }
  return Promise.all(
    saved.map(async s => {
      const host = given.get(s.guest)
      if (host === undefined) throw new CapsuleError(`The capsule '${dir}' of ${target.name} shared '${s.host}' at ${s.guest}: resume it with that folder shared again (bootcheck resume --shares, or --share ${s.guest}=FOLDER)`)
      const isDir = await stat(host).then(x => x.isDirectory(), () => false)
      if (!isDir) throw new CapsuleError(`${target.name} needs the folder it shared at ${s.guest}: '${host}' ${existsSync(host) ? 'is not a folder' : 'does not exist'}`)
      return { ...s, host: resolve(host) }
    }),
  )
}

/** A saved card on a network, plugged into the switch `target.networks` gives for it; a {@link SnapshotError} without one. */
function plugNic(nic: PlanNic, target: RestoreTarget, dir: string): PlanNic {
  if (nic.backend.kind !== 'vde') return nic
  const network = nic.id.replace(/^nic-/, '')
  const sw = target.networks?.get(network)
  if (!sw) {
    throw new SnapshotError(
      `The snapshot '${dir}' of ${target.name} was on network '${network}': restore it onto a network of that name (nics: [a network named '${network}'] besides from, as bootcheck resume does)`,
    )
  }
  return { id: nic.id, mac: nic.mac, backend: { kind: 'vde', socketDir: sw.socketDir }, capture: join(sw.captureDir, `${target.name}.pcap`) }
}

function httpRootOf(manifest: SnapshotManifest): string {
  const root = manifest.media.find(m => m.role === 'HTTP root')?.path
  if (!root) throw new SnapshotError(`Snapshot '${manifest.name}' was taken of an iPXE boot but does not say its HTTP root`)
  return root
}

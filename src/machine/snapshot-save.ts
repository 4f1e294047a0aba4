/**
 * Taking a snapshot of a running machine: the guest is paused, its whole state (CPU, RAM,
 * devices, the CD's tray) streamed into `state.bin` with QEMU's migration, its disk and
 * USB overlays, UEFI variables and boot files it owns copied beside it, and the guest
 * resumed. The pause lasts as long as the state takes to write (about 0.2 s for a guest
 * using 110 MB); checksums and the manifest are done while the guest runs again.
 * @module
 */
import { chmod, copyFile, cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { execa } from 'execa'
import { SnapshotError } from '../errors/errors.js'
import { fileChecksum, hashFile, treeChecksum } from '../media/checksum.js'
import { inspectImage } from '../media/image.js'
import type { LaunchPlan } from '../qemu/argv.js'
import type { QmpClient } from '../qmp/client.js'
import { QmpError } from '../qmp/errors.js'
import { SHELL_PROTOCOL } from '../guest/protocol.js'
import { blockingDevice, saveUri, waitForMigration } from './migration.js'
import { whilePaused } from './paused.js'
import { MANIFEST_FORMAT, SNAPSHOT_MANIFEST, SNAPSHOT_STATE, type PromptSource, type SnapshotManifest, type SnapshotMedium } from './snapshot-manifest.js'

/** A file or tree the machine was started with, whose checksum a snapshot records. */
export interface MediumRef {
  role: string
  path: string
  kind: 'file' | 'tree'
}

/** Where a machine came from, kept by the machine for its snapshots. */
export interface MachineOrigin {
  /** The QEMU binary (absolute). */
  qemu: string
  plan: LaunchPlan
  /** The media besides the CD (whose medium is read from QEMU at snapshot time). */
  media: MediumRef[]
  /** The base image of each disk overlay and of the USB stick's, by device id (`usb` for the stick). */
  bases: Record<string, string>
  /** Folders whose files are the machine's own (its temporary folder, the snapshot it was restored from): copied into a snapshot. */
  ownFolders: string[]
  /** With iPXE: the served HTTP root and the boot file's path under it. */
  http?: { root: string; bootPath: string }
  login?: { user: string; password?: string }
  shellProbe?: 'quiet' | 'eager'
  /** The spec's `shellPrompt`, as a regular expression's source and flags. */
  shellPrompt?: PromptSource
}

/** What {@link saveSnapshot} needs of the running machine. */
export interface SnapshotSource {
  name: string
  qmp: QmpClient
  accel: 'kvm' | 'tcg'
  origin: MachineOrigin
  shellReady: boolean
  alive: () => boolean
}

/** Saves the machine into the empty (or new) folder `dir`; returns the manifest written there. */
export async function saveSnapshot(src: SnapshotSource, dir: string, name: string): Promise<SnapshotManifest> {
  dir = resolve(dir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  if ((await readdir(dir)).length > 0) throw new SnapshotError(`Cannot save snapshot '${name}' into '${dir}': the folder is not empty`)
  const { qmp, origin } = src
  const version = await qmp.execute('query-version')
  const machineType = await versionedMachineType(qmp, origin.plan.machineType ?? 'q35')
  await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 ** 3 })
  const stateFile = join(dir, SNAPSHOT_STATE)
  const { files, removable } = await whilePaused(
    qmp,
    async () => {
      try {
        await qmp.execute('migrate', { uri: saveUri(stateFile) })
      } catch (e) {
        const device = e instanceof QmpError ? blockingDevice(e.desc) : undefined
        if (device) throw new SnapshotError(`${src.name} cannot be snapshotted: its device '${device}' cannot be migrated by QEMU (remove it from the machine, e.g. from qemuArgs)`, { cause: e })
        throw new SnapshotError(`${src.name}: QEMU refused to save the machine state: ${(e as Error).message}`, { cause: e })
      }
      await waitForMigration(qmp, `saving the state of ${src.name} into ${stateFile}`, 300_000, src.alive)
      // Paused and its disks flushed: the overlays are consistent with the saved RAM.
      const removable = await removableState(qmp, origin.plan)
      return { removable, files: await copyOwnFiles(origin, removable, dir) }
    },
    src.alive,
  )
  const media = await checksums(origin, removable)
  const state = { bytes: (await stat(stateFile)).size, sha256: await hashFile(stateFile) }
  const manifest: SnapshotManifest = {
    format: MANIFEST_FORMAT,
    name,
    machine: src.name,
    createdAt: new Date().toISOString(),
    qemu: {
      version: `${version.qemu.major}.${version.qemu.minor}.${version.qemu.micro}`,
      package: version.package.trim(),
      machineType,
      accel: src.accel,
    },
    plan: savedPlan(origin.plan),
    files,
    ...(origin.http ? { httpBootPath: origin.http.bootPath } : {}),
    removable,
    media,
    bases: origin.bases,
    shellReady: src.shellReady,
    shellProtocol: SHELL_PROTOCOL,
    state,
    // The password is a secret: never written to the manifest (a restore's spec gives it again).
    ...(origin.login ? { login: { user: origin.login.user } } : {}),
    ...(origin.shellProbe ? { shellProbe: origin.shellProbe } : {}),
    ...(origin.shellPrompt ? { shellPrompt: origin.shellPrompt } : {}),
  }
  // Nothing in a snapshot is written again (restores put overlays on its disks), and only
  // its owner reads it: it holds the guest's RAM.
  for (const f of await readdir(dir, { withFileTypes: true })) await chmod(join(dir, f.name), f.isDirectory() ? 0o700 : 0o400).catch(() => undefined)
  await writeFile(join(dir, SNAPSHOT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o400 })
  return manifest
}

/**
 * The plan as a snapshot keeps it: a card on a network (only a failure capsule's machines
 * have one) names its network, not the switch's sockets or its capture file, which belong
 * to the run that ended; a resume plugs it into a new switch of that network.
 */
function savedPlan(plan: LaunchPlan): LaunchPlan {
  if (!plan.nics?.some(n => n.backend.kind === 'vde')) return plan
  return { ...plan, nics: plan.nics.map(n => (n.backend.kind === 'vde' ? { id: n.id, mac: n.mac, backend: { kind: 'vde', socketDir: '' } } : n)) }
}

/** The versioned machine type behind an alias (`q35` → `pc-q35-7.2`), from QEMU itself. */
async function versionedMachineType(qmp: QmpClient, type: string): Promise<string> {
  const machines = await qmp.execute('query-machines')
  return machines.find(m => m.alias === type)?.name ?? type
}

/** The CD's medium and tray, and whether the USB stick is still plugged in, as QEMU has them now. */
async function removableState(qmp: QmpClient, plan: LaunchPlan): Promise<SnapshotManifest['removable']> {
  const out: SnapshotManifest['removable'] = {}
  if (plan.cdrom !== undefined) {
    const cd = (await qmp.execute('query-block')).find(b => b.device === 'cd0')
    out.cdrom = { medium: cd?.inserted?.file ?? null, trayOpen: cd?.tray_open ?? false }
  }
  if (plan.usb !== undefined) {
    const peripherals = await qmp.execute('qom-list', { path: '/machine/peripheral' })
    out.usbPlugged = peripherals.some(p => p.name === 'usb')
  }
  return out
}

/** Copies what the machine owns (overlays, variables, extracted boot files, served trees) into the snapshot. */
async function copyOwnFiles(origin: MachineOrigin, removable: SnapshotManifest['removable'], dir: string): Promise<SnapshotManifest['files']> {
  const { plan } = origin
  const files: SnapshotManifest['files'] = { disks: [] }
  for (const d of plan.disks) {
    const file = `${d.id}.qcow2`
    await copyOverlay(d.file, join(dir, file), origin.bases[d.id])
    files.disks.push({ id: d.id, file })
  }
  if (plan.usb !== undefined && removable.usbPlugged !== false) {
    await copyOverlay(plan.usb, join(dir, 'usb.qcow2'), origin.bases.usb)
    files.usb = 'usb.qcow2'
  }
  if (plan.firmware.kind === 'uefi') {
    await copyFile(plan.firmware.vars, join(dir, 'vars.fd'))
    files.vars = 'vars.fd'
  }
  const own = (p: string | undefined): boolean => p !== undefined && origin.ownFolders.some(f => !relative(f, resolve(p)).startsWith('..'))
  if (own(plan.kernel) || own(plan.initrd)) await mkdir(join(dir, 'boot'))
  for (const key of ['kernel', 'initrd'] as const) {
    const p = plan[key]
    if (p !== undefined && own(p)) {
      files[key] = join('boot', basename(p))
      await copyFile(p, join(dir, files[key]!))
    }
  }
  if (own(plan.net?.tftpRoot)) {
    await cp(plan.net!.tftpRoot!, join(dir, 'tftp'), { recursive: true, verbatimSymlinks: true })
    files.tftpRoot = 'tftp'
  }
  if (origin.http && own(origin.http.root)) {
    await cp(origin.http.root, join(dir, 'http'), { recursive: true, verbatimSymlinks: true })
    files.httpRoot = 'http'
  }
  return files
}

/**
 * Copies an overlay. When its backing file is not the original base (the machine was
 * itself restored from a snapshot, which may be removed before this one), the copy is
 * rebased onto the original base, keeping every cluster that differs from it.
 */
async function copyOverlay(from: string, to: string, base: string | undefined): Promise<void> {
  await copyFile(from, to)
  if (!base) return
  const info = await execa('qemu-img', ['info', '--output=json', '-U', to], { reject: false })
  const backing = info.exitCode === 0 ? (JSON.parse(info.stdout) as { 'full-backing-filename'?: string })['full-backing-filename'] : undefined
  if (backing === undefined || resolve(backing) === resolve(base)) return
  const format = (await inspectImage(base, 'base image', 'qemu-img', { allowBacking: true })).format
  const r = await execa('qemu-img', ['rebase', '-q', '-f', 'qcow2', '-F', format, '-b', resolve(base), to], { reject: false })
  if (r.exitCode !== 0) throw new SnapshotError(`Could not rebase the snapshot's copy '${to}' onto '${base}': ${r.stderr.trim()}`)
}

/** Checksums of the media the snapshot depends on, the CD's current medium included. */
async function checksums(origin: MachineOrigin, removable: SnapshotManifest['removable']): Promise<SnapshotMedium[]> {
  const refs: MediumRef[] = origin.media.filter(m => !(m.role === 'USB stick base' && removable.usbPlugged === false))
  if (removable.cdrom?.medium) refs.unshift({ role: 'cdrom', path: removable.cdrom.medium, kind: 'file' })
  return Promise.all(
    refs.map(async r => ({ ...r, sha256: r.kind === 'tree' ? await treeChecksum(r.path) : await fileChecksum(r.path) })),
  )
}

/**
 * What a snapshot folder holds, described by its `snapshot.json`, and the checks made
 * before it is restored. Pure but for reading the manifest: the comparisons take the
 * current QEMU and checksums as arguments and are unit-tested.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SnapshotError, SnapshotMismatchError } from '../errors/errors.js'
import type { LaunchPlan } from '../qemu/argv.js'
import { checkFolderTrust, checkManifest } from './snapshot-check.js'

/** The manifest's file name in a snapshot folder; written last, so a folder with it is complete. */
export const SNAPSHOT_MANIFEST = 'snapshot.json'
/** The saved machine state (QEMU's migration stream) in a snapshot folder. */
export const SNAPSHOT_STATE = 'state.bin'
const FORMAT = 1

/** A file the machine was started with, and its checksum when the snapshot was taken. */
export interface SnapshotMedium {
  /** What it is to the machine, e.g. `cdrom`, `kernel`, `disk0 base`, `TFTP root`. */
  role: string
  /** Its absolute path when the snapshot was taken. */
  path: string
  /** A single file, or a folder served to the guest (checksummed as a tree). */
  kind: 'file' | 'tree'
  /** Its SHA-256 then: a restore refuses a medium that changed ({@link SnapshotMismatchError}). */
  sha256: string
}

/** The QEMU a snapshot was taken with. */
export interface SnapshotQemu {
  /** `major.minor.micro` (QMP `query-version`). */
  version: string
  /** The distribution's package version, e.g. `Debian 1:7.2+dfsg-7+deb12u18`. */
  package: string
  /** The versioned machine type, e.g. `pc-q35-7.2`. */
  machineType: string
  /** The accelerator the machine ran under. */
  accel: 'kvm' | 'tcg'
}

/** The contents of `snapshot.json`. */
export interface SnapshotManifest {
  /** The manifest format version (1). */
  format: number
  /** The snapshot's name (given to `snapshot()`). */
  name: string
  /** The machine it was taken from. */
  machine: string
  /** When the snapshot was taken (ISO time). */
  createdAt: string
  /** The QEMU it was taken with: a restore needs the same version, machine type and accelerator. */
  qemu: SnapshotQemu
  /**
   * The machine's launch plan as it ran, its paths as they were: the restore lays the
   * snapshot's own files over it (disk copies, variables store, boot files).
   */
  plan: LaunchPlan
  /** Files of the snapshot folder standing in for the plan's paths, relative to the folder. */
  files: {
    /** A copy of each disk's overlay, by device id. */
    disks: Array<{
      /** The disk's device id (`disk0`, `sd`). */
      id: string
      /** Its copy in the snapshot folder. */
      file: string
    }>
    /** The USB stick's overlay copy. */
    usb?: string
    /** The UEFI variables store's copy. */
    vars?: string
    /** The kernel the machine booted, when it owned it (an ISO entry's extracted kernel). */
    kernel?: string
    /** The initrd likewise. */
    initrd?: string
    /** The served TFTP tree of a PXE boot (its overlay laid in). */
    tftpRoot?: string
    /** The served HTTP tree of an iPXE boot. */
    httpRoot?: string
  }
  /** With iPXE: the path of the boot file under the HTTP root (a new server serves it after a restore). */
  httpBootPath?: string
  /** Removable media when the snapshot was taken. */
  removable: {
    /** The CD's medium (`null`: none) and whether its tray was open. */
    cdrom?: {
      /** The medium's path, or `null` when the drive was empty. */
      medium: string | null
      /** Whether the tray was open. */
      trayOpen: boolean
    }
    /** Whether the USB stick was still plugged in. */
    usbPlugged?: boolean
  }
  /** Every file the machine was started with, with its checksum. */
  media: SnapshotMedium[]
  /** The original base image of each disk (and `usb`), by device id: what the snapshot's disk copies lie on. */
  bases: Record<string, string>
  /** Whether the guest shell was set up (its helper functions in the guest's RAM). */
  shellReady: boolean
  /** Which version of the shell's helper functions were set up (a hash of them): another bootcheck sets them up again. */
  shellProtocol: string
  /** Size of the saved state in bytes, and its SHA-256. */
  state: {
    /** The size of `state.bin`. */
    bytes: number
    /** Its SHA-256, checked while QEMU loads it. */
    sha256: string
  }
  /** How the machine found its shell, kept for the restored machine. */
  login?: {
    /** The user to log in as. */
    user: string
    /** Never written: bootcheck does not save the password (give `login` again besides `from` when a restored machine must log in). */
    password?: string
  }
  /** The spec's `shellProbe`, kept for the restored machine. */
  shellProbe?: 'quiet' | 'eager'
  /** The spec's `shellPrompt` (source and flags), kept for the restored machine. */
  shellPrompt?: PromptSource
}

/** A shell prompt's regular expression, as JSON keeps it. */
export interface PromptSource {
  source: string
  flags: string
}

/** The {@link PromptSource} of a spec's `shellPrompt`. */
export function promptSource(prompt: RegExp | string): PromptSource {
  const re = typeof prompt === 'string' ? new RegExp(prompt) : prompt
  return { source: re.source, flags: re.flags }
}

/** Reads and checks `snapshot.json` of a snapshot folder; throws {@link SnapshotError} naming what is wrong. */
export async function readManifest(dir: string): Promise<SnapshotManifest> {
  const file = join(resolve(dir), SNAPSHOT_MANIFEST)
  let text: string
  try {
    checkFolderTrust(resolve(dir), file)
    text = await readFile(file, 'utf8')
  } catch (e) {
    if (e instanceof SnapshotError) throw e
    const code = (e as NodeJS.ErrnoException).code
    throw new SnapshotError(
      code === 'ENOENT'
        ? `'${dir}' is not a snapshot: it has no ${SNAPSHOT_MANIFEST} (a snapshot still being written, or another folder)`
        : `Cannot read the snapshot manifest '${file}': ${(e as Error).message}`,
      { cause: e },
    )
  }
  let m: SnapshotManifest
  try {
    m = JSON.parse(text) as SnapshotManifest
  } catch (e) {
    throw new SnapshotError(`The snapshot manifest '${file}' is damaged: ${(e as Error).message}`, { cause: e })
  }
  if (m.format !== FORMAT || !m.plan || !m.qemu || !m.state || !Array.isArray(m.media)) {
    throw new SnapshotError(`The snapshot manifest '${file}' is of another format (${String(m.format)}, this bootcheck reads ${FORMAT}); take the snapshot again`)
  }
  checkManifest(m, file)
  return m
}

/** The manifest's format number, for writers. */
export const MANIFEST_FORMAT = FORMAT

/**
 * The differences between a snapshot and what it would be restored with: QEMU version,
 * machine type, accelerator, and media checksums (`now` maps a medium's path to its
 * checksum now, `undefined` when it is gone). Pure.
 */
export function snapshotChanges(
  m: SnapshotManifest,
  current: { version: string; machineTypes: readonly string[]; accel: 'kvm' | 'tcg' },
  now: ReadonlyMap<string, string | undefined>,
): string[] {
  const changes: string[] = []
  if (m.qemu.version !== current.version) changes.push(`QEMU version: snapshot ${m.qemu.version}, now ${current.version}`)
  if (!current.machineTypes.includes(m.qemu.machineType)) changes.push(`machine type: snapshot ${m.qemu.machineType}, which this QEMU does not have`)
  if (m.qemu.accel !== current.accel) changes.push(`accelerator: snapshot ${m.qemu.accel}, now ${current.accel}`)
  for (const medium of m.media) {
    const sum = now.get(medium.path)
    if (sum === undefined) changes.push(`${medium.role} '${medium.path}': gone`)
    else if (sum !== medium.sha256) changes.push(`${medium.role} '${medium.path}': changed since the snapshot (sha256 ${medium.sha256.slice(0, 12)}… then, ${sum.slice(0, 12)}… now)`)
  }
  return changes
}

/** Throws {@link SnapshotMismatchError} when there are changes. */
export function assertNoChanges(dir: string, changes: string[]): void {
  if (changes.length === 0) return
  throw new SnapshotMismatchError(
    `The snapshot '${dir}' does not fit this host any more:\n${changes.map(c => `  - ${c}`).join('\n')}\n` +
      'Take it again (bootOnce does so by itself; `bootcheck run --fresh` ignores cached snapshots).',
    changes,
  )
}

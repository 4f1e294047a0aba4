/**
 * A snapshot folder may come from a shared CI cache: its `snapshot.json` is data, checked
 * here before anything of it is used. Names of devices and files are plain (no paths out of
 * the folder, nothing that could slip into a QEMU option list); the saved launch plan's
 * shares are shared only as the restoring spec gives them, its firmware only files an architecture profile names (Debian's OVMF,
 * AAVMF, U-Boot, OpenSBI), no SD card or device tree, a CD medium only when it is one of the
 * checksummed media, and QEMU arguments only when the restoring spec gives the same ones
 * (`qemuArgs`): a manifest never adds to QEMU's command line by itself.
 * @module
 */
import { lstatSync, realpathSync } from 'node:fs'
import { SnapshotError } from '../errors/errors.js'
import { ARCHES, ARCH_PROFILES, RASPI3B } from '../spec/arch.js'
import { any, arrayOf, bool, int, nullable, object, oneOf, optional, recordOf, str, type Shape } from '../util/shape.js'
import type { SnapshotManifest } from './snapshot-manifest.js'

const ID = str(64, /^[A-Za-z][\w-]*$/, "a plain id (a letter, then letters, digits, '_' or '-')")
/** A file of the snapshot folder: one or two plain name segments (`disk0.qcow2`, `boot/vmlinuz`). */
const FILE = str(255, /^[\w][\w.-]*(\/[\w][\w.-]*)?$/, 'a plain file name inside the snapshot folder')
const PATH = str(4096, /^\/[^\0]*$/, 'an absolute path')
const HEX = str(64, /^[0-9a-f]{64}$/, 'a SHA-256')

const MANIFEST: Shape = object(
  {
    format: int(1, 1),
    name: str(256),
    machine: str(64, /^[A-Za-z0-9._-]+$/, 'a machine name'),
    createdAt: str(64),
    qemu: object({ version: str(64), package: str(256), machineType: str(64, /^[\w.-]+$/, 'a machine type'), accel: oneOf('kvm', 'tcg') }),
    plan: any,
    files: object({ disks: arrayOf(object({ id: ID, file: FILE }), 32), usb: optional(FILE), vars: optional(FILE), kernel: optional(FILE), initrd: optional(FILE), tftpRoot: optional(FILE), httpRoot: optional(FILE) }),
    httpBootPath: optional(str(1024)),
    removable: object({ cdrom: optional(object({ medium: nullable(PATH), trayOpen: bool })), usbPlugged: optional(bool) }),
    media: arrayOf(object({ role: str(64), path: PATH, kind: oneOf('file', 'tree'), sha256: HEX }), 64),
    bases: recordOf(PATH, 64),
    shellReady: bool,
    shellProtocol: str(128),
    state: object({ bytes: int(1, Number.MAX_SAFE_INTEGER), sha256: HEX }),
    login: optional(object({ user: str(256), password: optional(str(4096)) })),
    shellProbe: optional(oneOf('quiet', 'eager')),
    shellPrompt: optional(object({ source: str(4096), flags: str(8, /^[dimsuv]*$/, 'regular expression flags without g or y') })),
  },
  true,
)

const PLAN: Shape = object(
  {
    memoryMiB: int(16, 2 ** 24),
    cpus: int(1, 1024),
    firmware: (v, p) => object({ kind: oneOf('bios', 'uefi', 'u-boot', 'none') }, true)(v, p) ?? firmwareFilesProblem(v as Record<string, unknown>, p),
    arch: optional(oneOf(...ARCHES)),
    cpu: optional(str(64, /^[\w.-]+$/, 'a CPU model')),
    serialIndex: optional(int(0, 3)),
    tcgSingleThread: optional(bool),
    cdromBus: optional(oneOf('ide', 'scsi')),
    // the QEMU device of the NICs: only the models the arch profiles name (it goes into -device)
    nicModel: optional(oneOf('virtio-net-pci', 'pcnet')),
    display: optional(oneOf('vga', 'virtio-gpu', 'none')),
    sd: absent('a machine with an SD card is not snapshotted'),
    dtb: absent('a machine with a device tree is not snapshotted'),
    cdrom: optional(nullable(PATH)),
    disks: arrayOf(object({ id: ID, file: PATH }), 32),
    append: optional(str(65_536)),
    extraArgs: arrayOf(str(4096), 256),
    // a failure capsule's shares (a snapshot has none): a restore shares only the folders its spec gives
    shares: optional(arrayOf(object({ tag: str(16, /^share\d{1,2}$/, 'a share tag'), host: PATH, guest: str(4096, /^\/[\w./+@%-]*$/, 'a plain guest path'), readOnly: bool }), 16)),
    // a card on a network (a failure capsule's) names no socket: a resume gives the new switch's
    nics: optional(arrayOf(object({ id: ID, mac: str(17, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'a MAC address'), backend: (v, p) => object({ kind: oneOf('user') })(v, p) && object({ kind: oneOf('vde'), socketDir: oneOf('') })(v, p) }), 8)),
    bootFrom: optional(oneOf('cdrom', 'usb', 'disk', 'net')),
  },
  true,
)

/** A field the saved plan must not have. */
function absent(why: string): Shape {
  return (v, p) => (v === undefined ? undefined : `${p}: ${why}`)
}

/** Every firmware file an architecture profile names: the only ones a restored snapshot may load. */
const KNOWN_FIRMWARE: ReadonlySet<string> = new Set([
  RASPI3B.uboot.path,
  ...Object.values(ARCH_PROFILES).flatMap(profile =>
    Object.values(profile.firmware).flatMap(f =>
      f?.kind === 'uefi' ? f.candidates.map(c => c.code.path) : f?.kind === 'u-boot' ? [f.image.path, ...(f.opensbi ? [f.opensbi.path] : [])] : [],
    ),
  ),
])

function firmwareFilesProblem(fw: Record<string, unknown>, p: string): string | undefined {
  const files = fw.kind === 'uefi' ? ['code'] : fw.kind === 'u-boot' ? ['image', ...(fw.opensbi === undefined ? [] : ['opensbi'])] : []
  for (const k of files) if (!KNOWN_FIRMWARE.has(fw[k] as string)) return `${p}.${k} must be a firmware file of Debian's packages (${[...KNOWN_FIRMWARE].join(', ')})`
  return undefined
}

/** Throws a {@link SnapshotError} naming `file` and the field unless the manifest is sound data. */
export function checkManifest(m: unknown, file: string): asserts m is SnapshotManifest {
  const problem = MANIFEST(m, '') ?? PLAN((m as SnapshotManifest).plan, 'plan')
  if (problem) throw new SnapshotError(`The snapshot manifest '${file}' is not trusted: ${problem}. Take the snapshot again (a snapshot folder is data; bootcheck does not run what a manifest asks for).`)
  const s = m as SnapshotManifest
  const ids = s.files.disks.map(d => d.id)
  if (new Set(ids).size !== ids.length) throw new SnapshotError(`The snapshot manifest '${file}' is not trusted: a disk id is given twice`)
  // Host files the restored machine is handed (fw_cfg kernel/initrd the guest can read back,
  // a served TFTP root, the writable UEFI variables) come from the snapshot's own folder or
  // from its checksummed media, never from a path the manifest names alone.
  const real = (p: string): string | undefined => {
    try {
      return realpathSync(p)
    } catch {
      return undefined
    }
  }
  // The plan may hold a medium's real path (a served root is resolved), the media its path as given.
  const inMedia = (role: string, path: unknown): boolean => s.media.some(x => x.role === role && (x.path === path || (typeof path === 'string' && real(x.path) === real(path))))
  const plan = s.plan as unknown as { kernel?: unknown; initrd?: unknown; net?: { tftpRoot?: unknown }; firmware: { kind: string } }
  const untrusted = [
    plan.kernel !== undefined && !s.files.kernel && !inMedia('kernel', plan.kernel) ? `kernel '${String(plan.kernel)}'` : '',
    plan.initrd !== undefined && !s.files.initrd && !inMedia('initrd', plan.initrd) ? `initrd '${String(plan.initrd)}'` : '',
    plan.net?.tftpRoot !== undefined && !s.files.tftpRoot && !inMedia('TFTP root', plan.net.tftpRoot) ? `TFTP root '${String(plan.net.tftpRoot)}'` : '',
    plan.firmware.kind === 'uefi' && !s.files.vars ? 'UEFI variables outside the snapshot folder' : '',
  ].filter(Boolean)
  if (untrusted.length) throw new SnapshotError(`The snapshot manifest '${file}' is not trusted: its ${untrusted.join(', ')} ${untrusted.length > 1 ? 'are' : 'is'} neither in the snapshot folder nor among its checksummed media`)
  const medium = s.removable.cdrom?.medium
  if (medium && !s.media.some(x => x.role === 'cdrom' && x.path === medium)) {
    throw new SnapshotError(`The snapshot manifest '${file}' is not trusted: its CD medium '${medium}' is not among its checksummed media`)
  }
}

/**
 * The QEMU arguments a restore may use: the manifest's only when the restoring spec gives
 * exactly the same (`qemuArgs`, which bootOnce passes on); a {@link SnapshotError} otherwise.
 */
export function restoreExtraArgs(m: SnapshotManifest, given: readonly string[] | undefined, dir: string): string[] {
  const saved = m.plan.extraArgs
  const same = saved.length === (given?.length ?? 0) && saved.every((a, i) => a === given![i])
  if (!same) {
    throw new SnapshotError(
      `The snapshot '${dir}' was taken with QEMU arguments ${JSON.stringify(saved)}; a restore adds QEMU arguments only from its own spec: give qemuArgs: ${JSON.stringify(saved)} with from to restore it`,
    )
  }
  return [...saved]
}

/**
 * A snapshot folder and its manifest must belong to this user (or root) and be writable by
 * no one else: another user's folder in a shared cache could say anything.
 */
export function checkFolderTrust(dir: string, manifestFile: string): void {
  const me = process.getuid?.()
  if (me === undefined) return
  for (const p of [dir, manifestFile]) {
    const st = lstatSync(p)
    if (st.isSymbolicLink() && p === manifestFile) throw new SnapshotError(`The snapshot manifest '${p}' is a link; a snapshot's files are its own`)
    if (st.uid !== me && st.uid !== 0) throw new SnapshotError(`The snapshot '${dir}' is not trusted: '${p}' belongs to user ${st.uid}, not to this user (${me})`)
    if (st.mode & 0o022) throw new SnapshotError(`The snapshot '${dir}' is not trusted: '${p}' is writable by others (mode ${(st.mode & 0o777).toString(8)}); chmod go-w it if you trust it`)
  }
}

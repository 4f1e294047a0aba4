import { access, open, stat } from 'node:fs/promises'
import { constants } from 'node:fs'
import { execa } from 'execa'
import { MediumError } from '../errors/errors.js'

/** What `qemu-img info` says of an image. */
export interface ImageInfo {
  path: string
  format: string
  virtualSize: number
  /** The backing file a qcow2 names (absolute), if any. */
  backing?: string
}

/** How {@link inspectImage} reads an image it does not trust. */
export interface ImageTrust {
  /** The format to read it as (`qemu-img info -f`); default: what qemu-img finds. */
  format?: string
  /**
   * Whether a backing file is allowed: false (default) refuses any, true allows any, a list
   * allows exactly those files (a snapshot's disks lie on the bases it recorded).
   */
  allowBacking?: boolean | readonly string[]
}

/**
 * Checks that a file the machine needs exists and is a readable, non-empty regular file.
 * `role` names it in the message, e.g. `cdrom image` or `kernel`.
 */
export async function checkFile(path: string, role: string): Promise<void> {
  let st
  try {
    st = await stat(path)
  } catch {
    throw new MediumError(`The ${role} '${path}' does not exist.`)
  }
  if (!st.isFile()) throw new MediumError(`The ${role} '${path}' is not a regular file.`)
  if (st.size === 0) throw new MediumError(`The ${role} '${path}' is empty.`)
  try {
    await access(path, constants.R_OK)
  } catch {
    throw new MediumError(`The ${role} '${path}' is not readable.`)
  }
}

/**
 * Reads an image's format and size with `qemu-img info`. A corrupt or truncated image fails
 * here with qemu-img's own explanation, before any machine starts.
 */
export async function inspectImage(path: string, role: string, qemuImg = 'qemu-img', trust: ImageTrust = {}): Promise<ImageInfo> {
  await checkFile(path, role)
  const r = await execa(qemuImg, ['info', '--output=json', ...(trust.format ? ['-f', trust.format] : []), path], { reject: false })
  if (r.failed || r.exitCode !== 0) {
    const why = (r.stderr || r.message || '').trim()
    throw new MediumError(`The ${role} '${path}' cannot be read as a disk image: ${why}`)
  }
  const info = JSON.parse(r.stdout) as { format: string; 'virtual-size': number; 'backing-filename'?: string; 'full-backing-filename'?: string }
  const backing = info['full-backing-filename'] ?? info['backing-filename']
  const allow = trust.allowBacking ?? false
  if (backing !== undefined && (allow === false || (Array.isArray(allow) && !allow.includes(backing)))) {
    // A backing file may name any host file, which the guest would then read.
    throw new MediumError(
      `The ${role} '${path}' is a ${info.format} image backed by '${backing}'; images with backing files are refused (the backing file can be any host file): give the disk allowBacking: true if you trust it, or flatten it (qemu-img convert)`,
    )
  }
  return { path, format: info.format, virtualSize: info['virtual-size'], ...(backing !== undefined ? { backing } : {}) }
}

/** What a boot medium is used as, for {@link checkBootImage}. */
export type BootImageRole = 'cdrom' | 'usb' | 'disk'

/** What {@link checkBootImage} recognised. */
export type BootImageKind = 'iso9660' | 'udf' | 'mbr' | 'gpt' | 'ext' | 'fat' | 'qcow2' | 'vmdk' | 'vdi' | 'vhdx' | 'qed'

const ROLE_NAME: Record<BootImageRole, string> = { cdrom: 'CD image', usb: 'USB image', disk: 'disk image' }
/** Bytes read from the start of the image: enough for every signature below. */
const HEAD = 0x8800

/**
 * Checks, within milliseconds and before QEMU starts, that a file meant to boot looks like
 * what its role needs, so a wrong file fails at once instead of the firmware finding
 * nothing to boot and the test waiting for its timeout:
 * - `cdrom`: an ISO 9660 primary volume descriptor (`CD001` at byte 0x8001; UDF bridge
 *   and El Torito ISOs have it too), or a UDF volume recognition sequence;
 * - `usb` and `disk`: an MBR boot signature (0x55AA at byte 510), a GPT header, an
 *   ext2/3/4 superblock (0xEF53 at byte 1080), a FAT boot sector, ISO 9660 (isohybrid),
 *   or a QEMU image format (qcow2, and vmdk/vdi/vhdx/qed) whose content `qemu-img info`
 *   checks when the overlay is made.
 * Only call it for media meant to boot: a blank data disk has none of these.
 * Throws {@link MediumError} naming the file and what it is not; returns what it found.
 */
export async function checkBootImage(path: string, role: BootImageRole): Promise<BootImageKind> {
  const name = ROLE_NAME[role]
  if (!name) throw new MediumError(`Unknown boot medium role '${String(role)}' for '${path}': use cdrom, usb or disk.`)
  await checkFile(path, name)
  let head: Buffer
  try {
    const fh = await open(path, 'r')
    try {
      const buf = Buffer.alloc(HEAD)
      const { bytesRead } = await fh.read(buf, 0, HEAD, 0)
      head = buf.subarray(0, bytesRead)
    } finally {
      await fh.close()
    }
  } catch (cause) {
    throw new MediumError(`The ${name} '${path}' cannot be read: ${(cause as Error).message}`, { cause })
  }
  const kinds = recogniseImage(head)
  if (role === 'cdrom') {
    const iso = kinds.find(k => k === 'iso9660' || k === 'udf')
    if (iso) return iso
    throw new MediumError(
      `The ${name} '${path}' is not an ISO 9660 (or UDF) image: there is no 'CD001' volume descriptor at byte 0x8001` +
        `${looksLike(head, kinds)}. A CD must be an ISO image, e.g. made with xorriso -as mkisofs.`,
    )
  }
  const found = kinds[0]
  if (found) return found
  throw new MediumError(
    `The ${name} '${path}' is not a bootable disk image: it has no MBR boot signature (0x55AA at byte 510), no GPT header, ` +
      `no ext2/3/4, FAT or ISO 9660 file system and is not a qcow2 image${looksLike(head, kinds)}.`,
  )
}

/** The formats whose signatures the start of an image has, most specific first. */
export function recogniseImage(head: Buffer): BootImageKind[] {
  const at = (off: number, text: string) => head.length >= off + text.length && head.toString('latin1', off, off + text.length) === text
  const kinds: BootImageKind[] = []
  if (at(0, 'QFI\xfb')) kinds.push('qcow2')
  if (at(0, 'KDMV') || at(0, '# Disk DescriptorFile')) kinds.push('vmdk')
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) kinds.push('vdi')
  if (at(0, 'vhdxfile')) kinds.push('vhdx')
  if (at(0, 'QED\0')) kinds.push('qed')
  if (at(0x8001, 'CD001')) kinds.push('iso9660')
  else if (at(0x8001, 'BEA01') || at(0x8801, 'NSR02') || at(0x8801, 'NSR03')) kinds.push('udf')
  if (at(512, 'EFI PART') || at(4096, 'EFI PART')) kinds.push('gpt')
  if (head.length >= 1082 && head.readUInt16LE(1080) === 0xef53) kinds.push('ext')
  const bootSig = head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa
  const fatJump = head[0] === 0xeb || head[0] === 0xe9
  if (fatJump && (at(54, 'FAT') || at(82, 'FAT32'))) kinds.push('fat')
  if (bootSig && !kinds.includes('fat')) kinds.push('mbr')
  return kinds
}

const KIND_NAME: Record<BootImageKind, string> = {
  iso9660: 'an ISO 9660',
  udf: 'a UDF',
  mbr: 'an MBR (boot sector)',
  gpt: 'a GPT',
  ext: 'an ext2/3/4',
  fat: 'a FAT',
  qcow2: 'a qcow2',
  vmdk: 'a VMDK',
  vdi: 'a VDI',
  vhdx: 'a VHDX',
  qed: 'a QED',
}

/** ` (it is a qcow2 image)`, ` (it starts with text: "hello")`, ` (its first 32 KiB are zeros)` … */
function looksLike(head: Buffer, kinds: BootImageKind[]): string {
  if (kinds.length) return ` (it is ${kinds.map(k => KIND_NAME[k]).join(' / ')} image)`
  const start = head.subarray(0, 64)
  if (start.every(b => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f))) {
    return ` (it is text, starting ${JSON.stringify(start.toString('latin1').slice(0, 40))})`
  }
  if (head.every(b => b === 0)) return ` (its first ${head.length} bytes are all zeros)`
  if (head.length < 0x8006) return ` (it has only ${head.length} bytes)`
  return ''
}

/**
 * A board's SD card image, laid out like NixOS's sd-image: an MBR with a FAT "firmware"
 * partition and a bootable ext4 root (label {@link SD_ROOT_LABEL}) holding the board's
 * tree, `/boot/<kernel>`, `/boot/initrd` and `/boot/extlinux/extlinux.conf` (what U-Boot's
 * distro boot reads). The image is 128 MiB: QEMU's sd-card wants a power-of-two size.
 */
import { mkdir, open, readFile, symlink, writeFile, copyFile, chmod } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { SOURCE_DATE_EPOCH } from '../contract.js'
import type { CpioEntry } from '../cpio.js'
import { run } from '../helpers.js'
import type { Log } from '../media.js'

/** The root file system's label (the kernel command line says `root=LABEL=BOARDROOT`). */
export const SD_ROOT_LABEL = 'BOARDROOT'
const MIB = 1024 * 1024
/** Partitions, in MiB: the firmware partition from 1 MiB, the root after it to the end. */
export const SD_LAYOUT = { totalMiB: 128, firmware: { startMiB: 1, sizeMiB: 16 }, root: { startMiB: 17, sizeMiB: 111 } } as const

/** One MBR partition entry. */
export interface MbrPartition {
  bootable: boolean
  type: number
  startSector: number
  sectors: number
}

/** A 512-byte MBR with up to four primary partitions (CHS fields set to the LBA-only marker). Pure. */
export function mbr(partitions: MbrPartition[], diskId = 0xb0a7d5d0): Buffer {
  const b = Buffer.alloc(512)
  b.writeUInt32LE(diskId, 440)
  partitions.forEach((p, i) => {
    const o = 446 + i * 16
    b[o] = p.bootable ? 0x80 : 0
    b.fill(0xff, o + 1, o + 4) // CHS start: unused
    b[o + 4] = p.type
    b.fill(0xff, o + 5, o + 8) // CHS end: unused
    b.writeUInt32LE(p.startSector, o + 8)
    b.writeUInt32LE(p.sectors, o + 12)
  })
  b[510] = 0x55
  b[511] = 0xaa
  return b
}

/** The extlinux.conf of the SD card: U-Boot's distro boot reads it from the bootable partition. */
export function extlinuxConf(kernelFile: string, params: readonly string[]): string {
  return `# written by vm-configs/debian/boards/sd-image.ts\ntimeout 10\ndefault board\nlabel board\n  menu label bootcheck board (SD card)\n  linux /boot/${kernelFile}\n  initrd /boot/initrd\n  append ${[...params, `root=LABEL=${SD_ROOT_LABEL}`, 'rootwait'].join(' ')}\n`
}

/** Writes the tree's entries as files into `dir` (device nodes are left to devtmpfs). */
async function writeTree(entries: CpioEntry[], dir: string): Promise<void> {
  for (const e of entries) {
    const p = join(dir, e.path)
    if (e.type === 'dir') await mkdir(p, { recursive: true })
    else if (e.type === 'file') {
      await mkdir(dirname(p), { recursive: true })
      await writeFile(p, e.data)
      await chmod(p, e.mode ?? 0o644)
    } else if (e.type === 'symlink') {
      await mkdir(dirname(p), { recursive: true })
      await symlink(e.target, p)
    }
  }
}

/** Builds the SD image at `image` from the board's tree, kernel and initramfs (staged in `work`). */
export async function buildSdImage(work: string, image: string, inputs: { tree: CpioEntry[]; kernel: string; kernelFile: string; initrd: string; params: readonly string[] }, log: Log): Promise<void> {
  log(`SD image: MBR, FAT firmware partition, ext4 root (LABEL=${SD_ROOT_LABEL}) with /boot/extlinux/extlinux.conf`)
  const root = join(work, 'sd-root')
  await writeTree(inputs.tree, root)
  await writeFile(join(root, 'etc', 'board-root'), 'this is the SD card root file system\n')
  await mkdir(join(root, 'boot', 'extlinux'), { recursive: true })
  await copyFile(inputs.kernel, join(root, 'boot', inputs.kernelFile))
  await copyFile(inputs.initrd, join(root, 'boot', 'initrd'))
  await writeFile(join(root, 'boot', 'extlinux', 'extlinux.conf'), extlinuxConf(inputs.kernelFile, inputs.params))
  const rootFs = join(work, 'sd-root.ext4')
  const env = { E2FSPROGS_FAKE_TIME: String(SOURCE_DATE_EPOCH) }
  await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', SD_ROOT_LABEL, '-U', 'b0a7d5d0-0000-4000-8000-000000000001', '-E', 'root_owner=0:0,hash_seed=b0a7d5d0-0000-4000-8000-000000000002', '-d', root, rootFs, `${SD_LAYOUT.root.sizeMiB}M`], { env })
  const fw = join(work, 'sd-firmware.vfat')
  await run('mkfs.vfat', ['-C', '-n', 'FIRMWARE', '-i', 'b0a7d5d0', fw, String(SD_LAYOUT.firmware.sizeMiB * 1024)])
  await writeFile(join(work, 'README.txt'), 'bootcheck board SD card: the kernel and extlinux.conf are on the ext4 root partition.\n')
  await run('mcopy', ['-i', fw, join(work, 'README.txt'), '::README.TXT'])
  const sector = (mib: number) => (mib * MIB) / 512
  const table = mbr([
    { bootable: false, type: 0x0c, startSector: sector(SD_LAYOUT.firmware.startMiB), sectors: sector(SD_LAYOUT.firmware.sizeMiB) },
    { bootable: true, type: 0x83, startSector: sector(SD_LAYOUT.root.startMiB), sectors: sector(SD_LAYOUT.root.sizeMiB) },
  ])
  const fd = await open(image, 'w')
  try {
    await fd.truncate(SD_LAYOUT.totalMiB * MIB)
    await fd.write(table, 0, 512, 0)
    await fd.write(await readFile(fw), 0, undefined, SD_LAYOUT.firmware.startMiB * MIB)
    await fd.write(await readFile(rootFs), 0, undefined, SD_LAYOUT.root.startMiB * MIB)
  } finally {
    await fd.close()
  }
}

/**
 * The hybrid ISO: isolinux El Torito boot + isohybrid MBR (CD and USB stick on BIOS),
 * plus GRUB EFI (`boot/efi.img`, isohybrid GPT) when the tools are there; volume label
 * from the contract.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ISO_LABEL } from './contract.js'
import { buildEfi, grubCfg, isolinuxCfg } from './bootloaders.js'
import { run } from './helpers.js'
import type { Log } from './media.js'

/** The ISO's file tree under construction. */
export interface IsoRoot {
  /** the folder xorriso packs */
  dir: string
  /** where the store image goes: /nix-store.squashfs on the ISO */
  squashfs: string
}

/** Creates the ISO's folder tree (boot/grub, isolinux) in `work`/iso. */
export async function makeIsoRoot(work: string): Promise<IsoRoot> {
  const dir = join(work, 'iso')
  await mkdir(join(dir, 'boot', 'grub'), { recursive: true })
  await mkdir(join(dir, 'isolinux'), { recursive: true })
  return { dir, squashfs: join(dir, 'nix-store.squashfs') }
}

/** What {@link buildIso} puts on the ISO (besides the squashfs already in its root). */
export interface IsoInputs {
  kernel: string
  initrd: string
  kernelParams: string[]
  /** the unpacked isolinux package */
  isolinux: string
  /** the unpacked syslinux-common package */
  syslinuxCommon: string
  /** written to /version.txt */
  version: { key: string; kernelVersion: string; system: string }
}

/**
 * Fills the ISO root (kernel, initrd, boot loaders and their configs, version.txt) and
 * packs it into `iso` with xorriso.
 *
 * @returns whether the ISO also boots on UEFI
 */
export async function buildIso(work: string, root: IsoRoot, iso: string, inputs: IsoInputs, log: Log): Promise<boolean> {
  log('iso: isolinux + GRUB EFI + xorriso')
  const isoRoot = root.dir
  await copyFile(inputs.kernel, join(isoRoot, 'boot', 'bzImage'))
  await copyFile(inputs.initrd, join(isoRoot, 'boot', 'initrd'))
  const isolinuxBin = join(inputs.isolinux, 'usr', 'lib', 'ISOLINUX', 'isolinux.bin')
  const isohdpfx = join(inputs.isolinux, 'usr', 'lib', 'ISOLINUX', 'isohdpfx.bin')
  await copyFile(isolinuxBin, join(isoRoot, 'isolinux', 'isolinux.bin'))
  await copyFile(
    join(inputs.syslinuxCommon, 'usr', 'lib', 'syslinux', 'modules', 'bios', 'ldlinux.c32'),
    join(isoRoot, 'isolinux', 'ldlinux.c32'),
  )
  await writeFile(join(isoRoot, 'isolinux', 'isolinux.cfg'), isolinuxCfg(inputs.kernelParams))
  await writeFile(join(isoRoot, 'boot', 'grub', 'grub.cfg'), grubCfg(inputs.kernelParams))
  const v = inputs.version
  await writeFile(
    join(isoRoot, 'version.txt'),
    `bootcheck live ${v.key}\nkernel ${v.kernelVersion}\nsystem /nix/store/${v.system}\n`,
  )
  const uefi = await buildEfi(work, isoRoot, log)
  await run('xorriso', [
    '-as',
    'mkisofs',
    '-o',
    iso,
    '-iso-level',
    '3',
    '-volid',
    ISO_LABEL,
    '-r',
    '-isohybrid-mbr',
    isohdpfx,
    '-c',
    'isolinux/boot.cat',
    '-b',
    'isolinux/isolinux.bin',
    '-no-emul-boot',
    '-boot-load-size',
    '4',
    '-boot-info-table',
    ...(uefi ? ['-eltorito-alt-boot', '-e', 'boot/efi.img', '-no-emul-boot', '-isohybrid-gpt-basdat'] : []),
    isoRoot,
  ])
  return uefi
}

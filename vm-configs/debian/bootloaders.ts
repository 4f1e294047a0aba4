/**
 * The ISO's boot loaders: isolinux.cfg (BIOS) and grub.cfg (UEFI), both with the entries
 * `live` (default) and `live-copytoram`, and `boot/efi.img` with a standalone GRUB.
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { CONTRACT, ISO_LABEL } from './contract.js'
import { haveTools, run } from './helpers.js'
import type { Log } from './media.js'

/** isolinux.cfg booting /boot/bzImage + /boot/initrd with `params` (copytoram entry adds the contract's parameter). */
export function isolinuxCfg(params: string[]): string {
  const p = params.join(' ')
  return [
    'SERIAL 0 115200',
    `SAY bootcheck live: entries live (default, ${CONTRACT.bootTimeoutSeconds} s) and live-copytoram`,
    'PROMPT 1',
    `TIMEOUT ${Math.max(1, CONTRACT.bootTimeoutSeconds * 10)}`,
    'DEFAULT live',
    '',
    'LABEL live',
    '  KERNEL /boot/bzImage',
    '  INITRD /boot/initrd',
    `  APPEND ${p}`,
    '',
    'LABEL live-copytoram',
    '  KERNEL /boot/bzImage',
    '  INITRD /boot/initrd',
    `  APPEND ${p} ${CONTRACT.copytoramParam}`,
    '',
  ].join('\n')
}

/** grub.cfg with the same entries as {@link isolinuxCfg}, on the serial console and the screen. */
export function grubCfg(params: string[]): string {
  const p = params.join(' ')
  return [
    'serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1',
    'terminal_input serial console',
    'terminal_output serial console',
    `set timeout=${CONTRACT.bootTimeoutSeconds}`,
    'set default=live',
    '',
    "menuentry 'live' --id live {",
    `  linux /boot/bzImage ${p}`,
    '  initrd /boot/initrd',
    '}',
    '',
    "menuentry 'live-copytoram' --id live-copytoram {",
    `  linux /boot/bzImage ${p} ${CONTRACT.copytoramParam}`,
    '  initrd /boot/initrd',
    '}',
    '',
  ].join('\n')
}

const GRUB_MODULES = [
  'part_gpt',
  'part_msdos',
  'fat',
  'iso9660',
  'search',
  'search_label',
  'search_fs_file',
  'configfile',
  'normal',
  'linux',
  'echo',
  'test',
  'serial',
  'terminal',
  'efi_gop',
  'all_video',
  'gzio',
  'reboot',
  'halt',
]

/** Whether grub-mkimage and GRUB's x86_64-efi modules are on the host. */
export async function haveGrubEfi(): Promise<boolean> {
  return (await haveTools(['grub-mkimage'])) && existsSync('/usr/lib/grub/x86_64-efi')
}

/**
 * A GRUB EFI binary (x86_64-efi) with {@link GRUB_MODULES} built in and `earlyCfg` as its
 * embedded configuration (written to `work`/`<out's name>.cfg` first), made with
 * `grub-mkimage -c`: unlike grub-mkstandalone, whose memdisk tar records the temporary
 * files' times, the same inputs give the same bytes, so the squashfs (which carries the
 * installer's copy) and the ISO stay reproducible.
 */
export async function grubStandaloneEfi(work: string, earlyCfg: string, out: string): Promise<void> {
  const early = join(work, `${basename(out)}.cfg`)
  await writeFile(early, earlyCfg)
  await run('grub-mkimage', ['--format=x86_64-efi', `--output=${out}`, `--config=${early}`, '--prefix=/boot/grub', ...GRUB_MODULES])
}

/**
 * The EFI loader bootcheck-install puts on an installed disk: GRUB that finds the FAT
 * partition labelled `bootLabel` and reads its /grub/grub.cfg (which the installer
 * writes, with the installed system's init=).
 */
export function installedEfiEarlyCfg(bootLabel: string): string {
  return [
    `search --no-floppy --set=root --label ${bootLabel}`,
    'set prefix=($root)/grub',
    'configfile ($root)/grub/grub.cfg',
    '',
  ].join('\n')
}

/** Build boot/efi.img (FAT with EFI/BOOT/BOOTX64.EFI = standalone GRUB). Returns false when tools are missing. */
export async function buildEfi(work: string, isoRoot: string, log: Log): Promise<boolean> {
  if (!(await haveTools(['grub-mkimage', 'mkfs.vfat', 'mmd', 'mcopy'])) || !existsSync('/usr/lib/grub/x86_64-efi')) {
    log('UEFI: grub-mkimage / mkfs.vfat / mtools or /usr/lib/grub/x86_64-efi missing: building a BIOS-only ISO')
    return false
  }
  const efi = join(work, 'BOOTX64.EFI')
  await grubStandaloneEfi(
    work,
    [
      `search --no-floppy --set=root --label ${ISO_LABEL}`,
      'set prefix=($root)/boot/grub',
      'configfile ($root)/boot/grub/grub.cfg',
      '',
    ].join('\n'),
    efi,
  )
  const efiSize = (await stat(efi)).size
  const img = join(isoRoot, 'boot', 'efi.img')
  const kib = Math.ceil((efiSize + 512 * 1024) / 1024 / 64) * 64
  await rm(img, { force: true })
  await run('mkfs.vfat', ['-n', 'EFIBOOT', '-i', '0b007c4e', '-C', img, String(kib)])
  const env = { MTOOLS_SKIP_CHECK: '1' }
  await run('mmd', ['-i', img, '::/EFI', '::/EFI/BOOT'], { env })
  await run('mcopy', ['-i', img, efi, '::/EFI/BOOT/BOOTX64.EFI'], { env })
  // also as a plain file on the ISO (some firmware looks there when booted as a disk)
  await mkdir(join(isoRoot, 'EFI', 'BOOT'), { recursive: true })
  await copyFile(efi, join(isoRoot, 'EFI', 'BOOT', 'BOOTX64.EFI'))
  return true
}

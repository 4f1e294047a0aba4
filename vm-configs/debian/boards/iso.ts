/**
 * A board's live ISO for UEFI (aarch64: AAVMF): GRUB EFI built on the host by
 * `grub-mkimage -O arm64-efi` from the foreign `grub-efi-arm64-bin` package's modules, in a
 * FAT El Torito image (`EFI/BOOT/BOOTAA64.EFI`); GRUB finds the ISO by its label and boots
 * `/boot/<kernel>` and `/boot/initrd` with `bootcheck.live` (the board init mounts the CD
 * at /iso; with `copytoram` it copies the medium's payload to RAM and lets the CD go).
 */
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '../helpers.js'
import type { Log } from '../media.js'

/** The board ISO's volume label (GRUB and the board init find the medium by it). */
export const BOARD_ISO_LABEL = 'BOARDLIVE'
const GRUB_MODULES = ['part_gpt', 'part_msdos', 'fat', 'iso9660', 'search', 'search_label', 'configfile', 'normal', 'linux', 'echo', 'test', 'gzio', 'efi_gop']

/** GRUB's menu: the live entry, and the same with copytoram. */
export function boardGrubCfg(kernelFile: string, params: readonly string[]): string {
  const p = [...params, 'bootcheck.live'].join(' ')
  return [
    'set timeout=1',
    'set default=live',
    `menuentry 'live' --id live {`,
    `  linux /boot/${kernelFile} ${p}`,
    '  initrd /boot/initrd',
    '}',
    `menuentry 'live-copytoram' --id live-copytoram {`,
    `  linux /boot/${kernelFile} ${p} copytoram`,
    '  initrd /boot/initrd',
    '}',
    '',
  ].join('\n')
}

/** Builds the ISO at `out` (staged in `work`). `grubDir` is the unpacked `/usr/lib/grub/arm64-efi`. */
export async function buildBoardIso(work: string, out: string, inputs: { kernel: string; kernelFile: string; initrd: string; params: readonly string[]; grubDir: string }, log: Log): Promise<void> {
  log(`ISO: GRUB arm64-efi + ${inputs.kernelFile} + initrd (label ${BOARD_ISO_LABEL})`)
  const root = join(work, 'iso-root')
  await mkdir(join(root, 'boot', 'grub'), { recursive: true })
  await copyFile(inputs.kernel, join(root, 'boot', inputs.kernelFile))
  await copyFile(inputs.initrd, join(root, 'boot', 'initrd'))
  await writeFile(join(root, 'boot', 'grub', 'grub.cfg'), boardGrubCfg(inputs.kernelFile, inputs.params))
  await writeFile(join(root, 'payload.txt'), 'bootcheck board live medium payload\n')
  const early = join(work, 'grub-early.cfg')
  await writeFile(early, `search --no-floppy --set=root --label ${BOARD_ISO_LABEL}\nset prefix=($root)/boot/grub\nconfigfile ($root)/boot/grub/grub.cfg\n`)
  const efi = join(work, 'BOOTAA64.EFI')
  await run('grub-mkimage', ['--directory', inputs.grubDir, '--format=arm64-efi', `--output=${efi}`, `--config=${early}`, '--prefix=/boot/grub', ...GRUB_MODULES])
  const img = join(root, 'boot', 'efi.img')
  const kib = Math.ceil(((await stat(efi)).size + 512 * 1024) / 1024 / 64) * 64
  await rm(img, { force: true })
  await run('mkfs.vfat', ['-n', 'EFIBOOT', '-i', 'b0a7d5d1', '-C', img, String(kib)])
  const env = { MTOOLS_SKIP_CHECK: '1' }
  await run('mmd', ['-i', img, '::/EFI', '::/EFI/BOOT'], { env })
  await run('mcopy', ['-i', img, efi, '::/EFI/BOOT/BOOTAA64.EFI'], { env })
  await run('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', BOARD_ISO_LABEL, '-e', 'boot/efi.img', '-no-emul-boot', '-o', out, root])
}

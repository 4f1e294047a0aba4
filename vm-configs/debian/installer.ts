/**
 * bootcheck-install in the store (vm-configs/bootcheck-install.sh, the same script the
 * NixOS side packages): `<hash>-bootcheck-install-data` holds syslinux's mbr.bin and a GRUB
 * EFI binary for installed disks (made here on the host with grub-mkimage);
 * `<hash>-bootcheck-install` holds bin/bootcheck-install, the script behind a header
 * with the contract's labels and kernel parameters and the data path.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { grubStandaloneEfi, haveGrubEfi, installedEfiEarlyCfg } from './bootloaders.js'
import { BASE_KERNEL_PARAMS, CONTRACT, INSTALLER_SCRIPT } from './contract.js'
import { writeFileMode } from './helpers.js'
import type { Log } from './media.js'
import { addToStore } from './nixstore.js'

/** The header the Debian side puts before the script's body (the values it reads). */
export function installerHeader(dataPath: string): string {
  return [
    '#!/bin/sh',
    '# bootcheck-install: vm-configs/bootcheck-install.sh with the values of the Debian-built media',
    `BOOT_LABEL='${CONTRACT.install.bootLabel}'`,
    `ROOT_LABEL='${CONTRACT.install.rootLabel}'`,
    `KERNEL_PARAMS='${BASE_KERNEL_PARAMS.join(' ')}'`,
    `DATA='/nix/store/${dataPath}'`,
    '',
  ].join('\n')
}

/**
 * Adds the installer's two store paths.
 *
 * @param syslinuxCommon the unpacked syslinux-common package (mbr.bin)
 * @returns the store path name of the one with bin/bootcheck-install
 */
export async function addInstaller(storeDir: string, staging: string, work: string, syslinuxCommon: string, log: Log): Promise<string> {
  const d = join(staging, 'bootcheck-install-data')
  await mkdir(d, { recursive: true })
  await copyFile(join(syslinuxCommon, 'usr', 'lib', 'syslinux', 'mbr', 'mbr.bin'), join(d, 'mbr.bin'))
  if (await haveGrubEfi()) {
    await grubStandaloneEfi(work, installedEfiEarlyCfg(CONTRACT.install.bootLabel), join(d, 'BOOTX64.EFI'))
  } else {
    log('bootcheck-install: no grub-mkimage / x86_64-efi modules: installed disks boot on BIOS only')
  }
  const data = await addToStore(storeDir, d, 'bootcheck-install-data')
  const body = (await readFile(INSTALLER_SCRIPT, 'utf8')).replace(/^#!.*\n/, '')
  const s = join(staging, 'bootcheck-install')
  await writeFileMode(join(s, 'bin', CONTRACT.install.program), installerHeader(data) + body, 0o755)
  return addToStore(storeDir, s, 'bootcheck-install')
}

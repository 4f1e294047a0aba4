/**
 * What the Debian builder shares with vm-configs/nixos/*.nix (vm-configs/contract.json,
 * read by both sides; see vm-configs/README.md), and the fixed inputs of a build: the
 * Debian packages, the kernel modules, the reproducibility constants.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** The repo root: the nearest folder above this file with package.json and vm-configs/. */
export function repoRoot(): string {
  let d = here
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'vm-configs'))) return d
    const up = dirname(d)
    if (up === d) return resolve(here, '..', '..')
    d = up
  }
}

/** Folder with stage-1-init.sh etc. (next to this file, or the source tree when run from dist/). */
export function sourceDir(): string {
  if (existsSync(join(here, 'stage-1-init.sh'))) return here
  return join(repoRoot(), 'vm-configs', 'debian')
}

/** The shape of vm-configs/contract.json. */
export interface Contract {
  isoVolumeId: string
  kernelParams: string[]
  copytoramParam: string
  loginParam: string
  bootTimeoutSeconds: number
  squashfsCompression: string
  persistLabel: string
  persistMountPoint: string
  persistedPaths: string[]
  rootPassword: string
  hostName: string
  netboot: { kernel: string; initrd: string; ipxeScript: string; squashfsInInitrd: string }
}

/** Path of vm-configs/contract.json. */
export const CONTRACT_FILE = join(sourceDir(), '..', 'contract.json')
/** vm-configs/contract.json, read once at import. */
export const CONTRACT: Readonly<Contract> = JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as Contract

/** Volume label of the ISO, which stage 1 looks for. */
export const ISO_LABEL = CONTRACT.isoVolumeId
/** File system label of the persist disk. */
export const PERSIST_LABEL = CONTRACT.persistLabel
/** Paths bind-mounted from the persist disk. */
export const PERSISTED_PATHS: readonly string[] = CONTRACT.persistedPaths
/** root's password (for the `bootcheck.login` kernel parameter). */
export const ROOT_PASSWORD = CONTRACT.rootPassword
/** ttyS0 last, so /dev/console is the serial port */
export const BASE_KERNEL_PARAMS: readonly string[] = CONTRACT.kernelParams
/** seconds stage 1 waits for the live medium */
export const MEDIUM_TIMEOUT = 30

/** Fixed timestamp for reproducible squashfs / cpio / ISO. */
export const SOURCE_DATE_EPOCH = 1700000000
/** Fixed salt so the shadow file (and thus the squashfs) is reproducible. */
export const PASSWORD_SALT = 'bootchck'

/** The Debian packages a build downloads (the kernel metapackage is followed to the real image package). */
export const PACKAGES: readonly string[] = [
  'linux-image-amd64',
  'busybox-static',
  'hello',
  'libc6',
  'isolinux',
  'syslinux-common',
]

/** Kernel modules stage 1 loads (with their dependencies); a build fails when one is missing. */
export const REQUIRED_MODULES: readonly string[] = [
  // CD/DVD on the default i440fx machine (IDE) and on q35 (AHCI)
  'ata_piix',
  'ahci',
  'sr_mod',
  'cdrom',
  'isofs',
  // USB sticks
  'xhci_pci',
  'xhci_hcd',
  'usb_storage',
  'sd_mod',
  // virtio disks
  'virtio_pci',
  'virtio_blk',
  // file systems
  'ext4',
  'squashfs',
  'loop',
  'overlay',
]
/** Kernel modules loaded when the kernel has them. */
export const OPTIONAL_MODULES: readonly string[] = [
  'uas',
  'virtio_scsi',
  'button',
  'evdev',
  'usbhid',
  'hid_generic',
  // host folders shared with 9p (machine spec `shares`)
  '9p',
  '9pnet_virtio',
]

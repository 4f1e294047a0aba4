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
  /** programs of the live system beyond busybox: the Debian package and the nixpkgs attribute that ship each */
  guestTools: { program: string; debian: string; nixpkgs: string }[]
  /** kernel modules the live system loads at boot for its tools (FAT for the installer, the NIC, nftables NAT and filtering) */
  guestKernelModules: string[]
  /** bootcheck-install (vm-configs/bootcheck-install.sh): its name, the FAT boot partition's and the root partition's labels */
  install: { program: string; bootLabel: string; rootLabel: string }
  netboot: { kernel: string; initrd: string; ipxeScript: string; squashfsInInitrd: string }
}

/** Path of vm-configs/bootcheck-install.sh (shared by both sides). */
export const INSTALLER_SCRIPT = join(sourceDir(), '..', 'bootcheck-install.sh')
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

/**
 * A program of the live system taken from a Debian package: its binaries and their
 * shared-library closure become store paths (see tools.ts), linked into the system's sw/bin.
 */
export interface GuestTool {
  /** store path name (the package's upstream version is appended), as nixpkgs names the package */
  name: string
  /** the Debian package with the binaries */
  pkg: string
  /** the binaries, as paths inside `pkg` (each linked into sw/bin under its base name) */
  bins: string[]
  /** the Debian packages searched for the libraries they need, besides `pkg` and libc6 */
  libPackages: string[]
}

/**
 * The guest tools beyond busybox: kexec, a TFTP server, nftables, extlinux (for
 * bootcheck-install); contract.json `guestTools` names them for both sides
 * (vm-configs/nixos/guest-tools.nix). A library none of `libPackages` ships fails the
 * build, naming it.
 */
export const GUEST_TOOLS: readonly GuestTool[] = [
  {
    name: 'kexec-tools',
    pkg: 'kexec-tools',
    bins: ['sbin/kexec'],
    // Debian 12's kexec links libxenctrl (package libxenmisc4.17, Xen support), which
    // links the other Xen libraries (the build log lists each library and its package)
    libPackages: [
      'libxenmisc4.17', 'libxencall1', 'libxendevicemodel1', 'libxenevtchn1',
      'libxenforeignmemory1', 'libxengnttab1', 'libxentoollog1', 'libxentoolcore1',
    ],
  },
  {
    name: 'tftp-hpa',
    pkg: 'tftpd-hpa',
    bins: ['usr/sbin/in.tftpd'],
    libPackages: ['libwrap0', 'libnsl2', 'libtirpc3', 'libgssapi-krb5-2', 'libkrb5-3', 'libk5crypto3', 'libkrb5support0', 'libkeyutils1', 'libcom-err2'],
  },
  {
    name: 'nftables',
    pkg: 'nftables',
    bins: ['usr/sbin/nft'],
    libPackages: ['libnftables1', 'libedit2', 'libgmp10', 'libjansson4', 'libmnl0', 'libnftnl11', 'libxtables12', 'libbsd0', 'libtinfo6', 'libmd0'],
  },
  { name: 'syslinux', pkg: 'extlinux', bins: ['usr/bin/extlinux'], libPackages: [] },
]

/** The Debian packages a build downloads (the kernel metapackage is followed to the real image package). */
export const PACKAGES: readonly string[] = [
  ...new Set([
    'linux-image-amd64',
    'busybox-static',
    'hello',
    'libc6',
    'isolinux',
    'syslinux-common',
    ...GUEST_TOOLS.flatMap((t) => [t.pkg, ...t.libPackages]),
  ]),
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
  // the guest tools' modules (contract.json guestKernelModules): FAT for bootcheck-install,
  // the NIC, and what nft needs for `type nat hook postrouting … masquerade`, `ct state`,
  // `reject` and drop rules
  ...CONTRACT.guestKernelModules,
]
/** Kernel modules loaded when the kernel has them. */
export const OPTIONAL_MODULES: readonly string[] = [
  'uas',
  'virtio_scsi',
  'button',
  'evdev',
  'usbhid',
  'hid_generic',
  'af_packet',
  // host folders shared with 9p (machine spec `shares`)
  '9p',
  '9pnet_virtio',
]

/**
 * What the Debian builder returns: {@link LiveMedia} (printed as JSON by the CLI, read by
 * tests through vm-configs/demo.ts) and the options of a build.
 */

/** Options of `buildLiveMedia`. */
export interface LiveMediaOptions {
  /** where cache entries go; default: <repo>/.bootcheck/cache/media */
  cacheDir?: string
  /** where downloaded .deb files are kept; default: <repo>/.bootcheck/cache/debs */
  debCacheDir?: string
  /** progress lines; default: written to stderr */
  log?: (line: string) => void
}

/** The built live media: files in one cache entry, and what a test needs to boot them. */
export interface LiveMedia {
  /** the cache entry folder */
  dir: string
  /** hybrid ISO (isolinux El Torito + isohybrid MBR, and GRUB EFI when uefi is true), volume label BOOTCHECK_LIVE */
  iso: string
  /** the bzImage the ISO boots (copy in dir) */
  kernel: string
  /** the initrd the ISO boots (copy in dir) */
  initrd: string
  /** the ISO's default command line; ttyS0 is the last console= so /dev/console is serial */
  kernelParams: string[]
  /** sha256 hex of nix-store.squashfs as stored on the ISO */
  squashfsSha256: string
  /** raw ext4 image, 64 MiB, LABEL=persist */
  persistDisk: string
  /** paths bind-mounted from the persist disk */
  persistedPaths: string[]
  /** whether the ISO also boots on UEFI (GRUB EFI image present) */
  uefi: boolean
  /** kernel release, e.g. 6.1.0-56-amd64 */
  kernelVersion: string
  /** the same system as a NixOS-style netboot image (see {@link NetbootMedia}) */
  netboot: NetbootMedia
}

/**
 * The system as NixOS's netboot image: a folder with the kernel, an initrd that carries
 * the store (`nix-store.squashfs` inside it, loop-mounted from RAM by stage 1, so no
 * medium or disk is needed) and `netboot.ipxe`, whose relative names make the folder
 * servable as it is over HTTP (iPXE) or TFTP.
 */
export interface NetbootMedia {
  /** the folder: bzImage, initrd, netboot.ipxe */
  dir: string
  kernel: string
  initrd: string
  /** the iPXE script (kernel, initrd, parameters, then `${cmdline}`) */
  ipxeScript: string
  /** the kernel command line the script boots with (before `${cmdline}`); also right for a direct kernel boot */
  kernelParams: string[]
}

/** A progress line sink. */
export type Log = (line: string) => void

/** The boards the builder makes media for: Debian architecture, kernel package, console, kernel file name. */

/** An architecture the boards' builder serves. */
export type BoardArch = 'aarch64'

/** What the builder needs to know of a board. */
export interface Board {
  /** Debian's name of the architecture */
  debArch: string
  /** the kernel metapackage, followed to the image package */
  kernelMeta: string
  /** the first serial port in the guest */
  console: string
  /** the kernel's file name in the media (and on the TFTP root) */
  kernelFile: string
}

/** The boards, by architecture. */
export const BOARDS: Readonly<Record<BoardArch, Board>> = {
  aarch64: { debArch: 'arm64', kernelMeta: 'linux-image-arm64', console: 'ttyAMA0', kernelFile: 'Image' },
}

/** The modules a board's initramfs loads: virtio (PCI), the SD card (sdhci-pci), CD, USB, file systems, 9p. */
export const BOARD_MODULES = {
  required: ['virtio_pci', 'virtio_blk', 'virtio_net', 'sdhci_pci', 'ext4', 'vfat', 'nls_cp437', 'nls_ascii', 'virtio_scsi', 'sr_mod', 'isofs', 'xhci_pci', 'usb_storage', 'sd_mod'],
  optional: ['af_packet', '9p', '9pnet_virtio'],
} as const

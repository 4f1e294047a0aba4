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
  /** the Raspberry Pi's device tree in the kernel package's /usr/lib/linux-image-<release>/ */
  raspiDtb: string
  /** the console of the Raspberry Pi (the mini UART) */
  raspiConsole: string
}

/** The boards, by architecture. */
export const BOARDS: Readonly<Record<BoardArch, Board>> = {
  aarch64: { debArch: 'arm64', kernelMeta: 'linux-image-arm64', console: 'ttyAMA0', kernelFile: 'Image', raspiDtb: 'broadcom/bcm2837-rpi-3-b.dtb', raspiConsole: 'ttyS1' },
}

/** The modules a board's initramfs loads: virtio (PCI), the SD card (sdhci-pci), CD, USB, file systems, 9p. */
export const BOARD_MODULES = {
  required: ['virtio_pci', 'virtio_blk', 'virtio_net', 'sdhci_pci', 'ext4', 'vfat', 'nls_cp437', 'nls_ascii', 'virtio_scsi', 'sr_mod', 'isofs', 'xhci_pci', 'usb_storage', 'sd_mod'],
  // the Raspberry Pi 3's SD controllers (sdhci-iproc, sdhost): QEMU's raspi3b has both
  optional: ['af_packet', '9p', '9pnet_virtio', 'sdhci_iproc', 'bcm2835'],
} as const

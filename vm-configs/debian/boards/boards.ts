/** The boards the builder makes media for: Debian architecture, kernel package, console, kernel file name. */

/** An architecture the boards' builder serves. */
export type BoardArch = 'aarch64' | 'mips64el'

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
  /** aarch64: the Raspberry Pi's device tree in the kernel package's /usr/lib/linux-image-<release>/, and its console (the mini UART) */
  raspi?: { dtb: string; console: string }
  /** the GRUB EFI package of the live ISO and its GRUB format (aarch64) */
  grubEfi?: { pkg: string; format: string }
}

/** The boards, by architecture. */
export const BOARDS: Readonly<Record<BoardArch, Board>> = {
  aarch64: { debArch: 'arm64', kernelMeta: 'linux-image-arm64', console: 'ttyAMA0', kernelFile: 'Image', raspi: { dtb: 'broadcom/bcm2837-rpi-3-b.dtb', console: 'ttyS1' }, grubEfi: { pkg: 'grub-efi-arm64-bin', format: 'arm64-efi' } },
  // malta: Debian's 5kc-malta kernel is an ELF vmlinux (QEMU loads it as -kernel)
  mips64el: { debArch: 'mips64el', kernelMeta: 'linux-image-5kc-malta', console: 'ttyS0', kernelFile: 'vmlinux' },
}

/** The modules a board's initramfs loads: virtio (PCI), the SD card (sdhci-pci), CD, USB, file systems, 9p. */
export const BOARD_MODULES = {
  required: ['virtio_pci', 'virtio_blk', 'virtio_net', 'ext4'],
  // the Raspberry Pi 3's SD controllers (sdhci-iproc, sdhost): QEMU's raspi3b has both; malta's PIIX IDE
  optional: ['sdhci_pci', 'vfat', 'nls_cp437', 'nls_ascii', 'virtio_scsi', 'sr_mod', 'isofs', 'xhci_pci', 'usb_storage', 'sd_mod', 'af_packet', '9p', '9pnet_virtio', 'sdhci_iproc', 'bcm2835', 'ata_piix'],
} as const

/**
 * The architecture checks of a machine spec: a firmware that exists on its `arch`,
 * and no device the board cannot have. Pure, so a bad combination fails before anything
 * starts; whether the files are installed is checked when the launch is prepared.
 * @module
 */
import { SpecError } from '../errors/errors.js'
import { ARCH_PROFILES, chosenBoard, firmwareChoices, RASPI3B } from './arch.js'
import type { MachineSpec } from './spec.js'

/**
 * Throws a {@link SpecError} for a firmware the arch does not have or a device its board
 * cannot have. An unknown `arch` was refused before, with the other fields' values
 * (`fields.ts`). `memoryMiB` is the spec's memory as {@link checkSpec} parsed it.
 */
export function checkArchSpec(spec: MachineSpec, memoryMiB: number): void {
  const arch = spec.arch ?? 'x86_64'
  const profile = ARCH_PROFILES[arch]
  const choices = firmwareChoices(arch)
  if (spec.firmware !== undefined && !choices.includes(spec.firmware)) {
    const direct = arch === 'x86_64' ? '' : ', or none with kernel (a direct kernel boot)'
    throw new SpecError(
      `boot: firmware '${spec.firmware}' does not exist on ${arch} (QEMU '${profile.machine}' board); ` +
        `the choices there are ${choices.map(c => `'${c}'`).join(', ')}${direct}`,
    )
  }
  checkBoard(spec, memoryMiB)
  if (spec.firmware === 'u-boot' && spec.kernel) {
    throw new SpecError(
      "boot: firmware 'u-boot' and kernel exclude each other: U-Boot loads the kernel itself; " +
        'serve it with pxe (tftpRoot) or put it on the sd card or a disk, or leave firmware out for a direct kernel boot',
    )
  }
  if (arch !== 'x86_64' && spec.kernelParams?.length && !spec.kernel && !spec.pxe && !spec.ipxe) {
    throw new SpecError(`boot: kernelParams for an ISO's own boot entry work on x86_64 only (bootcheck reads isolinux/GRUB x86 entries); on ${arch} give kernel`)
  }
  if (spec.ipxe && arch !== 'x86_64') {
    throw new SpecError(`boot: ipxe needs the NIC's iPXE ROM, which bootcheck attaches on x86_64 only; on ${arch} use pxe with U-Boot (firmware: 'u-boot')`)
  }
}

/** `board`, `sd`, `dtb`: the board exists on the arch and has what the spec attaches. */
function checkBoard(spec: MachineSpec, memoryMiB: number): void {
  const arch = spec.arch ?? 'x86_64'
  if (spec.board !== undefined && arch !== 'aarch64') throw new SpecError(`boot: board is for aarch64 (virt or raspi3b); ${arch} has one board, '${ARCH_PROFILES[arch].machine}'`)
  if (spec.board !== undefined && spec.board !== 'virt' && spec.board !== 'raspi3b') throw new SpecError(`boot: board ${JSON.stringify(spec.board)} is not one bootcheck knows; choose 'virt' or 'raspi3b'`)
  if (spec.sd !== undefined && (arch === 'x86_64' || arch === 'mips64el')) throw new SpecError(`boot: sd (an SD card) is for the aarch64 and riscv64 boards; a ${arch} machine takes disks or usb`)
  if (spec.bootFrom === 'sd' && !spec.sd) throw new SpecError("boot: bootFrom 'sd' needs sd (an SD card image)")
  if (chosenBoard(spec) === 'raspi3b') {
    if (spec.firmware === 'u-boot' && !spec.sd) throw new SpecError('boot: a raspi3b with U-Boot boots from its SD card; give sd')
    if (spec.firmware === 'uefi') throw new SpecError("boot: firmware 'uefi' does not exist on raspi3b; the choices there are 'u-boot', or none with kernel")
    if (!spec.dtb) throw new SpecError('boot: a raspi3b needs its device tree: dtb, e.g. bcm2837-rpi-3-b.dtb from the kernel package (/usr/lib/linux-image-*/broadcom/)')
    const extra = (['cdrom', 'usb', 'disks', 'pxe', 'ipxe', 'nics', 'shares', 'tablet'] as const).filter(f => spec[f] !== undefined && !(Array.isArray(spec[f]) && (spec[f] as unknown[]).length === 0))
    if (extra.length) throw new SpecError(`boot: a raspi3b has no PCI bus, so ${extra.join(', ')} cannot be attached; use board 'virt'`)
    if (spec.memory !== undefined && memoryMiB !== RASPI3B.memoryMiB) throw new SpecError(`boot: a raspi3b has 1 GiB of memory (QEMU refuses other sizes), got ${spec.memory}`)
    if (spec.cpus !== undefined && spec.cpus !== RASPI3B.cpus) throw new SpecError(`boot: a raspi3b has 4 cores (QEMU refuses other counts), got ${spec.cpus}`)
  }
}

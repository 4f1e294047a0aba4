/**
 * The architecture checks of a machine spec: a known `arch`, a firmware that exists there,
 * and no device the board cannot have. Pure, so a bad combination fails before anything
 * starts; whether the files are installed is checked when the launch is prepared.
 * @module
 */
import { SpecError } from '../errors/errors.js'
import { ARCHES, ARCH_PROFILES, firmwareChoices, isArch } from './arch.js'
import type { MachineSpec } from './spec.js'

/** Throws a {@link SpecError} for an unknown arch or a firmware the arch does not have. */
export function checkArchSpec(spec: MachineSpec): void {
  if (spec.arch !== undefined && !isArch(spec.arch)) {
    throw new SpecError(`boot: arch ${JSON.stringify(spec.arch)} is not one bootcheck knows; choose one of ${ARCHES.join(', ')}`)
  }
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

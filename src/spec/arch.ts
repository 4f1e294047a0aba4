/**
 * The guest architectures bootcheck starts, each with what QEMU needs for it: the binary and
 * its Debian package, the machine type, the CPU model under TCG, the serial console's name
 * in the guest, the firmware choices there and where Debian installs them. Pure data and
 * pure lookups: `machine/prepare.ts` checks the files, `machine/plan.ts` puts them in the plan.
 * @module
 */

/** A guest architecture. */
export type Arch = 'x86_64' | 'aarch64' | 'riscv64' | 'mips64el'

/** Every {@link Arch}, in the order messages list them. */
export const ARCHES: readonly Arch[] = ['x86_64', 'aarch64', 'riscv64', 'mips64el']

/** A firmware choice of the spec (`firmware`). */
export type FirmwareChoice = 'bios' | 'uefi' | 'u-boot'

/** A file a firmware needs, with the Debian package that installs it. */
export interface PackagedFile {
  /** Where the file is on a Debian host. */
  path: string
  /** The Debian package that installs it (named in the error when it is missing). */
  debianPackage: string
}

/** What QEMU needs for one guest architecture. */
export interface ArchProfile {
  /** The architecture, as `arch` in the spec names it. */
  arch: Arch
  /** The QEMU binary's name, looked up in PATH. */
  qemu: string
  /** The Debian package that installs {@link qemu}. */
  qemuPackage: string
  /** QEMU's machine type. */
  machine: string
  /** The CPU model under TCG (under KVM: `host`). */
  tcgCpu?: string
  /** The first serial port's device name in a Linux guest, for `console=`. */
  console: string
  /** The firmware used when the spec names none and nothing is booted directly. */
  defaultFirmware: FirmwareChoice
  /** The firmware choices this architecture has, and their files. */
  firmware: Partial<Record<FirmwareChoice, FirmwareFiles>>
  /** The CD drive: IDE where the board has one, else a SCSI CD on virtio-scsi. */
  cdrom: 'ide' | 'scsi'
  /** The host architectures (Node's `process.arch`) on which KVM can run this guest. */
  kvmHosts: readonly string[]
  /** The network card's QEMU device, where the board's firmware drives no virtio-net (default `virtio-net-pci`). */
  nic?: string
}

/** The files of a firmware choice: alternatives in order of preference, each a set that must all exist. */
export type FirmwareFiles =
  | {
      /** QEMU's own firmware (SeaBIOS on x86): no file to find. */
      kind: 'builtin'
    }
  | {
      /** UEFI (OVMF, AAVMF): a code image and a variables store each machine copies. */
      kind: 'uefi'
      /** Pairs of files to look for, the first present one used. */
      candidates: ReadonlyArray<{
        /** The firmware code (read-only flash). */
        code: PackagedFile
        /** The variables store template (copied per machine). */
        vars: PackagedFile
      }>
    }
  | {
      /** U-Boot, loaded as the board's firmware. */
      kind: 'u-boot'
      /** U-Boot's image (`u-boot.bin`). */
      image: PackagedFile
      /** OpenSBI, which starts an S-mode U-Boot on riscv64. */
      opensbi?: PackagedFile
      /**
       * QEMU's little-endian malta reads its boot flash with each 32-bit word byte-swapped
       * (U-Boot builds a `u-boot-swap.bin` for it, which Debian does not ship): the machine
       * gets a swapped copy of `image`.
       */
      wordSwapped?: true
    }

const ovmf = (code: string, vars: string) => ({ code: { path: code, debianPackage: 'ovmf' }, vars: { path: vars, debianPackage: 'ovmf' } })
const uboot = (board: string): PackagedFile => ({ path: `/usr/lib/u-boot/${board}/u-boot.bin`, debianPackage: 'u-boot-qemu' })

/** The profiles, by architecture. */
export const ARCH_PROFILES: Readonly<Record<Arch, ArchProfile>> = {
  x86_64: {
    arch: 'x86_64',
    qemu: 'qemu-system-x86_64',
    qemuPackage: 'qemu-system-x86',
    machine: 'q35',
    console: 'ttyS0',
    defaultFirmware: 'bios',
    firmware: {
      bios: { kind: 'builtin' },
      uefi: {
        kind: 'uefi',
        // Debian's ovmf package: the 4 MiB builds first, then the older 2 MiB ones.
        candidates: [ovmf('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'), ovmf('/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd')],
      },
    },
    cdrom: 'ide',
    kvmHosts: ['x64'],
  },
  aarch64: {
    arch: 'aarch64',
    qemu: 'qemu-system-aarch64',
    qemuPackage: 'qemu-system-arm',
    machine: 'virt',
    // cortex-a57 rather than max: max emulates pointer authentication, which costs TCG a lot.
    tcgCpu: 'cortex-a57',
    console: 'ttyAMA0',
    defaultFirmware: 'uefi',
    firmware: {
      uefi: {
        kind: 'uefi',
        candidates: [
          {
            code: { path: '/usr/share/AAVMF/AAVMF_CODE.fd', debianPackage: 'qemu-efi-aarch64' },
            vars: { path: '/usr/share/AAVMF/AAVMF_VARS.fd', debianPackage: 'qemu-efi-aarch64' },
          },
        ],
      },
      'u-boot': { kind: 'u-boot', image: uboot('qemu_arm64') },
    },
    cdrom: 'scsi',
    kvmHosts: ['arm64'],
  },
  riscv64: {
    arch: 'riscv64',
    qemu: 'qemu-system-riscv64',
    qemuPackage: 'qemu-system-misc',
    machine: 'virt',
    tcgCpu: 'rv64',
    console: 'ttyS0',
    defaultFirmware: 'u-boot',
    firmware: {
      // U-Boot in supervisor mode, started by OpenSBI (the machine-mode firmware).
      'u-boot': {
        kind: 'u-boot',
        image: uboot('qemu-riscv64_smode'),
        opensbi: { path: '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf', debianPackage: 'opensbi' },
      },
    },
    cdrom: 'scsi',
    kvmHosts: ['riscv64'],
  },
  mips64el: {
    arch: 'mips64el',
    qemu: 'qemu-system-mips64el',
    qemuPackage: 'qemu-system-mips',
    machine: 'malta',
    tcgCpu: '5KEc',
    console: 'ttyS0',
    defaultFirmware: 'u-boot',
    firmware: { 'u-boot': { kind: 'u-boot', image: uboot('malta64el'), wordSwapped: true } },
    cdrom: 'ide',
    kvmHosts: [],
    // malta's U-Boot drives the AMD PCnet card the real board has, not virtio
    nic: 'pcnet',
  },
}

/** The Raspberry Pi 3B on aarch64: what differs from `virt`. */
export const RASPI3B = {
  machine: 'raspi3b',
  /** fixed by the board: QEMU refuses anything else */
  memoryMiB: 1024,
  cpus: 4,
  /** U-Boot and Linux (`ttyS1`) use the mini UART, QEMU's second serial port (the PL011 drives Bluetooth on a real Pi 3) */
  console: 'ttyS1',
  serialIndex: 1,
  /**
   * its four cores on one TCG thread: with a thread each, the three waiting in U-Boot's spin
   * table each kept a host core busy (the SD card to a shell in 61 s with 116 s of CPU,
   * against 17 s and 18 s on one thread, measured on 2 cores)
   */
  tcgSingleThread: true,
  uboot: { path: '/usr/lib/u-boot/rpi_arm64/u-boot.bin', debianPackage: 'u-boot-rpi:arm64' } as PackagedFile,
} as const

/** The board a spec runs on: `raspi3b` when named, or for an aarch64 U-Boot SD boot; else the arch's. Pure. */
export function chosenBoard(spec: { arch?: Arch; board?: 'virt' | 'raspi3b'; firmware?: FirmwareChoice; sd?: string }): string {
  const arch = spec.arch ?? 'x86_64'
  if (arch === 'aarch64' && (spec.board === 'raspi3b' || (spec.board === undefined && spec.firmware === 'u-boot' && spec.sd))) return 'raspi3b'
  return ARCH_PROFILES[arch].machine
}

/** The profile of `arch` (default x86_64). */
export function archProfile(arch: Arch = 'x86_64'): ArchProfile {
  return ARCH_PROFILES[arch]
}

/** The firmware choices of `arch`, for messages: e.g. `'uefi', 'u-boot' or none (direct kernel boot)`. */
export function firmwareChoices(arch: Arch): FirmwareChoice[] {
  return Object.keys(ARCH_PROFILES[arch].firmware) as FirmwareChoice[]
}

/**
 * Why KVM cannot run `arch` on a host of `hostArch` (Node's `process.arch`), or undefined
 * when it may (then the accelerator probe decides).
 */
export function foreignArchReason(arch: Arch, hostArch: string = process.arch): string | undefined {
  if (ARCH_PROFILES[arch].kvmHosts.includes(hostArch)) return undefined
  return `${arch} guest on a ${hostArch === 'x64' ? 'x86_64' : hostArch} host: KVM runs only the host's own architecture`
}

/**
 * The firmware a machine of `arch` boots with: the one named, else `'none'` (QEMU loads the
 * kernel itself) when a non-x86 machine boots a `kernel` directly, else the architecture's
 * default. Pure; {@link checkArchSpec} has refused the choices that do not exist.
 */
export function chosenFirmware(spec: { arch?: Arch; firmware?: FirmwareChoice; kernel?: string }): FirmwareChoice | 'none' {
  const arch = spec.arch ?? 'x86_64'
  if (spec.firmware) return spec.firmware
  if (arch !== 'x86_64' && spec.kernel) return 'none'
  return ARCH_PROFILES[arch].defaultFirmware
}

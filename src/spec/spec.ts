import { SpecError } from '../errors/errors.js'
import type { FailurePattern } from '../console/failfast.js'
import type { Overlay } from '../net/tree.js'
import type { Arch, FirmwareChoice } from './arch.js'

/**
 * A virtio disk: an image (never written: writes go to a qcow2 overlay), or a blank disk
 * of `size` (a qcow2 file in the machine's temporary folder, e.g. to install onto; keep it
 * with `vm.saveDisk`).
 */
export interface DiskSpec {
  /** Path of the base image (raw or qcow2). Give this or `size`. */
  image?: string
  /** A blank disk of this size, e.g. `'2G'`, `'512M'` (qemu-img's suffixes K, M, G, T). */
  size?: string
  /** Device id used in QMP and in messages. Default `disk0`, `disk1`, … */
  id?: string
  /**
   * The image's format, given rather than guessed from its contents (default: what
   * `qemu-img info -f` finds for `qcow2`, else `raw`). Naming it stops a raw image that
   * looks like a qcow2 from being read as one.
   */
  format?: 'qcow2' | 'raw'
  /**
   * Allow a qcow2 image with a backing file (default false: refused, since its backing
   * file may name any host file, which the guest could then read).
   */
  allowBacking?: boolean
}

/**
 * PXE boot over TFTP: the machine gets a NIC on QEMU user networking, whose built-in TFTP
 * server serves `tftpRoot` (read-only) and whose DHCP hands out `bootfile`. The firmware
 * boots from the network first: SeaBIOS runs the NIC's iPXE ROM (use `pxelinux.0`,
 * `lpxelinux.0` or an iPXE script); UEFI (OVMF) loads the same ROM's EFI driver (use an EFI
 * binary such as GRUB's `grubx64.efi` or iPXE's `ipxe.efi`).
 */
export interface PxeSpec {
  /** The folder the TFTP server serves. It is never written, not even with `overlay`. */
  tftpRoot: string
  /** The file the firmware fetches and runs, relative to `tftpRoot` (after `overlay`), e.g. `'pxelinux.0'`. */
  bootfile: string
  /**
   * Files laid over `tftpRoot` for this machine only, e.g.
   * `{ 'pxelinux.cfg/default': 'serial 0 115200\n…' }` or `{ 'pxelinux.0': { path: '/usr/lib/PXELINUX/pxelinux.0' } }`.
   * The served tree is a folder of links to the original plus these files, in the
   * machine's temporary folder.
   */
  overlay?: Overlay
}

/**
 * iPXE over HTTP: bootcheck serves `httpRoot` over HTTP (on 127.0.0.1, a free port, for
 * this machine only: started by `boot`, stopped by `dispose`), and the NIC's iPXE ROM
 * chains to `script` there, reached by the guest as `http://10.0.2.2:<port>/<script>`.
 * Works with both firmwares.
 */
export interface IpxeSpec {
  /** The folder served over HTTP (only read). */
  httpRoot: string
  /** The iPXE script to chain to, relative to `httpRoot`. Default `'netboot.ipxe'` (NixOS's name). */
  script?: string
  /** Files laid over `httpRoot` for this machine only, as {@link PxeSpec.overlay}. */
  overlay?: Overlay
}

/**
 * A network a machine can join, as `network(t, { name })` returns it: a virtual switch
 * that lives as long as its test.
 */
export interface NetworkRef {
  /** The network's name (letters, digits, `-`, `_`, `.`), unique in its test. */
  readonly name: string
  /** The switch's socket folder (QEMU's `-netdev vde,sock=`). */
  readonly socketDir: string
  /** The folder where each NIC's capture (`<machine>.pcap`) and the network's capture go. */
  readonly captureDir: string
  /** The test it belongs to: its name path joined with ' > '. */
  readonly test: string
  /** True once its test ended: machines can no longer join. */
  readonly closed: boolean
}

/**
 * A NIC: a network to join, or `'user'` for QEMU's user networking (NAT to the host, for
 * `vm.forwardPort` and outgoing connections).
 */
export type NicSpec = NetworkRef | 'user'

/**
 * A host folder shared into the guest with 9p (virtio-9p): QEMU exports `host`, and
 * bootcheck mounts it at `guest` before the first command it runs in the guest (and again
 * after a reboot). Needs a guest kernel with 9p and 9pnet_virtio (built in or loaded).
 */
export interface ShareSpec {
  /** The host folder (must exist). */
  host: string
  /** Where the guest mounts it: an absolute path, created when missing. */
  guest: string
  /** The guest may only read the share (QEMU refuses its writes). Default false. The host may still write the folder. */
  readOnly?: boolean
}

/** A snapshot to restore, as `vm.snapshot()` returns it (or any object with its folder). */
export interface SnapshotRef {
  /** The snapshot's folder (with its `snapshot.json`). */
  readonly dir: string
}

/**
 * The fields a machine restored from a snapshot may still set: everything else (media,
 * memory, firmware, QEMU arguments) is the snapshot's. `nics` with `from` names the
 * networks a failure capsule's machine is plugged back into (its cards are the saved ones),
 * `shares` the host folders its 9p shares export again (matched by guest path).
 */
export const RESTORE_FIELDS = ['from', 'name', 'testFile', 'timeout', 'bootTimeout', 'failOn', 'login', 'shellProbe', 'shellPrompt', 'qemu', 'accel', 'syncClock', 'qemuArgs', 'nics', 'shares'] as const

/** How the machine is described by the user. Every field is optional but something must boot. */
export interface MachineSpec {
  /**
   * Restore a snapshot instead of booting: a new QEMU starts from the machine state saved
   * by `vm.snapshot()` (a {@link SnapshotRef} or the snapshot's folder), on its own qcow2
   * overlays over the snapshot's disks. Only the fields in {@link RESTORE_FIELDS} may be
   * given besides; the rest is the snapshot's.
   */
  from?: SnapshotRef | string
  /**
   * With `from`: set the guest's clock from the host's once restored (the guest's clock
   * stands where it was when the snapshot was taken). Needs a shell that was ready then.
   */
  syncClock?: boolean
  /** Name in messages, artifacts and the QEMU process title. Default `machine`. */
  name?: string
  /** Memory as `'1G'`, `'512M'` or a number of MiB. Default `'1G'`. */
  memory?: string | number
  /** Virtual CPUs. Default 1. */
  cpus?: number
  /**
   * The guest's architecture: `'x86_64'` (the default, a q35 PC), `'aarch64'` (QEMU's
   * `virt` board), `'riscv64'` (`virt`) or `'mips64el'` (`malta`). A foreign architecture
   * runs under TCG. See {@link ARCH_PROFILES} for each one's QEMU binary, CPU, console and
   * firmware.
   */
  arch?: Arch
  /**
   * The firmware. On x86_64: `'bios'` (SeaBIOS, the default) or `'uefi'` (Debian's OVMF,
   * package `ovmf`). On aarch64: `'uefi'` (AAVMF, package `qemu-efi-aarch64`, the default
   * without `kernel`) or `'u-boot'` (package `u-boot-qemu`). On riscv64 and mips64el:
   * `'u-boot'` (the default without `kernel`). With `kernel` and no `firmware`, a non-x86
   * machine boots the kernel directly, with no firmware.
   */
  firmware?: FirmwareChoice
  /**
   * The board, on aarch64: `'virt'` (QEMU's virtual board, the default) or `'raspi3b'` (an
   * emulated Raspberry Pi 3B: 1 GiB, 4 cores, SD card, no PCI), which Debian's
   * `u-boot-rpi` boots from an SD card. Default: `raspi3b` for `firmware: 'u-boot'` with
   * `sd`, else `virt`.
   */
  board?: 'virt' | 'raspi3b'
  /** A device tree blob for the firmware or kernel (`-dtb`); the Raspberry Pi needs one (e.g. `bcm2837-rpi-3-b.dtb` from the kernel package). */
  dtb?: string
  /**
   * An image attached as an SD card (device id `sd`): on `virt` an `sd-card` on `sdhci-pci`,
   * on `raspi3b` the board's own slot. It runs on a qcow2 overlay (the image is never
   * written; `vm.saveDisk('sd', path)` keeps it). QEMU wants a power-of-two size.
   */
  sd?: string
  /** An ISO image attached as a removable CD (device id `cdrom`), read-only. */
  cdrom?: string
  /**
   * An image attached as a removable USB stick (usb-storage on xhci, device id `usb`).
   * It runs on a qcow2 overlay, so the image itself is never written.
   */
  usb?: string
  /** Attach a USB tablet (absolute pointer) so `mouseMove` and `click` can point anywhere. Default false. */
  tablet?: boolean
  /** Disk images attached as virtio disks, each on its own qcow2 overlay. */
  disks?: Array<string | DiskSpec>
  /** A kernel to boot directly (QEMU `-kernel`), e.g. a `bzImage`. */
  kernel?: string
  /** An initrd for the direct kernel boot. */
  initrd?: string
  /**
   * Kernel parameters. With `kernel`, the whole command line of a direct kernel boot.
   * With `ipxe`, parameters the iPXE script adds through `${cmdline}`.
   * Without `kernel` but with `cdrom` (or `usb`), parameters added to the ISO's own boot
   * entry: bootcheck reads the kernel, initrd and command line from the ISO's isolinux or
   * GRUB configuration, boots them directly with these appended, and keeps the ISO
   * attached, as if the entry had been edited at the boot menu.
   */
  kernelParams?: string[]
  /** With `kernelParams` and no `kernel`: which boot entry of the ISO (label or title). Default: the ISO's default entry. */
  bootEntry?: string
  /**
   * Boot from the network with PXE over TFTP (see {@link PxeSpec}). The NIC is a
   * virtio-net on QEMU user networking, and boots first unless `bootFrom` says otherwise.
   */
  pxe?: PxeSpec
  /**
   * Boot from the network with iPXE over HTTP (see {@link IpxeSpec}). `kernelParams` are
   * then passed in iPXE's `cmdline` variable, which a NixOS-style `netboot.ipxe` appends to
   * its `kernel` line.
   */
  ipxe?: IpxeSpec
  /**
   * Network cards (virtio-net), in order: networks made with `network(t, …)` (each card's
   * MAC address derives from the machine's and the network's names, see `stableMac`;
   * device id `nic-<network>`) and `'user'` for QEMU's user networking (device id
   * `nic-user`). With `bootFrom: 'net'`, the first card boots the machine (PXE through
   * its iPXE ROM), e.g. a diskless client of a netboot server on the same network.
   */
  nics?: NicSpec[]
  /**
   * Host folders shared into the guest with 9p (see {@link ShareSpec}), mounted before the
   * first command. Large files given to `copyTo`/`copyFrom` go through the first share that
   * allows it. A machine with shares cannot be snapshotted (QEMU cannot migrate a mounted
   * 9p export).
   */
  shares?: ShareSpec[]
  /** What firmware boots first when several are attached. Default: net (with `pxe`/`ipxe`), cdrom, usb, disk. */
  bootFrom?: 'cdrom' | 'usb' | 'disk' | 'net' | 'sd'
  /** The test file whose `<name>.screens/` folder holds screen references. Default: the running script. */
  testFile?: string
  /** `'kvm'`, `'tcg'` or `'auto'` (the default: KVM when a probe boot proves it works). */
  accel?: 'kvm' | 'tcg' | 'auto'
  /** The QEMU binary. Default `qemu-system-x86_64` (or `$BOOTCHECK_QEMU`). */
  qemu?: string
  /** Extra QEMU arguments, appended as they are. */
  qemuArgs?: string[]
  /** Credentials for a getty `login:` prompt, when the guest shows one instead of a shell. */
  login?: {
    /** The user to log in as, e.g. `root`. */
    user: string
    /** The password, if the prompt asks for one; masked in logs, reports and messages, never written to snapshots. */
    password?: string
  }
  /**
   * When bootcheck may type its shell probes while waiting for a shell. `'quiet'` (the
   * default): only once the console has been quiet for a second on a line that looks like
   * a prompt (`# `, `$ `, `% `, `> `), 3 s after such a line was followed by other
   * messages, or after 30 s of silence when no such line came (an unusual or empty
   * prompt; a guest booting under TCG can be silent for 20 s), backing off when
   * unanswered; nothing is typed into a boot menu or a booting system before that.
   * `'eager'`: every few seconds from the start, for a guest whose prompt cannot be
   * recognised and that would otherwise wait 30 s.
   */
  shellProbe?: 'quiet' | 'eager'
  /**
   * The guest's shell prompt, when it is known (a regular expression, or its source as a
   * string): a console line that matches it is taken as the shell waiting, so the first
   * probe is typed at once, together with the session's setup, instead of after the
   * second of quiet that an unknown prompt needs (labgrid's `ShellDriver.prompt`). It
   * saves about a second a boot; a line that matches while the guest is still booting
   * gets a probe typed into the boot, so make it specific (`/^board# $/`, not `/# $/`).
   * Kept in snapshots.
   */
  shellPrompt?: RegExp | string
  /** Default timeout of console waits and commands, in milliseconds. Default 120000. */
  timeout?: number
  /** Timeout for the first shell after a boot or reboot, in milliseconds. Default 300000. */
  bootTimeout?: number
  /**
   * Console lines that fail the test at once instead of at a timeout. Default
   * {@link DEFAULT_FAILURE_PATTERNS} (kernel panic, oops, emergency/rescue shell, failed
   * stage 1); extend with `[...DEFAULT_FAILURE_PATTERNS, { name, pattern }]`, or `false`
   * to watch nothing (for a test that provokes a panic on purpose).
   */
  failOn?: readonly FailurePattern[] | false
  /**
   * With QEMU user networking (`pxe`, `ipxe`, `'user'` in `nics`): `restrict=on`, so the
   * guest cannot reach the host's own services (127.0.0.1) or beyond; default false.
   */
  restrictNetwork?: boolean
}

/** The memory of a machine whose spec gives none. */
export const DEFAULT_MEMORY = '1G'

/** Parses `'1G'`, `'512M'`, `'1.5G'` or a number of MiB into MiB; throws a {@link SpecError} for anything else. */
export function parseMemory(memory: string | number): number {
  if (typeof memory === 'number') {
    if (!Number.isInteger(memory) || memory < 16) throw new SpecError(`memory: expected at least 16 MiB, got ${memory}`)
    return memory
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$/i.exec(memory)
  if (!m) throw new SpecError(`memory: cannot read ${JSON.stringify(memory)}; write it like '1G' or '512M'`)
  const factor = { '': 1, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T']
  const mib = Math.round(Number(m[1]) * factor)
  if (mib < 16) throw new SpecError(`memory: ${memory} is less than 16 MiB`)
  return mib
}

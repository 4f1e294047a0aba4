/**
 * The pure half of a boot: from a machine spec and what {@link prepareLaunch} made ready
 * (overlays, extracted boot files, firmware variables, the network root), the
 * {@link LaunchPlan} that `buildQemuArgv` turns into QEMU's arguments. No file system, no
 * processes: every boot mode is unit-tested here.
 * @module
 */
import { join, resolve } from 'node:path'
import { stableMac } from '../net/mac.js'
import type { LaunchPlan, PlanNic } from '../qemu/argv.js'
import { ARCH_PROFILES, chosenBoard, RASPI3B } from '../spec/arch.js'
import { DEFAULT_MEMORY, parseMemory, type DiskSpec, type MachineSpec } from '../spec/spec.js'

/** How the kernel is found: given directly, read from an ISO's boot entry, or left to the firmware. */
export type KernelSource = 'kernel' | 'iso-entry' | 'firmware'

/** Which way the spec boots its kernel (see {@link KernelSource}). */
export function kernelSource(spec: MachineSpec): KernelSource {
  if (spec.kernel) return 'kernel'
  const iso = spec.cdrom ?? spec.usb
  if (iso && !spec.pxe && !spec.ipxe && (spec.kernelParams?.length || spec.bootEntry)) return 'iso-entry'
  return 'firmware'
}

/**
 * The disks of a spec with their device ids and the file each gets in `workDir`: an
 * overlay over `image`, or a blank disk of `size`.
 */
export function diskOverlays(
  spec: MachineSpec,
  workDir: string,
): Array<{ id: string; file: string; format?: 'qcow2' | 'raw'; allowBacking?: boolean } & ({ image: string; size?: undefined } | { image?: undefined; size: string })> {
  return (spec.disks ?? []).map((d, i) => {
    const disk: DiskSpec = typeof d === 'string' ? { image: d } : d
    const id = disk.id ?? `disk${i}`
    const file = join(workDir, `${id}.qcow2`)
    const trust = { ...(disk.format ? { format: disk.format } : {}), ...(disk.allowBacking ? { allowBacking: true } : {}) }
    return disk.image !== undefined ? { id, image: disk.image, file, ...trust } : { id, size: disk.size!, file }
  })
}

/**
 * The media the firmware may boot from, with their roles: the CD always (it is attached as
 * an ISO), the USB stick and the first disk when the firmware would boot them (named by
 * `bootFrom`, or nothing else to boot). Other disks may be blank data disks and are not
 * judged. Pure.
 */
export function bootMedia(spec: MachineSpec): Array<{ path: string; role: 'cdrom' | 'usb' | 'disk' }> {
  const out: Array<{ path: string; role: 'cdrom' | 'usb' | 'disk' }> = []
  if (spec.cdrom) out.push({ path: spec.cdrom, role: 'cdrom' })
  const firmwareBoots = kernelSource(spec) === 'firmware' && !spec.pxe && !spec.ipxe
  if (spec.usb && (spec.bootFrom === 'usb' || (firmwareBoots && !spec.bootFrom && !spec.cdrom))) out.push({ path: spec.usb, role: 'usb' })
  const first = diskOverlays(spec, '')[0]
  if (first?.image !== undefined && (spec.bootFrom === 'disk' || (firmwareBoots && !spec.bootFrom && !spec.cdrom && !spec.usb))) out.push({ path: first.image, role: 'disk' })
  return out
}

/** What the effects of a boot made ready, in the machine's temporary folder. */
export interface Prepared {
  /** Disk overlays with their device ids. */
  disks: Array<{ id: string; file: string }>
  /** The USB stick's overlay. */
  usb?: string
  /** The SD card's overlay. */
  sd?: string
  /** With {@link KernelSource} `iso-entry`: the kernel, initrd and command line read from the ISO. */
  isoEntry?: { kernel: string; initrd?: string; params: string[] }
  /** The firmware, its files checked (with UEFI: a private copy of the variables store). Default: x86's BIOS. */
  firmware?: LaunchPlan['firmware']
  /** With `pxe` or `ipxe`: the served TFTP root and/or the boot file (a TFTP path or an HTTP URL). */
  net?: { tftpRoot?: string; bootfile?: string }
}

/** Builds the launch plan. Pure. */
export function launchPlan(
  spec: MachineSpec,
  where: { name: string; accel: 'kvm' | 'tcg'; workDir: string; memoryMiB?: number | undefined },
  prepared: Prepared,
): LaunchPlan {
  return {
    name: where.name,
    accel: where.accel,
    // startMachine passes what checkSpec parsed; a pure caller that checked nothing may leave it out.
    memoryMiB: where.memoryMiB ?? parseMemory(spec.memory ?? DEFAULT_MEMORY),
    cpus: spec.cpus ?? (chosenBoard(spec) === 'raspi3b' ? RASPI3B.cpus : 1),
    ...archPlan(spec),
    firmware: prepared.firmware ?? { kind: 'bios' },
    qmpSocket: join(where.workDir, 'qmp.sock'),
    disks: prepared.disks,
    extraArgs: spec.qemuArgs ?? [],
    ...(spec.restrictNetwork ? { restrictNetwork: true } : {}),
    ...(spec.cdrom ? { cdrom: resolve(spec.cdrom) } : {}),
    ...(prepared.usb ? { usb: prepared.usb } : {}),
    ...(prepared.sd ? { sd: { file: prepared.sd, slot: chosenBoard(spec) === 'raspi3b' ? ('board' as const) : ('sdhci-pci' as const) } } : {}),
    ...(spec.tablet ? { tablet: true } : {}),
    ...directBoot(spec, prepared),
    ...(prepared.net ? { net: prepared.net } : {}),
    ...(spec.nics?.length ? { nics: planNics(spec, where.name) } : {}),
    ...(spec.bootFrom ? { bootFrom: spec.bootFrom } : {}),
    ...(spec.shares?.length ? { shares: plannedShares(spec) } : {}),
  }
}

/**
 * What the spec's architecture gives the plan: machine type, TCG CPU model, CD bus and
 * display (none of them for x86_64, whose defaults are the argv's). Pure.
 */
export function archPlan(spec: MachineSpec): Pick<LaunchPlan, 'arch' | 'machineType' | 'cpu' | 'cdromBus' | 'display' | 'serialIndex' | 'tcgSingleThread' | 'dtb' | 'nicModel'> {
  const arch = spec.arch ?? 'x86_64'
  if (arch === 'x86_64') return {}
  const p = ARCH_PROFILES[arch]
  const dtb = spec.dtb ? { dtb: resolve(spec.dtb) } : {}
  // the Pi's CPU is the board's own (cortex-a53)
  if (chosenBoard(spec) === 'raspi3b') return { arch, machineType: RASPI3B.machine, display: 'none', serialIndex: RASPI3B.serialIndex, tcgSingleThread: RASPI3B.tcgSingleThread, ...dtb }
  return {
    ...dtb,
    arch,
    machineType: p.machine,
    ...(p.tcgCpu ? { cpu: p.tcgCpu } : {}),
    cdromBus: p.cdrom,
    ...(p.nic ? { nicModel: p.nic } : {}),
    // aarch64's UEFI and Linux drive virtio-gpu; the other boards here are used headless
    display: arch === 'aarch64' ? 'virtio-gpu' : 'none',
  }
}

/**
 * The network cards of a spec: on a network, device id `nic-<network>`, a MAC derived from
 * the machine's and network's names, and a capture file `<machine>.pcap` in the network's
 * capture folder; `'user'` is `nic-user` with the MAC of network name `user`. Pure.
 */
export function planNics(spec: MachineSpec, machine: string): PlanNic[] {
  return (spec.nics ?? []).map(n =>
    n === 'user'
      ? { id: 'nic-user', mac: stableMac(machine, 'user'), backend: { kind: 'user' as const } }
      : { id: `nic-${n.name}`, mac: stableMac(machine, n.name), backend: { kind: 'vde' as const, socketDir: n.socketDir }, capture: join(n.captureDir, `${machine}.pcap`) },
  )
}

/** A share as the machine uses it: its 9p mount tag, the host folder (absolute) and the guest path. */
export interface PlannedShare {
  tag: string
  host: string
  guest: string
  readOnly: boolean
}

/** The spec's shares with their mount tags (`share0`, `share1`, …). Pure. */
export function plannedShares(spec: MachineSpec): PlannedShare[] {
  return (spec.shares ?? []).map((s, i) => ({ tag: `share${i}`, host: resolve(s.host), guest: s.guest.replace(/\/+$/, ''), readOnly: s.readOnly ?? false }))
}

function directBoot(spec: MachineSpec, prepared: Prepared): Pick<LaunchPlan, 'kernel' | 'initrd' | 'append'> {
  switch (kernelSource(spec)) {
    case 'kernel':
      return {
        kernel: resolve(spec.kernel!),
        ...(spec.initrd ? { initrd: resolve(spec.initrd) } : {}),
        ...(spec.kernelParams ? { append: spec.kernelParams.join(' ') } : {}),
      }
    case 'iso-entry': {
      const found = prepared.isoEntry
      if (!found) throw new Error('launchPlan: the ISO entry was not extracted') // a bug of the caller, not of the spec
      return {
        kernel: found.kernel,
        ...(found.initrd ? { initrd: found.initrd } : {}),
        append: [...found.params, ...(spec.kernelParams ?? [])].join(' '),
      }
    }
    case 'firmware':
      return {}
  }
}

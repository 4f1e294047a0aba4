/** A fully resolved launch: every path exists and every choice is made. Input of {@link buildQemuArgv}. */
export interface LaunchPlan {
  name: string
  accel: 'kvm' | 'tcg'
  /** QEMU's machine type. Default `q35` (an alias: a restored machine names the versioned type, e.g. `pc-q35-7.2`). */
  machineType?: string
  /** The guest architecture, for records and messages (the binary is chosen by the caller). Default `x86_64`. */
  arch?: string
  /** The CPU model under TCG (`-cpu`); under KVM the CPU is always `host`. Default: QEMU's own for the machine type. */
  cpu?: string
  memoryMiB: number
  cpus: number
  /**
   * BIOS (x86's SeaBIOS, QEMU's default), UEFI with the firmware code and a private writable
   * copy of the variables store (pflash), U-Boot (`-bios`; on riscv64 started by OpenSBI:
   * `-bios opensbi -kernel u-boot`), or none: QEMU loads `kernel` itself (a non-x86 board).
   */
  firmware: { kind: 'bios' } | { kind: 'uefi'; code: string; vars: string } | { kind: 'u-boot'; image: string; opensbi?: string; loader?: 'bios' | 'kernel' } | { kind: 'none' }
  /** The SD card's overlay (qcow2), device id `sd`: on `sdhci-pci` + `sd-card`, or in the board's own slot (`board`, e.g. raspi3b). */
  sd?: { file: string; slot: 'sdhci-pci' | 'board' }
  /** A device tree blob (`-dtb`). */
  dtb?: string
  /** Which of the board's serial ports is the console (the others are `null`). Default 0. */
  serialIndex?: number
  /** Under TCG, every vCPU on one QEMU thread (`-accel tcg,thread=single`): for a board whose fixed cores mostly wait. */
  tcgSingleThread?: boolean
  /** The CD drive's bus: `ide` (a PC, malta) or `scsi` (virtio-scsi, on boards with no IDE). Default `ide`. */
  cdromBus?: 'ide' | 'scsi'
  /** The network cards' QEMU device. Default `virtio-net-pci`. */
  nicModel?: string
  /** The display device: `vga` (std VGA, default), `virtio-gpu` (virtio-gpu-pci) or `none`. */
  display?: 'vga' | 'virtio-gpu' | 'none'
  /** The QMP unix socket QEMU listens on. */
  qmpSocket: string
  /** The ISO, attached read-only as a removable CD with device id `cdrom`; `null`: the CD drive with no medium. */
  cdrom?: string | null
  /** The USB stick's overlay (qcow2), device id `usb`. */
  usb?: string
  /** A USB tablet (absolute pointer, device id `tablet`) for mouse input. */
  tablet?: boolean
  /** The USB controller (device id `xhci`) even with no USB device: a restored machine whose stick was unplugged. */
  xhci?: boolean
  /** Disk overlays (qcow2) with their device ids. */
  disks: Array<{ id: string; file: string }>
  kernel?: string
  initrd?: string
  append?: string
  /**
   * A NIC (virtio-net, device id `net0`) on QEMU user networking: `tftpRoot` is served by
   * its built-in TFTP server, `bootfile` is the DHCP boot file name (a TFTP path or an
   * `http://` URL iPXE fetches). With a NIC, the network boots first unless `bootFrom`
   * names another device.
   */
  net?: { tftpRoot?: string; bootfile?: string }
  /**
   * Network cards (virtio-net) on virtual switches (`vde`: the switch's socket folder) or
   * on QEMU user networking (`user`), each with its device id, MAC address and, for a
   * switch, the pcap file its outgoing frames are written to (`filter-dump`). With
   * `bootFrom: 'net'` and no `net`, the first switch NIC boots (the only one with a ROM).
   */
  nics?: PlanNic[]
  bootFrom?: 'cdrom' | 'usb' | 'disk' | 'net' | 'sd'
  /**
   * Host folders exported with 9p (`-fsdev local` + `virtio-9p-pci`), each under its mount
   * tag; the guest mounts them itself, at `guest`.
   */
  shares?: Array<{ tag: string; host: string; guest: string; readOnly: boolean }>
  /** QEMU user networking with `restrict=on`: the guest cannot reach the host (127.0.0.1 services) or beyond. */
  restrictNetwork?: boolean
  /** Start paused and wait for the saved state of a snapshot (`-S -incoming defer`, then QMP `migrate-incoming`). */
  incoming?: boolean
  extraArgs: string[]
}

/** One network card of a {@link LaunchPlan}. */
export interface PlanNic {
  /** Device id (`nic-lan`); its netdev is `<id>.dev`. */
  id: string
  mac: string
  /** A vde switch's socket folder, or QEMU user networking. */
  backend: { kind: 'vde'; socketDir: string } | { kind: 'user' }
  /** Where the frames this NIC sends are written (pcap). */
  capture?: string
}

/**
 * Builds QEMU's argument vector for a plan. Pure: no file system access, so it is unit-tested
 * exhaustively. The guest's first serial port is QEMU's stdio (a pty), QMP is a unix socket,
 * and no default devices are created besides the ones listed.
 */
export function buildQemuArgv(plan: LaunchPlan): string[] {
  const a: string[] = []
  const push = (...xs: string[]): void => void a.push(...xs)
  push('-name', `${plan.name},process=bootcheck-${plan.name}`)
  push('-nodefaults', '-no-user-config')
  const accel = plan.accel === 'tcg' && plan.tcgSingleThread ? 'tcg,thread=single' : plan.accel
  push('-machine', plan.machineType ?? 'q35', '-accel', accel)
  if (plan.accel === 'kvm') push('-cpu', 'host')
  else if (plan.cpu !== undefined) push('-cpu', plan.cpu)
  push('-m', `${plan.memoryMiB}M`, '-smp', String(plan.cpus))
  push(...firmwareArgs(plan.firmware))
  push('-display', 'none', ...displayArgs(plan.display ?? 'vga'))
  // The serial console on stdio; signal=off lets Ctrl-C reach the guest instead of QEMU.
  push('-chardev', 'stdio,id=serial0,signal=off')
  // ports before the console's go nowhere (a plain `-serial null` would take the id serial0)
  for (let i = 0; i < (plan.serialIndex ?? 0); i++) push('-chardev', `null,id=unused-serial${i}`, '-serial', `chardev:unused-serial${i}`)
  push('-serial', 'chardev:serial0')
  push('-chardev', `socket,id=qmp,path=${escapeOpt(plan.qmpSocket)},server=on,wait=off`, '-mon', 'chardev=qmp,mode=control')
  const order = bootOrder(plan)
  if (plan.cdrom !== undefined) push(...cdromArgs(plan.cdrom, plan.cdromBus ?? 'ide', bootIndex(order, 'cdrom')))
  if (plan.usb !== undefined || plan.tablet || plan.xhci) push('-device', 'qemu-xhci,id=xhci')
  if (plan.tablet) push('-device', 'usb-tablet,bus=xhci.0,id=tablet')
  if (plan.usb !== undefined) {
    push('-drive', `if=none,id=usb0,format=qcow2,file=${escapeOpt(plan.usb)}`)
    push('-device', `usb-storage,bus=xhci.0,drive=usb0,id=usb,removable=on${bootIndex(order, 'usb')}`)
  }
  if (plan.sd?.slot === 'board') push('-drive', `if=sd,index=0,id=sd,format=qcow2,file=${escapeOpt(plan.sd.file)}`)
  else if (plan.sd) {
    push('-device', 'sdhci-pci,id=sdhci')
    push('-drive', `if=none,id=sd-drive,format=qcow2,file=${escapeOpt(plan.sd.file)}`)
    push('-device', 'sd-card,drive=sd-drive,id=sd')
  }
  plan.disks.forEach((d, i) => {
    push('-drive', `if=none,id=${d.id}-drive,format=qcow2,file=${escapeOpt(d.file)}`)
    push('-device', `virtio-blk-pci,drive=${d.id}-drive,id=${d.id}${i === 0 ? bootIndex(order, 'disk') : ''}`)
  })
  if (plan.net) {
    let netdev = `user,id=net0-user${plan.restrictNetwork ? ',restrict=on' : ''}`
    if (plan.net.tftpRoot !== undefined) netdev += `,tftp=${escapeOpt(plan.net.tftpRoot)}`
    if (plan.net.bootfile !== undefined) netdev += `,bootfile=${escapeOpt(plan.net.bootfile)}`
    push('-netdev', netdev)
    push('-device', `${plan.nicModel ?? 'virtio-net-pci'},netdev=net0-user,id=net0${bootIndex(order, 'net')}`)
  }
  const bootNic = plan.net || plan.bootFrom !== 'net' ? undefined : plan.nics?.find(n => n.backend.kind === 'vde')
  for (const nic of plan.nics ?? []) {
    const dev = `${nic.id}.dev`
    push('-netdev', nic.backend.kind === 'vde' ? `vde,id=${dev},sock=${escapeOpt(nic.backend.socketDir)}` : `user,id=${dev}${plan.restrictNetwork ? ',restrict=on' : ''}`)
    // Only the booting card loads its iPXE ROM: the others would only slow the firmware down.
    push('-device', `${plan.nicModel ?? 'virtio-net-pci'},netdev=${dev},id=${nic.id},mac=${nic.mac}${nic === bootNic ? bootIndex(order, 'net') : ',romfile='}`)
    // queue=rx: the frames the netdev receives from the card, i.e. what the guest sends;
    // every frame on a switch is sent by one card, so the NICs' files together hold each once.
    if (nic.capture !== undefined) push('-object', `filter-dump,id=${nic.id}.dump,netdev=${dev},queue=rx,file=${escapeOpt(nic.capture)}`)
  }
  for (const share of plan.shares ?? []) {
    // A writable share with security_model=none lets a guest plant on the host what QEMU (often
    // root) may create: setuid-root files, device nodes, links. mapped-xattr keeps the guest's
    // owners, modes, devices and links in extended attributes: on the host they are plain
    // files of QEMU's user, mode 0600/0700.
    const model = share.readOnly ? 'none' : 'mapped-xattr'
    push('-fsdev', `local,id=${share.tag},path=${escapeOpt(share.host)},security_model=${model}${share.readOnly ? ',readonly=on' : ''}`)
    push('-device', `virtio-9p-pci,fsdev=${share.tag},mount_tag=${share.tag},id=${share.tag}-dev`)
  }
  if (plan.dtb !== undefined) push('-dtb', plan.dtb)
  if (plan.kernel !== undefined) push('-kernel', plan.kernel)
  if (plan.initrd !== undefined) push('-initrd', plan.initrd)
  if (plan.append !== undefined) push('-append', plan.append)
  if (plan.incoming) push('-S', '-incoming', 'defer')
  push(...plan.extraArgs)
  return a
}

function firmwareArgs(fw: LaunchPlan['firmware']): string[] {
  switch (fw.kind) {
    case 'uefi':
      return [
        '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${escapeOpt(fw.code)}`,
        '-drive', `if=pflash,format=raw,unit=1,file=${escapeOpt(fw.vars)}`,
      ]
    case 'u-boot':
      // riscv64: OpenSBI is the machine-mode firmware and starts U-Boot as its payload.
      // the Raspberry Pi loads U-Boot as its kernel (at 0x80000, as its boot ROM would)
      if (fw.opensbi !== undefined) return ['-bios', fw.opensbi, '-kernel', fw.image]
      return fw.loader === 'kernel' ? ['-kernel', fw.image] : ['-bios', fw.image]
    case 'bios':
      return []
    case 'none':
      // QEMU's own loader starts -kernel (riscv64: QEMU's default OpenSBI does)
      return []
  }
}

function displayArgs(display: 'vga' | 'virtio-gpu' | 'none'): string[] {
  if (display === 'vga') return ['-vga', 'std']
  if (display === 'virtio-gpu') return ['-device', 'virtio-gpu-pci,id=gpu']
  return []
}

/** The CD drive (device id `cdrom`), with a medium or empty (`null`). */
function cdromArgs(cdrom: string | null, bus: 'ide' | 'scsi', bootindex: string): string[] {
  const file = cdrom === null ? '' : `,format=raw,file=${escapeOpt(cdrom)}`
  const drive = ['-drive', `if=none,id=cd0,media=cdrom,readonly=on${file}`]
  if (bus === 'ide') return [...drive, '-device', `ide-cd,drive=cd0,id=cdrom${bootindex}`]
  return [...drive, '-device', 'virtio-scsi-pci,id=scsi0', '-device', `scsi-cd,bus=scsi0.0,drive=cd0,id=cdrom${bootindex}`]
}

type Bootable = 'cdrom' | 'usb' | 'disk' | 'net' | 'sd'

function bootOrder(plan: LaunchPlan): Bootable[] {
  const present: Bootable[] = []
  if (plan.net || (plan.bootFrom === 'net' && plan.nics?.some(n => n.backend.kind === 'vde'))) present.push('net')
  if (plan.cdrom !== undefined) present.push('cdrom')
  if (plan.usb !== undefined) present.push('usb')
  if (plan.disks.length > 0) present.push('disk')
  if (plan.sd) present.push('sd')
  if (plan.bootFrom && present.includes(plan.bootFrom)) {
    return [plan.bootFrom, ...present.filter(p => p !== plan.bootFrom)]
  }
  return present
}

function bootIndex(order: Bootable[], what: Bootable): string {
  const i = order.indexOf(what)
  return i === -1 ? '' : `,bootindex=${i + 1}`
}

/** Escapes a value inside a QEMU `-drive`/`-chardev` option list, where a comma is doubled. */
export function escapeOpt(value: string): string {
  return value.replace(/,/g, ',,')
}

/** Renders an argv as a shell command line a person can paste, for logs and artifacts. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(x => (/^[\w@%+=:,./-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)).join(' ')
}

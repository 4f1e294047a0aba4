// Other architectures: the profiles, the spec checks of arch and firmware, and the pure
// spec → plan → argv path for aarch64, riscv64 and mips64el boards.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SpecError, MediumError } from '../../../src/errors/errors.js'
import { prepareFirmware, swapWords } from '../../../src/machine/firmware.js'
import { archPlan, launchPlan } from '../../../src/machine/plan.js'
import { chooseAccelerator } from '../../../src/machine/start.js'
import { buildQemuArgv } from '../../../src/qemu/argv.js'
import { ARCH_PROFILES, ARCHES, chosenFirmware, foreignArchReason } from '../../../src/spec/arch.js'
import { checkSpec } from '../../../src/spec/check.js'
import type { MachineSpec } from '../../../src/spec/spec.js'
import { checkFirmwareFile } from '../../../src/media/firmware.js'

const where = { name: 'vm', accel: 'tcg' as const, workDir: '/w' }
const after = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []))

t.test('each arch has its binary, Debian package, board and console', async t => {
  t.same(ARCHES, ['x86_64', 'aarch64', 'riscv64', 'mips64el'])
  t.match(ARCH_PROFILES.aarch64, { qemu: 'qemu-system-aarch64', qemuPackage: 'qemu-system-arm', machine: 'virt', console: 'ttyAMA0' })
  t.match(ARCH_PROFILES.riscv64, { qemu: 'qemu-system-riscv64', qemuPackage: 'qemu-system-misc', machine: 'virt', console: 'ttyS0' })
  t.match(ARCH_PROFILES.mips64el, { qemu: 'qemu-system-mips64el', qemuPackage: 'qemu-system-mips', machine: 'malta', console: 'ttyS0' })
  t.match(ARCH_PROFILES.x86_64, { qemu: 'qemu-system-x86_64', machine: 'q35' })
})

t.test('firmware: the named one, none for a direct kernel boot off x86, else the default', async t => {
  t.equal(chosenFirmware({}), 'bios')
  t.equal(chosenFirmware({ kernel: 'k' }), 'bios', 'x86 always has SeaBIOS')
  t.equal(chosenFirmware({ arch: 'aarch64', kernel: 'Image' }), 'none')
  t.equal(chosenFirmware({ arch: 'aarch64' }), 'uefi')
  t.equal(chosenFirmware({ arch: 'aarch64', firmware: 'u-boot' }), 'u-boot')
  t.equal(chosenFirmware({ arch: 'riscv64' }), 'u-boot')
  t.equal(chosenFirmware({ arch: 'mips64el', kernel: 'vmlinux' }), 'none')
})

t.test('bad arch/firmware combinations are SpecErrors naming what exists', async t => {
  const bad = (spec: MachineSpec, re: RegExp, msg: string): void => void t.throws(() => checkSpec(spec), { constructor: SpecError, message: re }, msg)
  bad({ arch: 'aarch64', firmware: 'bios', cdrom: 'x.iso' }, /firmware 'bios' does not exist on aarch64.*'uefi', 'u-boot'.*direct kernel boot/, 'bios on aarch64')
  bad({ arch: 'mips64el', firmware: 'uefi', cdrom: 'x.iso' }, /firmware 'uefi' does not exist on mips64el \(QEMU 'malta' board\).*'u-boot'/, 'uefi on MIPS')
  bad({ firmware: 'u-boot', cdrom: 'x.iso' }, /firmware 'u-boot' does not exist on x86_64.*'bios', 'uefi'$/, 'u-boot on x86')
  bad({ arch: 'sparc' as never, kernel: 'k' }, /arch must be one of "x86_64", "aarch64", "riscv64", "mips64el", got "sparc"/, 'unknown arch')
  bad({ arch: 'aarch64', firmware: 'u-boot', kernel: 'Image' }, /U-Boot loads the kernel itself/, 'u-boot with kernel')
  bad({ arch: 'aarch64', cdrom: 'x.iso', kernelParams: ['quiet'] }, /x86_64 only/, 'ISO entry editing off x86')
  bad({ arch: 'aarch64', ipxe: { httpRoot: '/r' } }, /use pxe with U-Boot/, 'ipxe off x86')
  t.doesNotThrow(() => checkSpec({ arch: 'aarch64', kernel: 'Image', initrd: 'i', kernelParams: ['console=ttyAMA0'] }))
  t.doesNotThrow(() => checkSpec({ arch: 'aarch64', firmware: 'u-boot', pxe: { tftpRoot: '/t', bootfile: 'x' } }))
})

t.test('a foreign arch is TCG, said once; kvm asked for there is a SpecError', async t => {
  t.equal(foreignArchReason('x86_64', 'x64'), undefined)
  t.equal(foreignArchReason('aarch64', 'arm64'), undefined)
  t.equal(foreignArchReason('aarch64', 'x64'), "aarch64 guest on a x86_64 host: KVM runs only the host's own architecture")
  t.match(foreignArchReason('mips64el', 'arm64'), /mips64el guest on a arm64 host/)
  if (process.arch !== 'x64') return
  t.same(await chooseAccelerator({ arch: 'aarch64' }, 'aarch64', 'q'), { accel: 'tcg', reason: "aarch64 guest on a x86_64 host: KVM runs only the host's own architecture" })
  await t.rejects(chooseAccelerator({ arch: 'riscv64', accel: 'kvm' }, 'riscv64', 'q'), { constructor: SpecError, message: /accel 'kvm' is impossible here: riscv64 guest/ })
  t.same(await chooseAccelerator({ arch: 'riscv64', accel: 'tcg' }, 'riscv64', 'q'), { accel: 'tcg', reason: 'chosen in the machine spec' })
})

t.test('aarch64 direct kernel boot: virt, cortex-a57 under TCG, no firmware, virtio-gpu', async t => {
  const spec: MachineSpec = { arch: 'aarch64', kernel: '/k/Image', initrd: '/k/initrd', kernelParams: ['console=ttyAMA0'] }
  const plan = launchPlan(spec, where, { disks: [], firmware: { kind: 'none' } })
  t.match(plan, { arch: 'aarch64', machineType: 'virt', cpu: 'cortex-a57', cdromBus: 'scsi', display: 'virtio-gpu' })
  const a = buildQemuArgv(plan)
  t.same(after(a, '-machine'), ['virt'])
  t.same(after(a, '-cpu'), ['cortex-a57'])
  t.same(after(a, '-kernel'), ['/k/Image'])
  t.notOk(a.includes('-bios'), 'no firmware')
  t.notOk(a.includes('-vga'), 'no VGA on virt')
  t.ok(after(a, '-device').includes('virtio-gpu-pci,id=gpu'))
  t.same(after(buildQemuArgv({ ...plan, accel: 'kvm' }), '-cpu'), ['host'], 'KVM (on an arm64 host) is -cpu host')
})

t.test('x86 plans are unchanged by the arch fields', async t => {
  t.same(archPlan({ kernel: 'k' }), {})
  const a = buildQemuArgv(launchPlan({ cdrom: 'x.iso' }, where, { disks: [] }))
  t.same(after(a, '-machine'), ['q35'])
  t.same(after(a, '-vga'), ['std'])
  t.ok(after(a, '-device').some(d => d.startsWith('ide-cd,drive=cd0,id=cdrom')))
  t.notOk(a.includes('-cpu'))
})

t.test('a CD on virt is a scsi-cd on virtio-scsi (no IDE there), id cdrom, and may boot first', async t => {
  const plan = launchPlan({ arch: 'aarch64', cdrom: '/m/live.iso' }, where, { disks: [], firmware: { kind: 'uefi', code: '/c.fd', vars: '/w/v.fd' } })
  const d = after(buildQemuArgv(plan), '-device')
  t.ok(d.includes('virtio-scsi-pci,id=scsi0'))
  t.ok(d.includes('scsi-cd,bus=scsi0.0,drive=cd0,id=cdrom,bootindex=1'))
  const empty = after(buildQemuArgv({ ...plan, cdrom: null }), '-drive')
  t.ok(empty.includes('if=none,id=cd0,media=cdrom,readonly=on'), 'an empty drive for a restored machine')
})

t.test('U-Boot is -bios, and on riscv64 the payload of OpenSBI', async t => {
  const arm = buildQemuArgv(launchPlan({ arch: 'aarch64', firmware: 'u-boot', disks: ['d'] }, where, { disks: [], firmware: { kind: 'u-boot', image: '/u/arm64.bin' } }))
  t.same(after(arm, '-bios'), ['/u/arm64.bin'])
  const rv = buildQemuArgv(launchPlan({ arch: 'riscv64', disks: ['d'] }, where, { disks: [], firmware: { kind: 'u-boot', image: '/u/rv.bin', opensbi: '/o/fw_jump.elf' } }))
  t.same(after(rv, '-bios'), ['/o/fw_jump.elf'])
  t.same(after(rv, '-kernel'), ['/u/rv.bin'])
  t.same(after(rv, '-cpu'), ['rv64'])
  const mips = buildQemuArgv(launchPlan({ arch: 'mips64el', cdrom: 'x.iso' }, where, { disks: [], firmware: { kind: 'u-boot', image: '/u/malta.bin' } }))
  t.same(after(mips, '-machine'), ['malta'])
  t.ok(after(mips, '-device').some(d => d.startsWith('ide-cd,')), 'malta has IDE')
  t.notOk(mips.includes('-vga'))
  const mipsNet = buildQemuArgv(launchPlan({ arch: 'mips64el', pxe: { tftpRoot: '/t', bootfile: 'vmlinux' } }, where, { disks: [], net: { tftpRoot: '/t' }, firmware: { kind: 'u-boot', image: '/u/malta.bin' } }))
  t.ok(after(mipsNet, '-device').some(d => d.startsWith('pcnet,netdev=net0-user')), "malta's NIC is the PCnet card its U-Boot drives")
})

t.test('prepareFirmware: the files of the choice, a private UEFI variables store, named errors for missing files', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-arch-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  t.same(await prepareFirmware({ arch: 'aarch64', kernel: 'Image' }, dir), { kind: 'none' })
  t.same(await prepareFirmware({ kernel: 'k' }, dir), { kind: 'bios' })
  t.throws(() => checkFirmwareFile({ path: join(dir, 'nope.bin'), debianPackage: 'u-boot-qemu' }, 'U-Boot for aarch64'), {
    constructor: MediumError,
    message: /U-Boot for aarch64 not found at .*nope\.bin: install it with apt-get install u-boot-qemu/,
  })
  // scripts/setup.sh installs qemu-efi-aarch64, u-boot-qemu and opensbi
  const fw = await prepareFirmware({ arch: 'aarch64', cdrom: 'x.iso' }, dir)
  t.match(fw, { kind: 'uefi', code: '/usr/share/AAVMF/AAVMF_CODE.fd', vars: join(dir, 'AAVMF_VARS.fd') })
  t.same(await readFile(join(dir, 'AAVMF_VARS.fd')), await readFile('/usr/share/AAVMF/AAVMF_VARS.fd'), 'a copy of the store; the system one is never written')
  t.match(await prepareFirmware({ arch: 'riscv64', disks: ['d'] }, dir), { kind: 'u-boot', image: '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin', opensbi: /fw_jump\.elf$/ })
  // malta: a word-swapped copy in the machine's folder; Debian's file untouched
  t.same(await prepareFirmware({ arch: 'mips64el', disks: ['d'] }, dir), { kind: 'u-boot', image: join(dir, 'u-boot-swap.bin') })
  t.same(await readFile(join(dir, 'u-boot-swap.bin')), swapWords(await readFile('/usr/lib/u-boot/malta64el/u-boot.bin')))
})

t.test('SD cards: sdhci-pci + sd-card on virt, the board slot on raspi3b, whose console is the second serial port', async t => {
  const virt = launchPlan({ arch: 'aarch64', kernel: 'Image', sd: 'sd.img' }, where, { disks: [], sd: '/w/sd.qcow2', firmware: { kind: 'none' } })
  t.same(virt.sd, { file: '/w/sd.qcow2', slot: 'sdhci-pci' })
  const a = buildQemuArgv(virt)
  t.ok(after(a, '-device').includes('sdhci-pci,id=sdhci'))
  t.ok(after(a, '-device').includes('sd-card,drive=sd-drive,id=sd'))
  t.ok(after(a, '-drive').includes('if=none,id=sd-drive,format=qcow2,file=/w/sd.qcow2'), 'the card runs on its overlay')
  const spec: MachineSpec = { arch: 'aarch64', firmware: 'u-boot', sd: 'sd.img', dtb: '/m/rpi.dtb', bootFrom: 'sd' }
  t.doesNotThrow(() => checkSpec(spec))
  const pi = launchPlan(spec, where, { disks: [], sd: '/w/sd.qcow2', firmware: { kind: 'u-boot', image: '/u/rpi.bin', loader: 'kernel' } })
  t.match(pi, { machineType: 'raspi3b', cpus: 4, memoryMiB: 1024, display: 'none', serialIndex: 1, tcgSingleThread: true, dtb: '/m/rpi.dtb', sd: { slot: 'board' } })
  t.notOk('cpu' in pi, "the Pi's own CPU")
  const b = buildQemuArgv(pi)
  t.same(after(b, '-serial'), ['chardev:unused-serial0', 'chardev:serial0'], 'the PL011 goes nowhere, the mini UART is the console')
  t.ok(after(b, '-drive').includes('if=sd,index=0,id=sd,format=qcow2,file=/w/sd.qcow2'))
  t.same(after(b, '-kernel'), ['/u/rpi.bin'], "U-Boot is loaded where the Pi's boot ROM puts a kernel")
  t.same(after(b, '-dtb'), ['/m/rpi.dtb'])
  t.same(after(b, '-accel'), ['tcg,thread=single'], 'its four cores on one TCG thread')
  t.notOk(b.includes('-bios'))
})

t.test('SD and board mistakes are SpecErrors', async t => {
  const bad = (spec: MachineSpec, re: RegExp): void => void t.throws(() => checkSpec(spec), { constructor: SpecError, message: re }, re.source)
  bad({ sd: 'sd.img' }, /sd \(an SD card\) is for the aarch64 and riscv64 boards/)
  bad({ arch: 'aarch64', kernel: 'k', bootFrom: 'sd' }, /bootFrom 'sd' needs sd/)
  bad({ arch: 'aarch64', firmware: 'u-boot', sd: 'sd.img' }, /raspi3b needs its device tree: dtb/)
  bad({ arch: 'aarch64', firmware: 'u-boot', sd: 'sd.img', dtb: 'd', cdrom: 'x.iso' }, /no PCI bus, so cdrom cannot be attached/)
  bad({ arch: 'aarch64', firmware: 'u-boot', sd: 'sd.img', dtb: 'd', memory: '512M' }, /raspi3b has 1 GiB/)
  bad({ arch: 'aarch64', board: 'raspi3b', firmware: 'uefi', kernel: 'k', dtb: 'd' }, /'uefi' does not exist on raspi3b/)
  bad({ arch: 'riscv64', board: 'raspi3b', kernel: 'k' }, /board is for aarch64/)
})

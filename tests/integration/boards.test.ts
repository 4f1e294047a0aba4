// Other architectures on real QEMU under TCG: the aarch64 demo board (Debian's arm64
// kernel, busybox-static:arm64) booted directly, and the named errors of bad arch and
// firmware combinations, which fail before any QEMU starts. U-Boot's TFTP netboot of the
// board is examples/uboot-tftp.test.ts (run by cli.test.ts through `bootcheck run examples/`).
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { boot, SpecError } from '../../src/index.js'
import { boardMedia } from '../../vm-configs/demo.js'

const arm = await boardMedia('aarch64')

t.test('aarch64 direct kernel boot: virt board, Debian arm64 Image, a shell on ttyAMA0', async t => {
  const started = Date.now()
  const vm = await boot(t, { name: 'arm64-direct', arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.kernelParams, memory: '512M' })
  t.equal(vm.accel, 'tcg', 'a foreign arch runs under TCG')
  t.equal((await vm.succeed('uname -m')).trim(), 'aarch64')
  t.comment(`boot to the first command: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  t.match(await vm.succeed('cat /proc/device-tree/compatible | tr "\\0" " "'), /linux,dummy-virt/, "QEMU's virt board")
  t.match(await vm.succeed('cat /sys/class/tty/ttyAMA0/type 2>/dev/null; readlink /sys/class/tty/console/../ttyAMA0/device/driver || true; cat /proc/consoles'), /ttyAMA0/, 'the console is the PL011')
})

t.test('bad combinations are named errors within a second, before QEMU starts', async t => {
  const t0 = Date.now()
  await t.rejects(boot(t, { arch: 'aarch64', firmware: 'bios', kernel: arm.kernel }), { constructor: SpecError, message: /firmware 'bios' does not exist on aarch64/ })
  await t.rejects(boot(t, { arch: 'aarch64', accel: 'kvm', kernel: arm.kernel }), { constructor: SpecError, message: /accel 'kvm' is impossible here/ })
  await t.rejects(boot(t, { arch: 'aarch64', kernel: arm.kernel, qemu: 'qemu-system-aarch64-missing' }), { code: 'BOOTCHECK_QEMU_START', message: /apt-get install qemu-system-arm/ })
  t.ok(Date.now() - t0 < 1000, `three refusals in ${Date.now() - t0} ms`)
})

t.test('aarch64 snapshot: restored on qemu-system-aarch64 from the manifest, RAM state kept, first command timed against a cold boot', async t => {
  const cold = Date.now()
  const src = await boot(t, { name: 'arm64-snap-src', arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.kernelParams, memory: '512M' })
  await src.succeed('echo in-ram > /root/mark')
  const coldMs = Date.now() - cold
  const snap = await src.snapshot({ name: 'arm64' })
  await src.dispose()
  const warm = Date.now()
  const vm = await boot(t, { from: snap, name: 'arm64-restored' })
  t.equal(await vm.succeed('cat /root/mark; uname -m'), 'in-ram\naarch64\n', 'the RAM of the moment of the snapshot, on aarch64')
  const warmMs = Date.now() - warm
  // a figure, not a target (speed targets belong in the benches)
  t.comment(`cold boot + first command ${coldMs} ms, restore + first command ${warmMs} ms (${(coldMs / warmMs).toFixed(1)}×)`)
})

t.test("mips64el direct kernel boot: malta, Debian's 5kc-malta ELF kernel, busybox-static:mips64el, a shell on ttyS0", async t => {
  const mips = await boardMedia('mips64el')
  const started = Date.now()
  const vm = await boot(t, { name: 'mips-direct', arch: 'mips64el', kernel: mips.kernel, initrd: mips.initrd, kernelParams: mips.kernelParams, memory: '512M' })
  t.equal((await vm.succeed('uname -m')).trim(), 'mips64', 'a 64-bit MIPS kernel')
  t.comment(`boot to the first command: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  t.match(await vm.succeed('cat /proc/cpuinfo'), /MIPS 5KE/, 'the TCG CPU model of the profile')
  t.match(await vm.succeed('cat /proc/cpuinfo'), /system type\s*: MIPS Malta/)
})

t.test("mips64el: malta's U-Boot (Debian's malta64el, its words swapped for QEMU's flash) at its prompt; DHCP and TFTP over the board's PCnet card", async t => {
  const mips = await boardMedia('mips64el')
  const vm = await boot(t, { name: 'mips-uboot', arch: 'mips64el', pxe: { tftpRoot: mips.tftpRoot, bootfile: 'vmlinux' }, memory: '512M' })
  await vm.uboot.interrupt() // no autoboot on malta: its prompt comes at once
  t.match(await vm.uboot.run('version'), /^U-Boot 20\d\d\./m)
  const env = await vm.uboot.env()
  t.match(env.loadaddr, /^0xffffffff8/, 'a 64-bit U-Boot (KSEG0 addresses sign-extended)')
  t.match(await vm.uboot.run('setenv autoload no; dhcp'), /DHCP client bound to address 10\.0\.2\.15/, 'the PCnet card took a lease from QEMU')
  const size = statSync(join(mips.tftpRoot, 'initrd')).size
  const got = await vm.uboot.run('tftpboot ${loadaddr} initrd')
  t.match(got, new RegExp(`Bytes transferred = ${size} `), `the initramfs came over TFTP (${size} bytes)`)
  t.match(await vm.uboot.run('crc32 ${loadaddr} ${filesize}'), new RegExp(`==> ${crc32(readFileSync(join(mips.tftpRoot, 'initrd'))).toString(16).padStart(8, '0')}`), 'byte for byte (CRC-32 in U-Boot = on the host)')
  await t.rejects(vm.uboot.run('tftpboot ${loadaddr} no-such-file'), { code: 'BOOTCHECK_COMMAND_FAILED', message: /TFTP error/ })
})

t.test('aarch64 UEFI: AAVMF on a private variables store boots the kernel (EFI stub) to a shell; the virtio-gpu screen can be captured', async t => {
  const vm = await boot(t, { name: 'arm64-uefi', arch: 'aarch64', firmware: 'uefi', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.kernelParams, memory: '512M' })
  t.equal((await vm.succeed('uname -m')).trim(), 'aarch64')
  t.equal((await vm.succeed('test -d /sys/firmware/efi && echo efi')).trim(), 'efi', 'the kernel was started by UEFI')
  const png = await vm.screenshot()
  t.same([...png.subarray(1, 4)].map(c => String.fromCharCode(c)).join(''), 'PNG', 'a screenshot of the virtio-gpu display')
})

t.test("riscv64: OpenSBI starts Debian's U-Boot (qemu-riscv64_smode) on virt, whose prompt answers; a failing command fails by its status", async t => {
  // no riscv64 kernel here (Debian 12 has riscv64 only in ports): the firmware alone, with a
  // TFTP root so the machine has something to boot
  const vm = await boot(t, { name: 'riscv64-uboot', arch: 'riscv64', pxe: { tftpRoot: arm.tftpRoot, bootfile: 'Image' }, memory: '512M' })
  await vm.uboot.interrupt()
  const env = await vm.uboot.env()
  t.equal(env.arch, 'riscv', "U-Boot's environment on riscv64")
  t.equal(env.board, 'qemu-riscv')
  // Debian's S-mode U-Boot finds no driver for the virtio-net-pci card (even after pci enum):
  // its dhcp fails, which run() reports by the command's status ($?), there being no error line
  await t.rejects(vm.uboot.run('pci enum; dhcp'), { code: 'BOOTCHECK_COMMAND_FAILED', message: /failed \(status 1\)[^]*No ethernet found/ })
})

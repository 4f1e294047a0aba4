// Other architectures on real QEMU under TCG: the aarch64 demo board (Debian's arm64
// kernel, busybox-static:arm64) booted directly, and the named errors of bad arch and
// firmware combinations, which fail before any QEMU starts.
import t from 'tap'
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

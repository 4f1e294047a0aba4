// Bad input gets a clear error naming the cause, and no QEMU process is left behind.
import t, { type Test } from 'tap'
import { readdir, writeFile } from 'node:fs/promises'
import { execa } from 'execa'
import { join } from 'node:path'
import { boot, type MachineSpec, GuestFailureError, MediumError, QemuStartError, TimeoutError, MachineExitedError } from '../../src/index.js'
import { trackedPids } from '../../src/qemu/registry.js'
import { alive } from './process.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()

// Every test ends with this: no QEMU process of this test file is still running.
const noneLeft = (t: Test): void => void t.same(trackedPids(), [], 'no QEMU process is left running')

t.test('a missing image path', async t => {
  const dir = t.testdir({})
  const missing = join(dir, 'nope.iso')
  const e = await boot(t, { cdrom: missing }).catch(x => x)
  t.type(e, MediumError)
  t.equal(e.message, `The cdrom image '${missing}' does not exist.`)
  await t.rejects(boot(t, { disks: [join(dir, 'disk.img')] }), /disk image 'disk0' '.*disk\.img' does not exist/)
  await t.rejects(boot(t, { kernel: join(dir, 'bzImage') }), /The kernel '.*bzImage' does not exist/)
  noneLeft(t)
})

t.test('a corrupt disk image is refused before QEMU starts', async t => {
  const dir = t.testdir({})
  const bad = join(dir, 'broken.qcow2')
  // A qcow2 header that promises far more than the file holds.
  const header = Buffer.alloc(512)
  header.write('QFI\xfb', 0, 'latin1')
  header.writeUInt32BE(3, 4)
  header.writeBigUInt64BE(1n << 40n, 24)
  header.writeUInt32BE(16, 20)
  await writeFile(bad, header)
  await t.rejects(boot(t, { disks: [bad] }), { name: 'MediumError', message: /cannot be read as a disk image/ })
  noneLeft(t)
})

t.test('an ISO without a recognisable boot entry, and an entry that does not exist', async t => {
  const dir = t.testdir({ content: { 'readme.txt': 'no boot loader here\n' } })
  const iso = join(dir, 'data.iso')
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, join(dir, 'content')])
  const e = await boot(t, { cdrom: iso, kernelParams: ['copytoram'] }).catch(x => x)
  t.type(e, MediumError)
  t.match(e.message, /No boot entries found in ISO '.*data\.iso': looked at \/isolinux\/isolinux\.cfg/)
  await t.rejects(boot(t, { cdrom: media.iso, bootEntry: 'nope', kernelParams: ['x'] }), /nope.*live.*live-copytoram|live.*nope/s)
  noneLeft(t)
})

t.test('a missing QEMU binary', async t => {
  await t.rejects(boot(t, { cdrom: media.iso, qemu: 'qemu-system-nonexistent' }), {
    name: 'QemuStartError',
    message: "QEMU binary 'qemu-system-nonexistent' not found: install it (Debian: apt-get install qemu-system-x86)",
  })
  noneLeft(t)
})

t.test('QEMU refusing its arguments is reported with what QEMU said', async t => {
  const e = await boot(t, { cdrom: media.iso, accel: 'tcg', qemuArgs: ['-device', 'no-such-device'] }).catch(x => x)
  t.type(e, QemuStartError)
  t.match(e.message, /did not start: .*no-such-device/s)
  noneLeft(t)
})

t.test('a file that is no ISO, given as a CD, fails at once instead of at the boot timeout', async t => {
  const dir = t.testdir({ 'junk.iso': Buffer.alloc(4 * 1024 * 1024, 0x5a) })
  const started = Date.now()
  const e = await boot(t, { name: 'junk', cdrom: join(dir, 'junk.iso'), accel: 'tcg' }).catch(x => x)
  t.type(e, MediumError)
  t.match(e.message, /junk\.iso' is not an ISO 9660 \(or UDF\) image/)
  t.ok(Date.now() - started < 5000, 'within seconds')
  noneLeft(t)
})

t.test('an ISO that does not boot: the wait times out, says the console printed nothing, and what the screen says', async t => {
  // A real ISO 9660 image with no boot record: it passes the check, and the firmware finds nothing to boot.
  const dir = t.testdir({ tree: { 'README.txt': 'data only\n' } })
  const iso = join(dir, 'data.iso')
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, join(dir, 'tree')])
  const vm = await boot(t, { name: 'no-boot', cdrom: iso, accel: 'tcg', bootTimeout: 15_000 })
  const e = await vm.console.waitFor(/# $/, { timeout: 8000 }).catch(x => x)
  t.type(e, TimeoutError)
  t.match(e.message, /Timed out after 8 s waiting for \/# \$\/ on the serial console of no-boot/)
  t.match(e.message, /The console printed nothing\./)
  t.match(e.message, /Full transcript: .*console\.log/)
  // A command's wait for the shell says what the firmware shows on the screen.
  const c = await vm.succeed('true').catch(x => x)
  t.type(c, TimeoutError)
  t.match(c.message, /The VGA text screen reads:[\s\S]*(No bootable device|Boot failed)/, 'SeaBIOS says it found nothing to boot')
  t.match(c.message, /silent-console-screen\.png/)
  await vm.dispose()
  t.notOk(alive(vm.pid), 'QEMU is gone after dispose')
  noneLeft(t)
})

// The demo kernel with an initrd that is not one: it panics looking for its root.
const noRoot = (t: Test, name: string): MachineSpec => ({
  name,
  kernel: media.kernel,
  initrd: join(t.testdir({ initrd: Buffer.from('not a cpio archive') }), 'initrd'),
  kernelParams: params(media, 'panic=0'),
  accel: 'tcg',
})

t.test('a kernel that cannot find its root fails at once, naming the panic', async t => {
  const vm = await boot(t, noRoot(t, 'no-root'))
  const start = Date.now()
  const e = await vm.console.waitFor(/# $/, { timeout: 300_000 }).catch(x => x)
  t.type(e, GuestFailureError)
  t.equal(e.failure, 'kernel panic')
  t.match(e.line, /Kernel panic - not syncing: VFS: Unable to mount root fs/)
  t.match(e.message, /no-root: kernel panic on the serial console:\n.*\| /s)
  t.ok(Date.now() - start < 60_000, `failed within ${Date.now() - start} ms, not at the 300 s timeout`)
  await t.rejects(vm.succeed('true'), GuestFailureError, 'later commands fail at once too')
  await vm.dispose()
  noneLeft(t)
})

t.test('with failOn: false the same boot runs into the timeout, which shows the last lines', async t => {
  const vm = await boot(t, { ...noRoot(t, 'no-root-unwatched'), bootTimeout: 20_000, failOn: false })
  const e = await vm.succeed('true', { timeout: 3000 }).catch(x => x)
  t.type(e, TimeoutError)
  t.match(e.message, /No shell answered on the serial console of no-root-unwatched/)
  t.match(e.message, /Last console lines:\n.*\| /s)
  t.match(e.message, /Kernel panic|VFS|Unable to mount root/)
  await vm.dispose()
  noneLeft(t)
})

t.test('a guest that powers off ends waits at once', async t => {
  const vm = await boot(t, { name: 'poweroff', cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media) })
  await vm.succeed('true')
  const pending = vm.console.waitFor('never printed', { timeout: 120_000 })
  const exit = await vm.powerOff()
  t.equal(exit.code, 0)
  const e = await pending.catch(x => x)
  t.type(e, MachineExitedError)
  await t.rejects(vm.succeed('true'), MachineExitedError)
  noneLeft(t)
})

t.test('a TFTP root without the boot file, a missing TFTP root, an HTTP root without the iPXE script', async t => {
  const dir = t.testdir({ tftp: { 'readme.txt': 'no boot loader here\n' }, http: { 'bzImage': 'x' } })
  const tftpRoot = join(dir, 'tftp')
  const e = await boot(t, { name: 'no-bootfile', pxe: { tftpRoot, bootfile: 'pxelinux.0' } }).catch(x => x)
  t.type(e, MediumError)
  t.equal(e.message, `The PXE boot file 'pxelinux.0' is not in the TFTP root '${tftpRoot}': the machine would have nothing to boot.`)
  await t.rejects(boot(t, { pxe: { tftpRoot, bootfile: 'pxelinux.0', overlay: { 'pxelinux.cfg/default': 'default x\n' } } }), {
    name: 'MediumError',
    message: /'pxelinux\.0' is not in the TFTP root '.*tftp' \(with the overlay laid over it\)/,
  })
  await t.rejects(boot(t, { pxe: { tftpRoot: join(dir, 'nope'), bootfile: 'pxelinux.0' } }), {
    name: 'MediumError',
    message: /The TFTP root '.*nope' does not exist\./,
  })
  await t.rejects(boot(t, { ipxe: { httpRoot: join(dir, 'http') }, kernelParams: ['quiet'] }), {
    name: 'MediumError',
    message: /The iPXE script 'netboot\.ipxe' is not in the HTTP root '.*http'/,
  })
  await t.rejects(boot(t, { pxe: { tftpRoot, bootfile: 'x' }, kernel: media.kernel }), /exclude each other/)
  t.same(await readdir(tftpRoot), ['readme.txt'], 'the TFTP root is unchanged')
  noneLeft(t)
})

// Removable media on aarch64's virt board, real QEMU under TCG: a CD (scsi-cd on
// virtio-scsi: virt has no IDE) ejected and inserted, and a USB stick (usb-storage on
// xhci) unplugged, each seen by the guest's kernel. The aarch64 live ISO (AAVMF, GRUB on the
// scsi-cd, copytoram chosen at the menu, the CD ejected) is examples/aarch64-live.test.ts.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { boot } from '../../src/index.js'
import { boardMedia } from '../../vm-configs/demo.js'

const arm = await boardMedia('aarch64')

t.test('aarch64 virt: the CD ejects and takes a new medium, the USB stick unplugs', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-removable-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const isos: string[] = []
  for (const name of ['first', 'second']) {
    await mkdir(join(dir, name))
    await writeFile(join(dir, name, 'which.txt'), `${name} disc\n`)
    const iso = join(dir, `${name}.iso`)
    await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-V', name.toUpperCase(), '-o', iso, join(dir, name)])
    isos.push(iso)
  }
  const vm = await boot(t, { name: 'arm64-removable', arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.kernelParams, cdrom: isos[0], usb: arm.sdImage!, memory: '512M' })
  await vm.succeed('mkdir -p /cd && mount -t iso9660 -o ro /dev/sr0 /cd')
  t.equal(await vm.succeed('cat /cd/which.txt'), 'first disc\n', 'the CD is read on scsi-cd')
  await vm.succeed('umount /cd')
  await vm.eject()
  t.match(await vm.fail('mount -t iso9660 -o ro /dev/sr0 /cd'), /medium|No such|not found|Invalid/i, 'no medium after eject')
  await vm.insert(isos[1]!)
  await vm.waitUntilSucceeds('mount -t iso9660 -o ro /dev/sr0 /cd', { timeout: 30_000 })
  t.equal(await vm.succeed('cat /cd/which.txt'), 'second disc\n', 'the inserted medium is read')
  await vm.waitUntilSucceeds('ls /sys/block | grep -q ^sd', { timeout: 60_000 })
  const stick = (await vm.succeed('ls /sys/block | grep ^sd')).trim()
  t.match(await vm.succeed(`cat /sys/block/${stick}/size`), /^262144\n$/, 'the USB stick is the 128 MiB SD image')
  await vm.unplug()
  await vm.waitUntilSucceeds(`test ! -e /sys/block/${stick}`, { timeout: 30_000 })
  t.pass('the guest saw the USB stick go')
})

t.test("screens on aarch64: the GRUB menu on AAVMF's virtio-gpu display is read as text", async t => {
  const vm = await boot(t, { name: 'arm64-grub-screen', arch: 'aarch64', cdrom: arm.iso!, memory: '512M' })
  await vm.console.waitFor('live-copytoram', { timeout: 120_000 })
  vm.console.send('\x1b[B') // stop the countdown on the second entry
  const found = await vm.waitForText('live-copytoram', { timeout: 60_000 })
  t.match(found.line, /live-copytoram/, "GRUB's entry, found by OCR on the screen")
  t.match((await vm.screenText()).text, /live/, 'the screen as text')
})

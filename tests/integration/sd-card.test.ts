// SD cards on aarch64, real QEMU under TCG: the demo board's SD image (MBR, FAT firmware
// partition, ext4 root with /boot/extlinux/extlinux.conf) on virt's sdhci-pci with a direct
// kernel boot. The image is never written; saveDisk keeps what the guest wrote. The
// emulated Raspberry Pi 3B booted by Debian's U-Boot (distro boot finds extlinux.conf) is
// examples/sd-card.test.ts, run by cli.test.ts through `bootcheck run examples/`.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { boot } from '../../src/index.js'
import { boardMedia } from '../../vm-configs/demo.js'

const arm = await boardMedia('aarch64')
const sha = async (f: string): Promise<string> => createHash('sha256').update(await readFile(f)).digest('hex')

t.test('virt + sdhci-pci: root on the SD card, the base image untouched, saveDisk keeps the writes', async t => {
  const before = await sha(arm.sdImage!)
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-sd-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const vm = await boot(t, { name: 'arm64-sd-virt', arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.sdKernelParams!, sd: arm.sdImage!, memory: '512M' })
  t.equal((await vm.succeed('uname -m')).trim(), 'aarch64')
  t.match(await vm.succeed('cat /proc/mounts'), /^\/dev\/mmcblk0p2 \/ ext4 /m, "the root is the SD card's ext4 partition")
  t.ok(await vm.succeed('cat /etc/board-root'), 'the root file system of the image')
  t.match(await vm.succeed('cat /boot/extlinux/extlinux.conf'), /linux \/boot\/Image/)
  t.match(await vm.succeed('cat /sys/block/mmcblk0/device/type'), /SD/)
  await vm.succeed('echo written-on-the-card > /root/note && sync')
  const saved = join(dir, 'sd.qcow2')
  await vm.saveDisk('sd', saved)
  await vm.dispose()
  t.equal(await sha(arm.sdImage!), before, 'the SD image itself was never written')
  const again = await boot(t, { name: 'arm64-sd-saved', arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.sdKernelParams!, sd: saved, memory: '512M' })
  t.equal(await again.succeed('cat /root/note'), 'written-on-the-card\n', 'the saved card holds the write')
})


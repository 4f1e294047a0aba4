import t from 'tap'
import { boot } from 'bootcheck'
import { arm } from './demo-media.js'

t.test('aarch64 SD card image: U-Boot distro boot finds extlinux.conf and boots to a shell with root on the card', async t => {
  // Debian's U-Boot for the Raspberry Pi, on QEMU's raspi3b, reads /boot/extlinux/extlinux.conf
  // from the card's bootable ext4 partition. The image runs on an overlay: it is never written.
  const vm = await boot(t, { arch: 'aarch64', firmware: 'u-boot', sd: arm.sdImage, dtb: arm.raspiDtb, bootFrom: 'sd' })
  await vm.console.waitFor('Found /boot/extlinux/extlinux.conf')
  t.equal(await vm.succeed('uname -m'), 'aarch64\n')
  t.match(await vm.succeed('cat /proc/device-tree/model'), /Raspberry Pi 3 Model B/)
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^\/dev\/mmcblk\dp2 \/ ext4 /) // the root is the card's ext4
})

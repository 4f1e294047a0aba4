import t from 'tap'
import { boot } from 'bootcheck'
import { arm } from './demo-media.js'

t.test('the access point: U-Boot fetches kernel + initramfs over TFTP, the system brings up its network and service', async t => {
  // A board with no media: QEMU's DHCP and TFTP serve the kernel, the initramfs and a
  // pxelinux.cfg/default (U-Boot looks for it beside the DHCP boot file, here the kernel).
  const vm = await boot(t, { arch: 'aarch64', firmware: 'u-boot', pxe: { tftpRoot: arm.tftpRoot, bootfile: 'Image' } })
  await vm.uboot.interrupt()
  t.equal((await vm.uboot.env()).board, 'qemu-arm')
  await vm.uboot.run('setenv autoload no; dhcp')
  await vm.uboot.run('pxe get', { errorLines: 'allow' }) // it tries pxelinux.cfg/01-<mac>, … before default
  await vm.uboot.boot('pxe boot')
  t.equal(await vm.succeed('uname -m'), 'aarch64\n')
  t.match(await vm.succeed('ip -4 -o addr show eth0'), /inet 10\.0\.2\.\d+\//) // its init took a DHCP lease
  const ip = (await vm.succeed("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")).trim()
  t.match(await vm.succeed(`wget -qO- http://${ip}/`), /access point aarch64/) // its service answers on its address
})

import t from 'tap'
import { boot } from 'bootcheck'
import { arm } from './demo-media.js'

t.test('the access point: U-Boot fetches kernel + initramfs over TFTP, the system brings up its network and service', async t => {
  // A board with no media: QEMU's DHCP and TFTP serve the kernel, the initramfs and a
  // pxelinux.cfg/default (U-Boot looks for it beside the DHCP boot file, here the kernel).
  const vm = await boot(t, { arch: 'aarch64', firmware: 'u-boot', memory: '512M', pxe: { tftpRoot: arm.tftpRoot, bootfile: 'Image' } })
  await vm.uboot.interrupt() // stop autoboot at U-Boot's prompt
  const env = await vm.uboot.env() // printenv, as an object
  t.equal(env.board, 'qemu-arm')
  t.match(env.kernel_addr_r, /^0x[0-9a-f]+$/)
  t.match(await vm.uboot.run('setenv autoload no; dhcp'), /DHCP client bound to address 10\.0\.2\.15/)
  // U-Boot's error lines fail run(): here a file the TFTP server does not have
  await t.rejects(vm.uboot.run('tftpboot ${kernel_addr_r} no-such-file'), { code: 'BOOTCHECK_COMMAND_FAILED', message: /TFTP error/ })
  // pxe get tries pxelinux.cfg/01-<mac>, … before default: those misses are allowed
  t.match(await vm.uboot.run('pxe get', { errorLines: 'allow' }), /Retrieving file: pxelinux\.cfg\/default\n/)
  await vm.uboot.boot('pxe boot') // U-Boot hands over to Linux; its shell answers next
  t.equal(await vm.succeed('uname -m'), 'aarch64\n')
  t.match(await vm.succeed('cat /proc/cmdline'), /bootcheck\.net bootcheck\.httpd/) // pxelinux.cfg/default's line
  t.match(await vm.succeed('ip -4 -o addr show eth0'), /inet 10\.0\.2\.\d+\//) // its init took a DHCP lease
  const ip = (await vm.succeed("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")).trim()
  t.match(await vm.succeed(`wget -qO- http://${ip}/`), /access point aarch64/) // its service answers on its address
})

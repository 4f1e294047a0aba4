// The access point of the seeds, on a network: an x86 netboot server (the demo live system
// serving DHCP with udhcpd, TFTP with in.tftpd and HTTP from a data disk) and an aarch64
// board with no media whose U-Boot takes its address from the server, fetches kernel and
// initramfs over the server's TFTP (pxe get, with the boot file set to the board's tree
// beside the x86 clients' files), and comes up serving HTTP that the server reaches over the
// network. The capture shows U-Boot's DHCP and TFTP.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { boot, network, stableMac, summarizeFrame } from '../../src/index.js'
import { boardMedia, demoMedia, netbootServerDisk, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
const arm = await boardMedia('aarch64')
const work = await mkdtemp(join(tmpdir(), 'bootcheck-board-net-test-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

t.test('an x86 server netboots an aarch64 board through U-Boot: DHCP, TFTP, a service the server reaches', async t => {
  const lan = await network(t, { name: 'lan' })
  // the board's TFTP tree (kernel, initramfs, its pxelinux.cfg/default) under arm64/, beside the x86 netboot files
  const disk = await netbootServerDisk(media, join(work, 'srv.img'), {
    files: {
      [`arm64/${basename(arm.kernel)}`]: { path: arm.kernel },
      'arm64/initrd': { path: arm.initrd },
      'arm64/pxelinux.cfg/default': await readFile(join(arm.tftpRoot, 'pxelinux.cfg', 'default'), 'utf8'),
    },
  })
  const server = await boot(t, { name: 'server', cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media), disks: [disk], memory: '512M', nics: [lan] })
  t.equal(await server.succeed('mkdir -p /srv && mount -o ro /dev/vda /srv && sh /srv/serve.sh'), 'serving\n')

  const board = await boot(t, { name: 'board', arch: 'aarch64', firmware: 'u-boot', memory: '512M', nics: [lan], bootFrom: 'net' })
  await board.uboot.interrupt()
  t.match(await board.uboot.run('setenv autoload no; dhcp'), /DHCP client bound to address 10\.0\.0\.1\d\d/, "U-Boot's address from the server's udhcpd")
  // pxe get looks for pxelinux.cfg/ beside the boot file: the board's tree, not the x86 clients'
  await board.uboot.run(`setenv bootfile arm64/${basename(arm.kernel)}`)
  t.match(await board.uboot.run('pxe get', { errorLines: 'allow' }), /Retrieving file: arm64\/pxelinux\.cfg\/default\n/, "pxe get fetched the board's config from the server")
  await board.uboot.boot('pxe boot')
  t.equal((await board.succeed('uname -m')).trim(), 'aarch64')
  const address = /inet (10\.0\.0\.\d+)\//.exec(await board.succeed('ip -4 -o addr show eth0'))?.[1]
  t.ok(address, `the board's init took a lease from the server (${address})`)
  t.match(await server.succeed(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${address} 80`), /bootcheck aarch64 access point/, "the server reaches the board's service")
  t.match(await server.succeed('cat /tmp/messages'), /RRQ from \S+ filename \/?arm64\/initrd/, "the server's TFTP log has the board's initramfs")

  const frames = (await lan.capture()).packets.map(p => summarizeFrame(p.data)!)
  const serverMac = stableMac('server', 'lan')
  t.ok(frames.some(f => f.udp?.dstPort === 67 && f.src !== serverMac), "the board's DHCP request is in the capture")
  t.ok(frames.filter(f => f.udp?.srcPort === 69 || f.udp?.dstPort === 69).length > 0, 'TFTP requests in the capture')
})

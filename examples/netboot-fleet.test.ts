import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot, bootAll, dhcpMessageType, network, stableMac, summarizeFrame } from 'bootcheck'
import { netbootServerDisk } from '../vm-configs/demo.js'
import { media } from './demo-media.js'

t.test('a netboot server and two diskless clients on one network', async t => {
  const lan = await network(t, { name: 'lan' })
  const dir = await mkdtemp(join(tmpdir(), 'fleet-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // the server's data disk: the netboot image, pxelinux, boot.ipxe, serve.sh
  const srv = await netbootServerDisk(media, join(dir, 'srv.img'), { httpClients: [stableMac('http', 'lan')] })
  // a second NIC on QEMU's user network, so the host can reach the server's web server
  const server = await boot(t, { name: 'server', cdrom: media.iso, disks: [srv], nics: [lan, 'user'] })
  t.equal(await server.succeed('mkdir -p /srv && mount -o ro /dev/vda /srv && sh /srv/serve.sh'), 'serving\n') // udhcpd, in.tftpd, httpd
  const userNic = await server.interfaceName('user') // eth1, enp0s4, …: found by its MAC
  await server.succeed(`ip link set ${userNic} up && ip addr add 10.0.2.15/24 dev ${userNic}`)
  const port = await server.forwardPort({ guest: 80 })
  t.match(await (await fetch(`http://127.0.0.1:${port}/boot.ipxe`)).text(), /^#!ipxe\n/)

  // no medium at all: each boots from the network (pxelinux over TFTP, iPXE over HTTP)
  const { pxe, http } = await bootAll(t, { pxe: { nics: [lan], bootFrom: 'net' }, http: { nics: [lan], bootFrom: 'net' } })
  for (const client of [pxe, http]) {
    t.match(await client.succeed('grep " / " /proc/mounts'), /^\S+ \/ tmpfs /) // running from RAM
    t.equal(await client.succeed("ls /sys/block | grep -v -e '^loop' -e '^ram' || true"), '') // no disk
    t.equal(await client.succeed('hello'), 'Hello, world!\n')
  }
  t.match(await readFile(pxe.console.logFile!, 'utf8'), /PXELINUX/) // the TFTP client ran pxelinux
  t.notMatch(await readFile(http.console.logFile!, 'utf8'), /PXELINUX/) // the HTTP client did not

  // the server's logs: two leases, and each client's files
  const leases = await server.succeed('dumpleases -f /tmp/udhcpd.leases')
  const ipOf = (mac: string) => new RegExp(`${mac}\\s+(\\S+)`, 'i').exec(leases)?.[1] ?? 'no lease'
  const [pxeIp, httpIp] = [ipOf(pxe.nics[0]!.mac), ipOf(http.nics[0]!.mac)]
  t.match(pxeIp, /^10\.0\.0\.\d+$/)
  t.match(httpIp, /^10\.0\.0\.\d+$/)
  t.not(pxeIp, httpIp)
  const [pxeAt, httpAt] = [pxeIp.replaceAll('.', '\\.'), httpIp.replaceAll('.', '\\.')] // as regular expressions
  const tftpLog = await server.succeed('cat /tmp/messages')
  for (const file of ['pxelinux.0', 'initrd']) t.match(tftpLog, new RegExp(`RRQ from (::ffff:)?${pxeAt} filename /?${file}`))
  const httpLog = await server.succeed('cat /tmp/httpd.log')
  for (const file of ['netboot.ipxe', 'bzImage', 'initrd']) t.match(httpLog, new RegExp(`${httpAt}\\]:\\d+: url:/${file}`))

  // the network's capture: each client's DHCP exchange, the TFTP read requests, the HTTP connection
  const frames = (await lan.capture()).packets.flatMap(p => summarizeFrame(p.data) ?? [])
  for (const c of [pxe, http]) {
    const mac = c.nics[0]!.mac
    const dhcp = frames.filter(f => f.udp && [67, 68].includes(f.udp.dstPort) && (f.src === mac || f.dst === mac || f.udp.srcPort === 67))
    const types = dhcp.map(f => dhcpMessageType(f.udp!.payload))
    for (const type of [1, 2, 3, 5]) t.ok(types.includes(type), `${c.name}: DHCP message type ${type}`) // DISCOVER, OFFER, REQUEST, ACK
  }
  const readRequests = (mac: string) =>
    frames
      .filter(f => f.src === mac && f.udp?.dstPort === 69 && f.udp.payload.readUInt16BE(0) === 1) // TFTP RRQ
      .map(f => f.udp!.payload.subarray(2).toString('latin1').split('\0')[0]!.replace(/^\//, ''))
  t.same([...new Set(readRequests(pxe.nics[0]!.mac))].slice(0, 3), ['boot.ipxe', 'pxelinux.0', 'ldlinux.c32'])
  t.same([...new Set(readRequests(http.nics[0]!.mac))], ['boot.ipxe']) // the rest came over HTTP
  t.ok(frames.some(f => f.src === http.nics[0]!.mac && f.tcp?.dstPort === 80))
})


// A netboot fleet on a network of machines: a server booted from the demo ISO serves DHCP
// (udhcpd), TFTP (in.tftpd) and HTTP (httpd) on `lan`; two diskless clients without media
// boot from it, one with pxelinux over TFTP, one with iPXE over HTTP, to a shell running
// from RAM. The server's logs and the network's capture show both.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot, bootAll, dhcpMessageType, network, NetworkError, stableMac, summarizeFrame } from '../../src/index.js'
import { demoMedia, netbootServerDisk, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
const work = await mkdtemp(join(tmpdir(), 'bootcheck-fleet-test-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

t.test('a server netboots two diskless clients: pxelinux over TFTP and iPXE over HTTP', async t => {
  const lan = await network(t, { name: 'lan' })
  const disk = await netbootServerDisk(media, join(work, 'srv.img'), { httpClients: [stableMac('http', 'lan')] })
  const server = await boot(t, {
    name: 'server',
    cdrom: media.iso,
    kernel: media.kernel,
    initrd: media.initrd,
    kernelParams: params(media),
    disks: [disk],
    nics: [lan, 'user'],
  })
  t.equal(await server.succeed('mkdir -p /srv && mount -o ro /dev/vda /srv && sh /srv/serve.sh'), 'serving\n')

  // the host reaches the server's web server through its user-network NIC (QEMU's user
  // network forwards to 10.0.2.15, the address its DHCP would give)
  const userNic = await server.interfaceName('user')
  t.match(userNic, /^(eth|en)\w+$/, `the user-network NIC is ${userNic} in the guest`)
  await server.succeed(`ip link set ${userNic} up && ip addr add 10.0.2.15/24 dev ${userNic}`)
  const port = await server.forwardPort({ guest: 80 })
  const served = await fetch(`http://127.0.0.1:${port}/boot.ipxe`).then(r => r.text())
  t.match(served, /^#!ipxe\n/, 'the host fetched boot.ipxe from the guest through a forwarded port')
  const { pxe, http } = await bootAll(t, {
    pxe: { nics: [lan], bootFrom: 'net' },
    http: { nics: [lan], bootFrom: 'net' },
  })
  for (const client of [pxe, http]) {
    t.match(await client.succeed('grep " / " /proc/mounts'), /^\S+ \/ tmpfs /, `${client.name} runs from RAM`)
    t.equal(await client.succeed("ls /sys/block | grep -v -e '^loop' -e '^ram' || true"), '', `${client.name} has no disk`)
    t.equal(await client.succeed('hello'), 'Hello, world!\n')
  }
  t.match(await readFile(pxe.console.logFile!, 'utf8'), /PXELINUX/, 'the TFTP client ran pxelinux')
  t.notMatch(await readFile(http.console.logFile!, 'utf8'), /PXELINUX/, 'the HTTP client did not')

  const leases = await server.succeed('dumpleases -f /tmp/udhcpd.leases')
  const leased = (mac: string): string => new RegExp(`${mac}\\s+(\\S+)`, 'i').exec(leases)?.[1] ?? ''
  const [pxeIp, httpIp] = [leased(pxe.nics[0]!.mac), leased(http.nics[0]!.mac)]
  t.match(pxeIp, /^10\.0\.0\.\d+$/, `the pxelinux client leased ${pxeIp}`)
  t.match(httpIp, /^10\.0\.0\.\d+$/, `the iPXE client leased ${httpIp}`)
  t.not(pxeIp, httpIp, 'the clients got different addresses')
  const syslog = await server.succeed('cat /tmp/messages')
  t.match(syslog, new RegExp(`RRQ from (::ffff:)?${pxeIp.replace(/\./g, '\\.')} filename /?pxelinux\\.0`), 'the TFTP server logged the pxelinux client')
  t.match(syslog, new RegExp(`RRQ from (::ffff:)?${pxeIp.replace(/\./g, '\\.')} filename /?initrd`), 'and its initrd')
  const httpLog = await server.succeed('cat /tmp/httpd.log')
  for (const file of ['netboot.ipxe', 'bzImage', 'initrd']) {
    t.match(httpLog, new RegExp(`${httpIp.replace(/\./g, '\\.')}\\]:\\d+: url:/${file.replace('.', '\\.')}`), `the web server logged the iPXE client's ${file}`)
  }

  // the capture: the DHCP exchanges and the TFTP transfer
  const frames = (await lan.capture()).packets.map(p => summarizeFrame(p.data)!).filter(Boolean)
  const dhcpTypes = (mac: string): number[] =>
    frames.filter(f => f.udp && (f.src === mac || f.dst === mac || f.udp.srcPort === 67) && [67, 68].includes(f.udp.dstPort)).map(f => dhcpMessageType(f.udp!.payload) ?? 0)
  for (const c of [pxe, http]) {
    const types = dhcpTypes(c.nics[0]!.mac)
    for (const [n, what] of [[1, 'DISCOVER'], [2, 'OFFER'], [3, 'REQUEST'], [5, 'ACK']] as const) t.ok(types.includes(n), `the capture has a DHCP${what} (${c.name})`)
  }
  const rrqs = (mac: string): string[] =>
    frames.filter(f => f.src === mac && f.udp?.dstPort === 69 && f.udp.payload.readUInt16BE(0) === 1).map(f => f.udp!.payload.subarray(2).toString('latin1').split('\0')[0]!.replace(/^\//, ''))
  t.same([...new Set(rrqs(pxe.nics[0]!.mac))].slice(0, 3), ['boot.ipxe', 'pxelinux.0', 'ldlinux.c32'], 'the capture has the pxelinux client\'s TFTP read requests: boot.ipxe (DHCP\'s boot file), then pxelinux')
  t.same([...new Set(rrqs(http.nics[0]!.mac))], ['boot.ipxe'], 'the iPXE client read only boot.ipxe over TFTP')
  const data = frames.filter(f => f.dst === pxe.nics[0]!.mac && f.udp && f.udp.payload.readUInt16BE(0) === 3)
  t.ok(data.length > 1000, `and the TFTP data blocks (${data.length}) of the transfer`)
  t.ok(frames.some(f => f.src === http.nics[0]!.mac && f.tcp?.dstPort === 80), 'and the iPXE client\'s HTTP connection')
})

t.test('a network is for the machines of its own test', async t => {
  const lan = await network(t, { name: 'lan' })
  await t.rejects(network(t, { name: 'lan' }), NetworkError, 'two networks of one name in a test')
  const started = Date.now()
  let other: unknown
  await t.test('another test', async tt => {
    other = await boot(tt, { name: 'stray', kernel: media.kernel, nics: [lan] }).catch(e => e)
  })
  t.type(other, NetworkError)
  t.match((other as Error).message, /network 'lan' belongs to test 'a network is for the machines of its own test'/)
  t.ok(Date.now() - started < 10_000, 'at once, before QEMU starts')
  const m = await boot(t, { name: 'member', kernel: media.kernel, initrd: media.initrd, kernelParams: params(media), nics: [lan] })
  t.same(m.nics, [{ id: 'nic-lan', network: 'lan', mac: stableMac('member', 'lan') }])
  await t.rejects(boot(t, { name: 'member', kernel: media.kernel, nics: [lan] }), { name: 'NetworkError', message: /already has a machine named 'member'/ })
  await t.rejects(m.forwardPort({ guest: 80 }), { name: 'NetworkError', message: /no NIC on 'user'.*add 'user' to its nics/ })
  await t.rejects(m.snapshot(), { name: 'SnapshotError', message: /on network 'lan'/ })
  await t.rejects(network(t, { name: 'user' }), NetworkError)
  await t.rejects(network(t, { name: 'no spaces' }), NetworkError)

  // a network no machine joined fails its test when the test ends
  const teardowns: Array<() => unknown> = []
  const lonely = await network({ teardown: fn => teardowns.push(fn), fullname: 'x > TAP > lonely test' }, { name: 'empty' })
  await t.rejects((async () => { for (const f of teardowns) await f() })(), { name: 'NetworkError', message: /network 'empty' of test 'lonely test' was made but no machine joined it/ })
  t.ok(lonely.closed)
  await t.rejects(boot(t, { name: 'late', kernel: media.kernel, nics: [lonely] }), { name: 'NetworkError', message: /was closed/ })
})

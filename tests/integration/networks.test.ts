// Networks of machines on real QEMU: a cable pulled and plugged back between a demo machine
// and a machine of each guest of guests.ts, whose cable it is (busybox's ip and ping;
// iproute2 and iputils on Debian; one cold boot of Debian, not two), and a
// router with NAT between demo machines, a client on `lan` and `outside` on `wan`, checked
// from the guests and from the captures.
import t from 'tap'
import { bootAll, network, summarizeFrame, type Machine, type MachineSpec, type Network } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'
import { guests } from './guests.js'

const media = await demoMedia()
// #region helpers
// The demo live system, booted directly (no boot menu), on the given networks.
const live = (...nics: Network[]): MachineSpec => ({ cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media), memory: '512M', nics })

/** The guest's interface on `net` up, with `address`. */
async function up(vm: Machine, net: Network, address: string): Promise<string> {
  const dev = await vm.interfaceName(net)
  await vm.succeed(`ip link set ${dev} up && ip addr add ${address}/24 dev ${dev}`)
  return dev
}

/**
 * An HTTP GET with busybox nc (the static busybox's wget crashes resolving names without
 * NSS); prints the body's last line. Fails when the connection cannot be made within 5 s.
 */
const get = (host: string, path: string): string =>
  `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} 80 > /tmp/reply && grep -q '^HTTP/1.[01] 200' /tmp/reply && tail -n 1 /tmp/reply`
// #endregion

for (const guest of guests) {
  t.test(`${guest.name}: a ping stops while the cable is pulled and comes back when it is plugged in`, async t => {
    const lan = await network(t, { name: 'lan' })
    // b, the guest under test, has its cable pulled; a, its peer, is the demo system
    const { a, b } = await bootAll(t, { a: live(lan), b: { ...guest.spec, memory: guest.memory, nics: [lan] } })
    await up(a, lan, '10.0.0.1')
    const dev = await up(b, lan, '10.0.0.2')
    await a.waitUntilSucceeds('ping -c 1 -W 1 10.0.0.2', { timeout: 30_000 })
    await lan.disconnect(b)
    await a.fail('ping -c 3 -W 1 10.0.0.2')
    t.equal(await b.succeed(`cat /sys/class/net/${dev}/carrier`), '0\n', 'b sees no carrier')
    await lan.connect(b)
    await a.waitUntilSucceeds('ping -c 1 -W 1 10.0.0.2', { timeout: 30_000 })
    t.equal(await b.succeed(`cat /sys/class/net/${dev}/carrier`), '1\n', 'b sees its carrier again')
    await b.succeed('ping -c 1 -W 5 10.0.0.1') // and b's own ip and ping work
    const frames = (await lan.capture()).packets.map(p => summarizeFrame(p.data)!)
    t.ok(frames.some(f => f.ip?.src === '10.0.0.1' && f.ip.dst === '10.0.0.2' && f.ip.protocol === 1), 'the capture has the pings')
  })
}

// #region router
t.test('a router with NAT: the client reaches outside only through it, and a firewall rule stops it', async t => {
  const lan = await network(t, { name: 'lan' })
  const wan = await network(t, { name: 'wan' })
  const { client, router, outside } = await bootAll(t, { client: live(lan), router: live(lan, wan), outside: live(wan) })
  await up(client, lan, '10.0.0.2')
  await client.succeed('ip route add default via 10.0.0.1')
  await up(router, lan, '10.0.0.1')
  const routerWan = await up(router, wan, '192.168.1.1')
  await up(outside, wan, '192.168.1.2') // no route back to 10.0.0.0/24: only NAT can answer the client
  // a web server that answers with the address the request came from, and a TCP listener
  await outside.succeed(
    "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/from && chmod +x /www/cgi-bin/from && httpd -p 80 -h /www",
  )
  await outside.succeed('(nc -l -p 7000 > /tmp/got </dev/null &) ; true')

  // nc exits 1 when it cannot connect (a crash would be 139)
  t.equal((await client.run(get('192.168.1.2', '/cgi-bin/from'), { timeout: 30_000 })).status, 1, 'without forwarding on the router, the client cannot reach outside')
  await router.succeed('echo 1 > /proc/sys/net/ipv4/ip_forward')
  await router.succeed(`nft add table ip nat && nft add chain ip nat post '{ type nat hook postrouting priority 100 ; }' && nft add rule ip nat post oifname ${routerWan} masquerade`)
  // busybox httpd listens on IPv6 too: REMOTE_ADDR is IPv4-mapped ([::ffff:192.168.1.1])
  const source = /^\[?(::ffff:)?192\.168\.1\.1\]?\n$/
  t.match(await client.succeed(get('192.168.1.2', '/cgi-bin/from')), source, 'outside sees the router\'s address as the source')
  await client.succeed('echo hello through the router | nc 192.168.1.2 7000')
  t.equal(await outside.waitUntilSucceeds('grep hello /tmp/got', { timeout: 10_000 }), 'hello through the router\n', 'a TCP connection with nc')

  const onWan = (await wan.capture()).packets.map(p => summarizeFrame(p.data)!).filter(f => f.ip)
  t.ok(onWan.some(f => f.ip!.src === '192.168.1.1' && f.tcp?.dstPort === 80), 'on wan, the HTTP request comes from the router')
  t.notOk(onWan.some(f => f.ip!.src === '10.0.0.2' || f.ip!.dst === '10.0.0.2'), 'the client\'s own address never appears on wan')

  await router.succeed("nft add table ip filter && nft add chain ip filter guard '{ type filter hook forward priority 0 ; }' && nft add rule ip filter guard ip saddr 10.0.0.2 drop")
  t.equal((await client.run(get('192.168.1.2', '/cgi-bin/from'), { timeout: 30_000 })).status, 1, 'with a rule dropping the client\'s traffic, the same fetch fails')
  t.match(await router.succeed(get('192.168.1.2', '/cgi-bin/from')), source, 'while the router itself still reaches outside')
})
// #endregion

import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot, bootAll, network, stableMac } from 'bootcheck'
import { netbootServerDisk } from '../vm-configs/demo.js'
import { media } from './demo-media.js'

t.test('a netboot server and two diskless clients on one network', async t => {
  const lan = await network(t, { name: 'lan' })
  const dir = await mkdtemp(join(tmpdir(), 'fleet-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // the server's data disk: the netboot image, pxelinux, boot.ipxe, serve.sh
  const srv = await netbootServerDisk(media, join(dir, 'srv.img'), { httpClients: [stableMac('http', 'lan')] })
  const server = await boot(t, { name: 'server', cdrom: media.iso, disks: [srv], nics: [lan] })
  await server.succeed('mkdir -p /srv && mount -o ro /dev/vda /srv && sh /srv/serve.sh') // udhcpd, in.tftpd, httpd

  // no medium at all: each boots from the network (pxelinux over TFTP, iPXE over HTTP)
  const { pxe, http } = await bootAll(t, { pxe: { nics: [lan], bootFrom: 'net' }, http: { nics: [lan], bootFrom: 'net' } })
  for (const client of [pxe, http]) {
    t.match(await client.succeed('grep " / " /proc/mounts'), /^\S+ \/ tmpfs /) // running from RAM
    t.equal(await client.succeed('hello'), 'Hello, world!\n')
  }
  const leases = await server.succeed('dumpleases -f /tmp/udhcpd.leases')
  t.match(leases, pxe.nics[0]!.mac)
  t.match(leases, http.nics[0]!.mac) // two clients, two leases
  t.match(await server.succeed('cat /tmp/messages'), /RRQ from .* filename \/?pxelinux\.0/) // TFTP
  t.match(await server.succeed('cat /tmp/httpd.log'), /url:\/netboot\.ipxe/) // HTTP
})

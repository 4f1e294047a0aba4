// Networks of machines belong to their test: a second network of one name, a machine of
// another test, a second machine of one name, a port forward without a user NIC and a
// snapshot of a networked machine are named errors at once, before QEMU starts; a network
// no machine joined fails its test. The netboot
// fleet itself (a server booted from the demo ISO serving DHCP, TFTP and HTTP; a pxelinux
// client and an iPXE client without media; the server's logs and the capture) is
// examples/netboot-fleet.test.ts, run by cli.test.ts through `bootcheck run examples/`.
import t from 'tap'
import { boot, network, NetworkError, stableMac } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()

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

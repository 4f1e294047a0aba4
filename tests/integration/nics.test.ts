// A machine's NIC on QEMU's user network, on each guest of guests.ts (restored from its
// snapshot with a `'user'` NIC): vm.interfaceName finds the guest's name for it (busybox's
// eth0, systemd's predictable enp0s…), and vm.forwardPort brings a host port to a
// listener in the guest (busybox nc, OpenBSD nc), both ways over one TCP connection.
import t from 'tap'
import { connect } from 'node:net'
import { guests } from './guests.js'

/** Connects to 127.0.0.1:`port`, sends `line`, and resolves with what came back before the guest closed. */
function exchange(port: number, line: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(line))
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms (got ${JSON.stringify(got)})`)))
    socket.on('data', d => {
      got += d.toString()
      if (got.includes('\n')) socket.end()
    })
    socket.on('close', () => resolve(got))
    socket.on('error', reject)
  })
}

for (const guest of guests) {
  t.test(`${guest.name}: interfaceName and forwardPort on the user network`, async t => {
    const vm = await guest.shell(t, 'nics', { user: true })
    const dev = await vm.interfaceName('user')
    t.match(dev, /^(eth|en)\w+$/, `the user-network NIC is ${dev} in the guest`)
    await vm.succeed(`ip link set ${dev} up && ip addr add 10.0.2.15/24 dev ${dev}`)
    const port = await vm.forwardPort({ guest: 7000 })
    await vm.succeed(`(echo hello from ${guest.name} | ${guest.listen(7000)} > /tmp/got 2>&1 &) ; true`)
    // 7000 = 0x1B58; state 0A = LISTEN in /proc/net/tcp (IPv4) or tcp6 (busybox nc listens on both)
    await vm.waitUntilSucceeds("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ':1B58 [0-9A-F:]* 0A'", { timeout: 15_000 })
    t.equal(await exchange(port, 'hello from the host\n'), `hello from ${guest.name}\n`, 'the host read what the guest sent')
    t.equal(await vm.waitUntilSucceeds('grep host /tmp/got', { timeout: 10_000 }), 'hello from the host\n', 'the guest read what the host sent')
  })
}

// Snapshots of each guest of guests.ts on real QEMU: the guest's shared snapshot at its
// shell (bootOnce; for Debian a 2 GiB systemd guest) restores into machines whose shell
// answers at once and that never see each other's writes; vm.snapshot() of a running
// restored machine restores with what it had; vm.syncClock() sets a clock that is far off
// to the host's (GNU date and busybox date).
import t from 'tap'
import { boot, type Machine } from '../../src/index.js'
import { guests } from './guests.js'

const guestTime = async (vm: Machine): Promise<number> => Number((await vm.succeed('date +%s')).trim()) * 1000

for (const guest of guests) {
  t.test(`${guest.name}: restored from its shell snapshot: ready at once, on its own`, async t => {
    let started = Date.now()
    const a = await guest.shell(t, 'restore-a')
    t.equal(await a.succeed('echo ready'), 'ready\n')
    t.comment(`restore + first command: ${Date.now() - started} ms`)
    const b = await guest.shell(t, 'restore-b')
    if (guest.name === 'debian') t.equal(await a.succeed('cat /proc/1/comm'), 'systemd\n', 'systemd is PID 1')
    await a.succeed('echo a > /root/mine')
    await b.fail('test -e /root/mine')
    t.equal(await a.succeed('cat /root/mine'), 'a\n')

    started = Date.now()
    const snap = await a.snapshot({ name: `${guest.name}-running` })
    t.comment(`vm.snapshot(): ${Date.now() - started} ms, state ${(snap.stateBytes / 1e6).toFixed(0)} MB`)
    t.ok(snap.stateBytes > 10e6, 'the state holds the guest RAM')
    await a.dispose()
    const c = await boot(t, { from: snap, name: 'restore-c' })
    t.equal(await c.succeed('cat /root/mine'), 'a\n', 'the restored copy has what the machine had')
  })

  t.test(`${guest.name}: syncClock sets a clock that is far off to the host's`, async t => {
    const vm = await guest.shell(t, 'clock')
    await vm.succeed('date -u -s @86400 > /dev/null')
    t.ok(Date.now() - (await guestTime(vm)) > 1e12, 'the guest clock stands in 1970')
    await vm.syncClock()
    const off = Math.abs(Date.now() - (await guestTime(vm)))
    t.ok(off < 3000, `after syncClock the guest has the host's time (${off} ms off)`)
  })
}

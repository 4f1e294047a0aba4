// Host folders shared into the guest with 9p (spec `shares`), on a cold boot of each guest
// of guests.ts (a machine with shares cannot be snapshotted, so no bootOnce): bad shares
// fail before QEMU starts, a read-only share refuses the guest's writes, a 5 MB random file
// goes to the guest and back through the share byte-identical (and small files still over
// serial), the trace names the share, and vm.snapshot() fails with a SnapshotError naming
// the share. The Debian guest's kernel has 9p as modules (loaded by the mount command: the
// test that found `modprobe -q 9pnet_virtio 9p` loading only the first); the demo system is
// rebooted and its shares are mounted again (a Debian reboot would add 90 s under TCG).
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot, SnapshotError } from '../../src/index.js'
import { guests } from './guests.js'

const dir = mkdtempSync(join(tmpdir(), 'bootcheck-files-9p-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const rw = join(dir, 'rw')
const ro = join(dir, 'ro')
mkdirSync(rw)
mkdirSync(ro)
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex')
const spec = guests[0]!.spec

t.test('bad shares fail before QEMU starts', async t => {
  const started = Date.now()
  await t.rejects(boot(t, { ...spec, name: 'bad-share', shares: [{ host: join(dir, 'missing'), guest: '/mnt/x' }] }), {
    name: 'MediumError',
    message: /shares\[0\]\.host: '.*missing' does not exist/,
  })
  await t.rejects(boot(t, { ...spec, name: 'bad-share', shares: [{ host: rw, guest: 'mnt/x' }] }), { name: 'SpecError', message: /absolute path/ })
  // shares besides from are a failure capsule's folders given again: checked as a boot's are
  await t.rejects(boot(t, { from: join(dir, 'snap'), shares: [{ host: rw, guest: 'mnt/x' }] }), { name: 'SpecError', message: /absolute path/ })
  t.ok(Date.now() - started < 5000, 'within seconds')
})

for (const guest of guests) {
  t.test(`${guest.name}: shares mounted before the first command, read-only honoured, 5 MB round trip through 9p, no snapshot`, async t => {
    writeFileSync(join(ro, 'hello.txt'), 'from the host\n')
    const vm = await boot(t, { ...guest.spec, name: `shares-${guest.name}`, shares: [{ host: ro, guest: '/mnt/ro', readOnly: true }, { host: rw, guest: '/mnt/rw' }] })
    t.equal(await vm.succeed('cat /mnt/ro/hello.txt'), 'from the host\n', 'the share is there at the first command')
    t.match(await vm.fail('echo x > /mnt/ro/new'), /Read-only file system/)
    await vm.succeed('echo guest > /mnt/rw/from-guest')
    t.equal(readFileSync(join(rw, 'from-guest'), 'utf8'), 'guest\n', 'the guest writes the writable share')

    const data = randomBytes(5 * 1024 * 1024)
    writeFileSync(join(dir, `big-${guest.name}.bin`), data)
    const up = await vm.copyTo(join(dir, `big-${guest.name}.bin`), '/root/big.bin')
    t.match(up, { via: '9p', share: '/mnt/ro', chunks: 0, bytes: data.length }, 'into the guest through the first share (the host writes a read-only one)')
    t.equal(await vm.succeed('md5sum < /root/big.bin'), `${md5(data)}  -\n`)
    const down = await vm.copyFrom('/root/big.bin', join(dir, `big-back-${guest.name}.bin`))
    t.match(down, { via: '9p', share: '/mnt/rw' }, 'out of the guest through the writable share')
    t.ok(readFileSync(join(dir, `big-back-${guest.name}.bin`)).equals(data), 'byte-identical after the round trip')
    t.same(readdirSync(rw).filter(f => f.startsWith('.bootcheck-copy')), [], 'no temporary file left in the share')
    t.comment(`9p: copyTo ${(up.durationMs / 1000).toFixed(2)} s (${(data.length / 1e6 / (up.durationMs / 1000)).toFixed(1)} MB/s), copyFrom ${(down.durationMs / 1000).toFixed(2)} s (${(data.length / 1e6 / (down.durationMs / 1000)).toFixed(1)} MB/s)`)

    writeFileSync(join(dir, 'small.txt'), 'small\n')
    t.match(await vm.copyTo(join(dir, 'small.txt'), '/root/small.txt'), { via: 'serial', chunks: 1 }, 'a small file goes over serial')
    t.match(await vm.copyTo(join(dir, 'small.txt'), '/root/small2.txt', { via: '9p' }), { via: '9p' }, "via: '9p' forces the share")
    // 100 kB, over the 64 KiB that go through a share by default (5 MB over the console would take 45 s)
    await vm.succeed('head -c 100000 /root/big.bin > /root/part.bin')
    t.match(await vm.copyFrom('/root/part.bin', join(dir, `part-${guest.name}.bin`), { via: 'serial' }).then(r => r.via), 'serial', "via: 'serial' forces the console")
    t.ok(readFileSync(join(dir, `part-${guest.name}.bin`)).equals(data.subarray(0, 100_000)))

    const actions = readFileSync(join(vm.artifactsDir, 'actions.jsonl'), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string; result?: string })
    t.ok(actions.some(a => a.action === 'mountShares'), 'mounting is in the trace')
    t.ok(actions.some(a => a.action === 'copyTo' && /over 9p share \/mnt\/ro/.test(a.result ?? '')), 'the trace says which way a copy went')

    const e = await vm.snapshot().catch(e => e)
    t.ok(e instanceof SnapshotError, 'a machine with shares refuses a snapshot')
    t.match(e.message, new RegExp(`'${ro}' \\(at /mnt/ro\\).*cannot migrate a mounted 9p export`))
    t.equal(await vm.succeed('cat /mnt/ro/hello.txt'), 'from the host\n', 'and runs on')

    if (guest.name === 'demo') {
      await vm.reboot()
      t.equal(await vm.succeed('cat /mnt/ro/hello.txt'), 'from the host\n', 'mounted again after a reboot')
    }
  })
}

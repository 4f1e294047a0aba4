// Snapshots on real QEMU: a machine saved while it runs, restored into new machines that
// see what it had (files in RAM and on its disk), start with a ready shell, never see
// each other's writes and never change the snapshot; removable media restored as they
// were (tray open and empty after an eject, the CD in before it, a USB stick unplugged).
import t from 'tap'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { boot, Snapshot, type Machine } from '../../src/index.js'
import { SHELL_SETUP } from '../../src/guest/protocol.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
const SQUASHFS = '/iso/nix-store.squashfs'
const fresh = (cmd: string): string => `sync; echo 3 > /proc/sys/vm/drop_caches; ${cmd}`

/** SHA-256 of every file in a snapshot folder, by name. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length)] = createHash('sha256').update(readFileSync(join(e.parentPath, e.name))).digest('hex')
  }
  return out
}

const transcript = (vm: Machine): string => readFileSync(join(vm.artifactsDir, 'console.log'), 'utf8')

t.test('a restored machine has the state of the snapshot, a ready shell, and its own disks', async t => {
  const src = await boot(t, { name: 'src', cdrom: media.iso, disks: [media.persistDisk], memory: '1G' })
  await src.succeed('echo ram > /root/before; echo disk > /var/lib/persisted/before; sync')
  const snap = await src.snapshot({ name: 'shell' })
  t.ok(snap instanceof Snapshot)
  t.ok(snap.stateBytes > 10e6 && snap.stateBytes < 1024 ** 3 / 2, `the state (${(snap.stateBytes / 1e6).toFixed(0)} MB) is the RAM the guest used, well below its 1 GiB`)
  t.equal(await src.succeed('cat /root/before'), 'ram\n', 'the source machine keeps running after its snapshot')
  await src.dispose()
  const before = fingerprint(snap.dir)

  const a = await boot(t, { from: snap, name: 'a' })
  const b = await boot(t, { from: snap.dir, name: 'b' })
  const started = Date.now()
  t.equal(await a.succeed('cat /root/before /var/lib/persisted/before'), 'ram\ndisk\n', 'the RAM and the disk of the moment of the snapshot')
  t.ok(Date.now() - started < 10_000, `the first command took ${Date.now() - started} ms`)
  t.notOk(transcript(a).includes(SHELL_SETUP.slice(0, 30)), 'the shell was not set up again: its functions were in the saved RAM')
  t.equal(await b.succeed('cat /root/before'), 'ram\n')

  await a.succeed('echo a > /root/mine; echo a > /var/lib/persisted/a; sync')
  await b.succeed('echo b > /root/mine; echo b > /var/lib/persisted/b; sync')
  t.equal(await a.succeed('cat /root/mine'), 'a\n')
  t.equal(await b.succeed('cat /root/mine'), 'b\n')
  await a.fail(fresh('test -e /var/lib/persisted/b'))
  await b.fail(fresh('test -e /var/lib/persisted/a'))
  await a.dispose()
  await b.dispose()

  const c = await boot(t, { from: snap, name: 'c' })
  await c.fail(fresh('ls /var/lib/persisted/a /var/lib/persisted/b'))
  t.equal(await c.succeed(fresh('cat /var/lib/persisted/before')), 'disk\n', 'a third restore reads the disk of the snapshot, not the writes of the first two')
  await c.dispose()
  t.same(fingerprint(snap.dir), before, 'every file of the snapshot is byte-identical after three restores')
  t.ok(JSON.parse(readFileSync(join(c.artifactsDir, 'machine.json'), 'utf8')).restoredFrom === snap.dir, 'machine.json names the snapshot')
})

t.test('the CD: ejected before the snapshot stays ejected, inserted stays inserted', async t => {
  const src = await boot(t, { name: 'cd', cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media, 'copytoram') })
  await src.console.waitFor('stage-1: copied ISO to RAM')
  await src.succeed('dd if=/dev/sr0 of=/dev/null bs=2048 count=1')
  const withCd = await src.snapshot({ name: 'with-cd' })
  await src.eject('cdrom')
  const ejected = await src.snapshot({ name: 'ejected' })
  await src.dispose()

  t.equal(ejected.manifest.removable.cdrom?.trayOpen, true, 'the snapshot recorded the open tray')
  const e = await boot(t, { from: ejected, name: 'ejected' })
  // Asked before the guest touches the drive: Linux closes an open tray when /dev/sr0 is opened.
  const cd = (await e.qmp.execute('query-block')).find(x => x.device === 'cd0')
  t.equal(cd?.tray_open, true, 'the tray is open')
  t.equal(cd?.inserted, undefined, 'and empty')
  t.match(await e.fail('dd if=/dev/sr0 of=/dev/null bs=2048 count=1'), /No medium found|medium/i, 'no medium after the restore')
  t.equal(await e.succeed('hello'), 'Hello, world!\n', 'the system in RAM still runs')
  await e.dispose()

  const w = await boot(t, { from: withCd, name: 'with-cd' })
  await w.succeed('dd if=/dev/sr0 of=/dev/null bs=2048 count=1 skip=100')
  t.equal((await w.qmp.execute('query-block')).find(x => x.device === 'cd0')?.inserted?.file, media.iso, 'the ISO is in the drive')
  await w.eject('cdrom')
  t.match(await w.fail(fresh('dd if=/dev/sr0 of=/dev/null bs=2048 count=1')), /No medium found|medium/i, 'and can be ejected again')
})

t.test('a USB stick unplugged before the snapshot stays unplugged', async t => {
  const src = await boot(t, { name: 'usb', usb: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media, 'copytoram') })
  await src.console.waitFor('stage-1: copied ISO to RAM')
  const disk = (await src.succeed(`for d in /sys/block/sd*; do [ -e "$d" ] && echo "\${d##*/}"; done`)).trim()
  t.match(disk, /^sd[a-z]$/)
  await src.unplug('usb')
  await src.waitUntilFails(`test -e /sys/block/${disk}`, { timeout: 30_000 })
  const snap = await src.snapshot({ name: 'unplugged' })
  await src.dispose()
  t.equal(snap.manifest.removable.usbPlugged, false)

  const r = await boot(t, { from: snap, name: 'restored' })
  await r.fail(`test -e /sys/block/${disk}`)
  const peripherals = await r.qmp.execute('qom-list', { path: '/machine/peripheral' })
  t.notOk(peripherals.some(p => p.name === 'usb'), 'QEMU has no USB stick')
  t.ok(peripherals.some(p => p.name === 'xhci'), 'but the USB controller the guest knows')
  t.equal(await r.succeed(fresh(`sha256sum ${SQUASHFS} | cut -d' ' -f1`)), `${media.squashfsSha256}\n`, 'the system copied to RAM is whole')
})

t.test('syncClock sets the guest clock from the host after a restore', async t => {
  const src = await boot(t, { name: 'clock', cdrom: media.iso })
  await src.succeed('true')
  const snap = await src.snapshot({ name: 'clock' })
  await src.dispose()
  await new Promise(r => setTimeout(r, 6000))
  const guestTime = async (vm: Machine): Promise<number> => Number((await vm.succeed('date +%s')).trim()) * 1000
  const stale = await boot(t, { from: snap, name: 'stale' })
  const lag = Date.now() - (await guestTime(stale))
  t.ok(lag > 4000, `without syncClock the guest clock stands where the snapshot left it (${lag} ms behind)`)
  await stale.dispose()
  const synced = await boot(t, { from: snap, name: 'synced', syncClock: true })
  const off = Math.abs(Date.now() - (await guestTime(synced)))
  t.ok(off < 3000, `with syncClock it is the host's time (${off} ms off)`)
})

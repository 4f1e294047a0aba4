// The pure parts of snapshots: the restored machine's QEMU arguments (an empty CD drive,
// the USB controller without its stick, a paused start waiting for the state, the
// versioned machine type), what makes a snapshot not fit (QEMU, machine type,
// accelerator, media), QEMU's identity and its refusals read, and the spec checks.
import t from 'tap'
import { buildQemuArgv, type LaunchPlan } from '../../../src/qemu/argv.js'
import { parseMachineTypes, parseQemuVersion } from '../../../src/qemu/identity.js'
import { blockingDevice, loadUri, saveUri } from '../../../src/machine/migration.js'
import { assertNoChanges, snapshotChanges, type SnapshotManifest } from '../../../src/machine/snapshot-manifest.js'
import { checkSpec } from '../../../src/spec/check.js'
import { SnapshotMismatchError, SpecError } from '../../../src/errors/errors.js'
import { specMedia } from '../../../src/machine/origin.js'

const base: LaunchPlan = { name: 'vm', accel: 'tcg', memoryMiB: 1024, cpus: 1, firmware: { kind: 'bios' }, qmpSocket: '/w/qmp.sock', disks: [], extraArgs: [] }
const joined = (p: LaunchPlan): string => buildQemuArgv(p).join(' ')

t.test('restored machines: empty CD drive, USB controller alone, paused for the incoming state, pinned machine type', async t => {
  const plain = joined(base)
  t.match(plain, /-machine q35 /, 'a boot uses the q35 alias')
  t.notMatch(plain, /-incoming|-S\b/, 'and starts at once')
  const restored = joined({ ...base, machineType: 'pc-q35-7.2', cdrom: null, xhci: true, incoming: true })
  t.match(restored, /-machine pc-q35-7\.2 /)
  t.match(restored, /-drive if=none,id=cd0,media=cdrom,readonly=on -device ide-cd,drive=cd0,id=cdrom/, 'a CD drive with no medium')
  t.notMatch(restored, /cd0,.*file=/)
  t.match(restored, /-device qemu-xhci,id=xhci/, 'the USB controller the guest knew')
  t.notMatch(restored, /usb-storage/)
  t.match(restored, /-S -incoming defer/, 'paused until the state is loaded')
  t.ok(restored.indexOf('-incoming') < restored.indexOf('-append') || !restored.includes('-append'))
  const args = buildQemuArgv({ ...base, incoming: true, extraArgs: ['-device', 'x'] })
  t.ok(args.indexOf('-incoming') < args.indexOf('-device', args.length - 3), 'user arguments come last')
})

t.test('migration URIs quote paths for the shell QEMU runs them with', async t => {
  t.equal(saveUri('/tmp/a b/state.bin'), "exec:cat > '/tmp/a b/state.bin'")
  t.equal(loadUri('/tmp/x/state.bin'), 'exec:cat /tmp/x/state.bin')
  t.equal(loadUri("/tmp/it's/state.bin"), `exec:cat '/tmp/it'\\''s/state.bin'`)
})

t.test("QEMU's refusal names the device that cannot be migrated", async t => {
  t.equal(blockingDevice("State blocked by non-migratable device '0000:00:01.0/nvme'"), '0000:00:01.0/nvme')
  t.equal(blockingDevice('Disk migration is not supported'), undefined)
})

t.test("QEMU's version and machine types, aliases resolved", async t => {
  t.equal(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright'), '7.2.22')
  t.throws(() => parseQemuVersion('something else'), /Cannot read QEMU's version/)
  const help = [
    'Supported machines are:',
    'microvm              microvm (i386)',
    'pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)',
    'pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)',
    'q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)',
    'pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)',
    'pc-q35-7.1           Standard PC (Q35 + ICH9, 2009)',
    'none                 empty machine',
  ].join('\n')
  const { machineTypes, aliases } = parseMachineTypes(help)
  t.same(aliases, { pc: 'pc-i440fx-7.2', q35: 'pc-q35-7.2' })
  t.same(machineTypes, ['microvm', 'pc-i440fx-7.2', 'pc-q35-7.2', 'pc-q35-7.1', 'none'])
})

const manifest = {
  qemu: { version: '7.2.22', package: 'Debian', machineType: 'pc-q35-7.2', accel: 'tcg' },
  media: [
    { role: 'cdrom', path: '/m/live.iso', kind: 'file', sha256: 'a'.repeat(64) },
    { role: 'disk0 base', path: '/m/persist.img', kind: 'file', sha256: 'b'.repeat(64) },
  ],
} as unknown as SnapshotManifest

t.test('what makes a snapshot not fit: each difference listed', async t => {
  const same = new Map([
    ['/m/live.iso', 'a'.repeat(64)],
    ['/m/persist.img', 'b'.repeat(64)],
  ])
  const host = { version: '7.2.22', machineTypes: ['pc-q35-7.2'], accel: 'tcg' as const }
  t.same(snapshotChanges(manifest, host, same), [], 'nothing changed')
  const changes = snapshotChanges(manifest, { version: '8.0.0', machineTypes: ['pc-q35-8.0'], accel: 'kvm' }, new Map([['/m/live.iso', 'c'.repeat(64)]]))
  t.equal(changes.length, 5)
  t.match(changes[0], /QEMU version: snapshot 7\.2\.22, now 8\.0\.0/)
  t.match(changes[1], /machine type: snapshot pc-q35-7\.2, which this QEMU does not have/)
  t.match(changes[2], /accelerator: snapshot tcg, now kvm/)
  t.match(changes[3], /cdrom '\/m\/live\.iso': changed since the snapshot \(sha256 aaaaaaaaaaaa… then, cccccccccccc… now\)/)
  t.match(changes[4], /disk0 base '\/m\/persist\.img': gone/)
  t.doesNotThrow(() => assertNoChanges('/s', []))
  t.throws(() => assertNoChanges('/s', changes), SnapshotMismatchError)
  try {
    assertNoChanges('/s', changes)
  } catch (e) {
    t.same((e as SnapshotMismatchError).changes, changes, 'the error carries the list')
    t.match((e as Error).message, /bootcheck run --fresh/)
  }
})

t.test('restore specs: only names, timeouts, shell and QEMU choices besides from', async t => {
  t.doesNotThrow(() => checkSpec({ from: '/s', name: 'b', timeout: 5000, syncClock: true, login: { user: 'root' } }))
  t.doesNotThrow(() => checkSpec({ from: { dir: '/s' } }))
  t.throws(() => checkSpec({ from: '/s', cdrom: 'x.iso', memory: '2G' }), { message: /cdrom, memory cannot be given with from/ })
  t.throws(() => checkSpec({ from: '/s', name: 'bad name' }), SpecError)
  t.throws(() => checkSpec({ from: { dir: '' } }), { message: /from must be a snapshot/ })
  t.throws(() => checkSpec({ cdrom: 'x.iso', syncClock: true }), { message: /syncClock is for a machine restored/ })
})

t.test('the media of a spec, for cache keys and snapshot checks', async t => {
  const media = specMedia(
    { cdrom: 'a.iso', kernel: 'k', initrd: 'i', usb: 'u.img', disks: ['d0.img', { image: 'd1.img', id: 'data' }], pxe: { tftpRoot: 'tftp', bootfile: 'x' } },
    { cdrom: true },
  )
  t.same(
    media.map(m => `${m.role}:${m.kind}`),
    ['cdrom:file', 'kernel:file', 'initrd:file', 'USB stick base:file', 'disk0 base:file', 'data base:file', 'TFTP root:tree'],
  )
  t.ok(media.every(m => m.path.startsWith('/')), 'paths made absolute')
  t.notOk(specMedia({ cdrom: 'a.iso' }, { cdrom: false }).length, 'the CD left out when asked')
})

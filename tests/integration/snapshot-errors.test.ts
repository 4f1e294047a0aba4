// What goes wrong with snapshots fails at once with a named error: a snapshot of another
// QEMU version or machine type, or whose medium changed (SnapshotMismatchError listing
// each change); a truncated or damaged saved state (SnapshotError within seconds, no QEMU
// left); a device QEMU cannot migrate (SnapshotError naming it); bad specs (SpecError).
import t, { type Test } from 'tap'
import { copyFileSync, cpSync, chmodSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync, appendFileSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { boot, bootOnce, SnapshotError, SnapshotMismatchError, SpecError, type Snapshot } from '../../src/index.js'
import { trackedPids } from '../../src/qemu/registry.js'
import { SHELL_SETUP } from '../../src/guest/protocol.js'
import { demoMedia } from '../../vm-configs/demo.js'

type TapTest = Test

const media = await demoMedia()
const tmp = t.testdir({})
// A copy of the ISO of our own, to change after the snapshot.
const iso = join(tmp, 'live.iso')
copyFileSync(media.iso, iso)

let snap: Snapshot
t.before(async () => {
  const src = await boot({ name: 'src', cdrom: iso })
  try {
    await src.succeed('true')
    snap = await src.snapshot({ name: 'base', dir: join(tmp, 'base') })
  } finally {
    await src.dispose()
  }
})

/** A writable copy of the snapshot with `change` applied to its folder. */
function variant(name: string, change: (dir: string) => void): string {
  const dir = join(tmp, name)
  cpSync(snap.dir, dir, { recursive: true })
  chmodSync(join(dir, 'snapshot.json'), 0o644)
  chmodSync(join(dir, 'state.bin'), 0o644)
  change(dir)
  return dir
}
function editManifest(dir: string, edit: (m: Record<string, any>) => void): void {
  const file = join(dir, 'snapshot.json')
  const m = JSON.parse(readFileSync(file, 'utf8'))
  edit(m)
  writeFileSync(file, JSON.stringify(m))
}

async function fast<T>(t: TapTest, what: string, p: Promise<T>, cls: Function, message: RegExp): Promise<void> {
  const started = Date.now()
  await t.rejects(p, cls, `${what}: ${cls.name}`)
  await p.catch(e => t.match((e as Error).message, message, `${what}: the message says why`))
  t.ok(Date.now() - started < 15_000, `${what}: failed within ${Date.now() - started} ms`)
  t.same(trackedPids(), [], `${what}: no QEMU left running`)
}

t.test('another QEMU version or machine type: SnapshotMismatchError naming both', async t => {
  const dir = variant('other-qemu', d =>
    editManifest(d, m => {
      m.qemu.version = '6.0.0'
      m.qemu.machineType = 'pc-q35-6.0-nope'
    }),
  )
  const p = boot(t, { from: dir })
  await fast(t, 'version', p, SnapshotMismatchError, /QEMU version: snapshot 6\.0\.0, now \d+\.\d+\.\d+[\s\S]*machine type: snapshot pc-q35-6\.0-nope/)
  await p.catch(e => t.equal((e as SnapshotMismatchError).changes.length, 2, 'two changes listed'))
})

t.test('a medium changed since the snapshot: SnapshotMismatchError naming it', async t => {
  const changed = join(tmp, 'changed.iso')
  copyFileSync(iso, changed)
  const dir = variant('changed-medium', d =>
    editManifest(d, m => {
      for (const x of m.media) if (x.path === iso) x.path = changed
      m.plan.cdrom = changed
      m.removable.cdrom.medium = changed
    }),
  )
  // The copy restores (same content); one byte more and it must not.
  const ok = await boot(t, { from: dir, name: 'same-content' })
  t.equal(await ok.succeed('echo fine'), 'fine\n', 'a copy with the same content restores')
  await ok.dispose()
  appendFileSync(changed, Buffer.alloc(2048))
  await fast(t, 'medium', boot(t, { from: dir }), SnapshotMismatchError, /cdrom '.*changed\.iso': changed since the snapshot/)
})

t.test('a truncated or damaged saved state: SnapshotError within seconds', async t => {
  const truncated = variant('truncated', d => truncateSync(join(d, 'state.bin'), statSync(join(d, 'state.bin')).size - 4096))
  await fast(t, 'truncated', boot(t, { from: truncated }), SnapshotError, /truncated or damaged: \d+ bytes, \d+ when it was taken/)
  const badHead = variant('bad-head', d => {
    const fd = openSync(join(d, 'state.bin'), 'r+')
    writeSync(fd, Buffer.from('XXXX'), 0, 4, 0)
    closeSync(fd)
  })
  await fast(t, 'damaged start', boot(t, { from: badHead }), SnapshotError, /does not start like a QEMU migration stream/)
  // Garbage in the middle, same size: QEMU rejects the stream, or the checksum does.
  const middle = variant('bad-middle', d => {
    const fd = openSync(join(d, 'state.bin'), 'r+')
    writeSync(fd, Buffer.alloc(65536, 0xa5), 0, 65536, 4096)
    closeSync(fd)
  })
  await fast(t, 'damaged middle', boot(t, { from: middle }), SnapshotError, /could not be restored from '.*bad-middle': (QEMU rejected the saved state|.*damaged)/)
  // One byte in the middle, where RAM pages are: QEMU may load it; the checksum may not.
  const flipped = variant('flipped', d => {
    const file = join(d, 'state.bin')
    const at = Math.floor(statSync(file).size / 2)
    const fd = openSync(file, 'r+')
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, at)
    b[0] = b[0]! ^ 0xff
    writeSync(fd, b, 0, 1, at)
    closeSync(fd)
  })
  await fast(t, 'one byte flipped', boot(t, { from: flipped }), SnapshotError, /could not be restored from '.*flipped': (QEMU rejected the saved state|.*damaged: its checksum)/)
  const noManifest = join(tmp, 'empty')
  await fast(t, 'no manifest', boot(t, { from: noManifest }), SnapshotError, /is not a snapshot: it has no snapshot\.json/)
})

t.test("a snapshot whose shell helpers are another version's: they are set up again", async t => {
  const dir = variant('old-helpers', d => editManifest(d, m => void (m.shellProtocol = 'older-version')))
  const vm = await boot(t, { from: dir, name: 'old-helpers' })
  t.equal(await vm.succeed('echo works'), 'works\n')
  t.ok(readFileSync(join(vm.artifactsDir, 'console.log'), 'utf8').includes(SHELL_SETUP.slice(0, 30)), 'the helpers were typed again')
})

t.test('a device QEMU cannot migrate: SnapshotError naming it; the machine runs on', async t => {
  const vm = await boot(t, { name: 'nvme', cdrom: iso, qemuArgs: ['-device', 'nvme,serial=bootcheck,id=scratch-nvme'] })
  await vm.succeed('true')
  await t.rejects(vm.snapshot({ dir: join(tmp, 'nvme') }), { name: 'SnapshotError', message: /device '[^']*nvme' cannot be migrated/ })
  t.equal(await vm.succeed('echo still here'), 'still here\n', 'the guest was resumed')
})

t.test('specs that cannot be restored or booted once: SpecError before anything starts', async t => {
  await t.rejects(boot(t, { from: snap, cdrom: iso }), SpecError)
  await t.rejects(boot(t, { from: snap, memory: '2G' }), { message: /memory cannot be given with from/ })
  await t.rejects(boot(t, { cdrom: iso, syncClock: true }), { message: /syncClock is for a machine restored/ })
  await t.rejects(boot(t, { from: '' }), SpecError)
  await t.rejects(bootOnce(t, { cdrom: iso }, {} as never), { message: /until must be a function/ })
  await t.rejects(bootOnce(t, { from: snap }, { until: async () => {} }), { message: /cannot have from/ })
  t.same(trackedPids(), [])
})

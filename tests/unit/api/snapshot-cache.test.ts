// The snapshot cache without QEMU: one maker per key across concurrent callers, a lock
// of a dead process taken over, --fresh's cut-off, keys that follow media content and
// setup but not names or timeouts, list and prune leaving entries being made alone; and
// media checksums remembered by file identity.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureCachedSnapshot, listCachedSnapshots, pruneCachedSnapshots, snapshotKey } from '../../../src/api/snapshot-cache.js'
import { MANIFEST_FORMAT, SNAPSHOT_MANIFEST } from '../../../src/machine/snapshot-manifest.js'
import { fileChecksum, treeChecksum } from '../../../src/media/checksum.js'
import { sleep } from '../../../src/util/sleep.js'

/** A make() that writes a minimal complete snapshot and counts its calls. */
function maker(delayMs = 0) {
  const calls = { n: 0 }
  const make = async (dir: string): Promise<void> => {
    calls.n++
    mkdirSync(dir, { recursive: true })
    await sleep(delayMs)
    writeFileSync(join(dir, 'state.bin'), Buffer.alloc(1000))
    // A manifest as sound as a real one: readManifest checks every field (snapshot-check.ts).
    const manifest = {
      format: MANIFEST_FORMAT, name: 'demo', machine: 'demo.boot-once', createdAt: new Date().toISOString(),
      qemu: { version: '7.2.0', package: '', machineType: 'pc-q35-7.2', accel: 'tcg' },
      plan: { memoryMiB: 512, cpus: 1, firmware: { kind: 'bios' }, disks: [], extraArgs: [] },
      files: { disks: [] }, removable: {}, media: [], bases: {}, shellReady: true, shellProtocol: 'x',
      state: { bytes: 1000, sha256: '0'.repeat(64) },
    }
    writeFileSync(join(dir, SNAPSHOT_MANIFEST), JSON.stringify(manifest))
  }
  return { calls, make }
}

t.test('concurrent callers: one makes the entry, the others wait and get it', async t => {
  const root = t.testdir({})
  const { calls, make } = maker(300)
  let waited = 0
  const dirs = await Promise.all([1, 2, 3].map(() => ensureCachedSnapshot(root, 'k1', make, { onWait: () => waited++ })))
  t.equal(calls.n, 1, 'made once')
  t.equal(waited, 2, 'two waited')
  t.same(new Set(dirs), new Set([join(root, 'k1')]))
  t.same(readdirSync(root).sort(), ['k1'], 'no lock or temp folder left')
  await ensureCachedSnapshot(root, 'k1', make)
  t.equal(calls.n, 1, 'a later caller reuses it')
})

t.test('a lock left by a dead process is taken over; a failed make leaves nothing', async t => {
  const root = t.testdir({})
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
  writeFileSync(join(root, 'k2.lock'), JSON.stringify({ pid: Number(dead), at: Date.now() }))
  const { calls, make } = maker()
  await ensureCachedSnapshot(root, 'k2', make)
  t.equal(calls.n, 1, 'made despite the stale lock')
  const failing = async (dir: string): Promise<void> => {
    mkdirSync(dir)
    throw new Error('until failed')
  }
  await t.rejects(ensureCachedSnapshot(root, 'k3', failing), /until failed/)
  t.same(readdirSync(root).sort(), ['k2'], 'no lock, temp folder or entry for the failure')
})

t.test('freshSince: an older entry is made again, once', async t => {
  const root = t.testdir({})
  const { calls, make } = maker()
  await ensureCachedSnapshot(root, 'k', make)
  await sleep(5)
  const since = Date.now()
  await ensureCachedSnapshot(root, 'k', make, { freshSince: since })
  await ensureCachedSnapshot(root, 'k', make, { freshSince: since })
  t.equal(calls.n, 2, 'made again once for the fresh run')
})

t.test('keys follow media content, spec fields and setup, not names or timeouts', async t => {
  const dir = t.testdir({ 'live.iso': 'iso-1', tftp: { 'a.txt': 'a' } })
  const iso = join(dir, 'live.iso')
  const q = { version: '7.2.22', machineTypes: ['pc-q35-7.2'], aliases: { q35: 'pc-q35-7.2' }, accel: 'tcg' }
  const cache = join(dir, 'sums')
  const key = (spec: object, setup = 'until', qemu = q) => snapshotKey({ cdrom: iso, ...spec }, qemu, setup)
  const k0 = await key({})
  t.match(k0, /^[0-9a-f]{24}$/)
  t.equal(await key({ name: 'other', timeout: 5, bootTimeout: 9 }), k0, 'names and timeouts do not matter')
  t.not(await key({ memory: '2G' }), k0, 'memory does')
  t.not(await key({}, 'other until'), k0, 'the setup does')
  t.not(await key({}, 'until', { ...q, version: '8.0.0' }), k0, 'the QEMU version does')
  t.not(await key({}, 'until', { ...q, accel: 'kvm' }), k0, 'the accelerator does')
  t.not(await key({ pxe: { tftpRoot: join(dir, 'tftp'), bootfile: 'a.txt' } }), k0)
  appendFileSync(iso, 'x')
  t.not(await key({}), k0, 'the ISO content does')
  const other = join(dir, 'other.bin')
  writeFileSync(other, 'content')
  const sum = await fileChecksum(other, cache)
  t.equal(sum, 'ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73', 'the SHA-256 of the content')
  t.equal(readdirSync(cache).length, 1, 'the checksum is remembered on disk')
  t.equal(await fileChecksum(other, cache), sum)
  appendFileSync(other, 'y')
  t.not(await fileChecksum(other, cache), sum, 'a changed file is read again')
  const tree = await treeChecksum(join(dir, 'tftp'), null)
  writeFileSync(join(dir, 'tftp', 'b.txt'), 'b')
  t.not(await treeChecksum(join(dir, 'tftp'), null), tree, 'a file added to a tree changes its checksum')
})

t.test('list and prune: entries with sizes, an entry being made is kept, old ones by age', async t => {
  const root = t.testdir({})
  const { make } = maker()
  await ensureCachedSnapshot(root, 'old', make)
  await ensureCachedSnapshot(root, 'new', make)
  writeFileSync(join(root, 'new.lock'), JSON.stringify({ pid: process.pid, at: Date.now() }))
  mkdirSync(join(root, 'not-a-snapshot'))
  const list = await listCachedSnapshots(root)
  t.same(list.map(e => e.key).sort(), ['new', 'old'], 'folders without a manifest are not listed')
  t.ok(list.every(e => e.bytes > 1000 && e.name === 'demo'))
  t.equal(list.find(e => e.key === 'new')?.lockedBy, process.pid)
  t.same((await pruneCachedSnapshots({ root, unusedForMs: 60_000 })).length, 0, 'nothing unused for a minute')
  const removed = await pruneCachedSnapshots({ root })
  t.same(removed.map(e => e.key), ['old'], 'the locked entry is kept')
  t.notOk(existsSync(join(root, 'old')))
  t.ok(existsSync(join(root, 'new')))
})

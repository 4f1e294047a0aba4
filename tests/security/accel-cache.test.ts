// #26 Low: the accelerator decision is cached in the temp folder. A cache file (or folder)
// another user planted must not decide for this user (it could say 'kvm' where KVM hangs,
// or 'tcg' to slow every run); the default lives in a per-user 0700 folder.
import t from 'tap'
import { chmodSync, chownSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { cacheKey, cachedDecision, defaultAccelCacheFile, type HostIdentity } from '../../src/qemu/accel-cache.js'

const identity: HostIdentity = { bootId: 'b', qemu: '/usr/bin/qemu-system-x86_64', qemuVersion: 'v', probe: 'p' }
const probed = async () => ({ accel: 'tcg' as const, reason: 'probed here', cached: false })
const isRoot = process.getuid?.() === 0

t.test('a cache file owned by another user is ignored', { skip: !isRoot && 'needs root to chown the planted file' }, async t => {
  const dir = t.testdir()
  const file = join(dir, 'accel.json')
  const entry = { ...identity, accel: 'kvm', reason: 'planted', decidedAt: 'x' }
  writeFileSync(file, JSON.stringify({ format: 1, entries: { [cacheKey(identity)]: entry } }))
  chownSync(file, 65534, 65534)
  const d = await cachedDecision(file, identity, 1000, probed)
  t.equal(d.reason, 'probed here', `decided here, not by the planted file (${d.reason})`)
})

t.test('a world-writable cache file is ignored too', async t => {
  const dir = t.testdir()
  const file = join(dir, 'accel.json')
  writeFileSync(file, JSON.stringify({ format: 1, entries: { [cacheKey(identity)]: { ...identity, accel: 'kvm', reason: 'planted', decidedAt: 'x' } } }))
  chmodSync(file, 0o666)
  const d = await cachedDecision(file, identity, 1000, probed)
  t.equal(d.reason, 'probed here')
})

t.test('the default cache file is in a per-user folder', async t => {
  const file = defaultAccelCacheFile()
  t.match(dirname(file), new RegExp(`bootcheck-${process.getuid?.() ?? 'user'}$`))
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  t.equal(lstatSync(dirname(file)).mode & 0o077, 0, 'mode 0700')
})

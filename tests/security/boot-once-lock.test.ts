// #26 Low: a bootOnce lock must go stale. A lock naming a live process that is not its
// owner (a recycled pid: here our own parent, with another start time) is taken over, and
// a lock held by a live owner that never finishes ends in a SnapshotError, not a wait forever.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureCachedSnapshot } from '../../src/api/snapshot-cache.js'
import { SnapshotError } from '../../src/errors/errors.js'

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'hung'> => Promise.race([p, new Promise<'hung'>(r => setTimeout(() => r('hung'), ms).unref())])
const never = async (): Promise<void> => {
  throw new Error('not made in this test')
}

t.test('a lock whose pid now belongs to another process (recycled) is taken over', async t => {
  const root = t.testdir()
  // The parent runs, but started at another time than the lock says its owner did.
  writeFileSync(join(root, 'k.lock'), JSON.stringify({ pid: process.ppid, start: 1, at: Date.now() }))
  const r = await within(ensureCachedSnapshot(root, 'k', never, { maxWaitMs: 60_000 }).catch((e: Error) => e), 10_000)
  t.not(r, 'hung', 'the lock was judged stale at once')
  t.match(String((r as Error).message), /not made in this test/, 'this process went on to make the entry')
})

t.test('a live owner that never finishes: a SnapshotError after the maximum wait', async t => {
  const root = t.testdir()
  writeFileSync(join(root, 'k.lock'), JSON.stringify({ pid: process.ppid, at: Date.now() }))
  const r = await within(ensureCachedSnapshot(root, 'k', never, { maxWaitMs: 1000 }).catch((e: Error) => e), 10_000)
  t.type(r, SnapshotError)
  t.match(String((r as Error).message), /still being made by process/)
})

import t from 'tap'
import { DEFAULT_FAILURE_PATTERNS, FailureWatcher, type FailureMatch } from '../../../src/console/failfast.js'

const watch = (patterns = DEFAULT_FAILURE_PATTERNS) => {
  const found: FailureMatch[] = []
  const w = new FailureWatcher(patterns, m => found.push(m))
  return { w, found }
}

t.test('each default pattern fires on a real-world line', async t => {
  const lines: Record<string, string> = {
    'kernel panic': '[    2.167269] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
    'kernel oops': '[   12.000001] BUG: unable to handle page fault for address: ffffffffc0000000',
    'emergency shell': 'You are in emergency mode. After logging in, type "journalctl -xb" to view',
    'rescue shell': 'You are in rescue mode. After logging in, type "journalctl -xb" to view',
    'stage-1 failure': 'An error occurred in stage 1 of the boot process, which must mount the',
    'initramfs shell': 'Gave up waiting for root file system device.  Common problems:',
  }
  for (const [name, line] of Object.entries(lines)) {
    const { w, found } = watch()
    w.push(`booting...\n${line}\nmore\n`)
    t.equal(found[0]?.name, name, name)
    t.equal(found[0]?.line, line)
  }
  const { w, found } = watch()
  w.push('stage-1: FAILED: live medium not found after 30s\n')
  t.equal(found[0]?.name, 'stage-1 failure', 'bootcheck demo media stage 1')
})

t.test('a line split across chunks is matched once complete; context comes along', async t => {
  const { w, found } = watch()
  w.push('line a\nline b\nKernel pa')
  t.equal(found.length, 0, 'not before the line ends')
  w.push('nic - not syncing: Attempted to kill init!\nafter\n')
  t.equal(found.length, 1)
  t.same(found[0]!.context, ['line a', 'line b', 'Kernel panic - not syncing: Attempted to kill init!'])
  w.push('Kernel panic - not syncing: again\n')
  t.equal(found.length, 1, 'reports only the first failure')
})

t.test('ordinary boot output does not fire', async t => {
  const { w, found } = watch()
  w.push('[    0.000000] Linux version 6.1.0\nstage-1: copied ISO to RAM\nstage-2: system ready\n/ # echo panic\npanic\n')
  t.equal(found.length, 0)
})

t.test('custom and empty pattern lists', async t => {
  const { w, found } = watch([{ name: 'segfault', pattern: /segfault at/ }])
  w.push('Kernel panic - not syncing\nhello[42]: segfault at 0 ip\n')
  t.same(found.map(f => f.name), ['segfault'])
  const none = watch([])
  none.w.push('Kernel panic - not syncing\n')
  t.equal(none.found.length, 0)
})

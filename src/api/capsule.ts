/**
 * The test side of failure capsules: `boot(t, …)` registers each machine here with its
 * networks, and when the test ends failed, the first teardown of one of its machines saves
 * it, and every machine wired to it by a network, into `<test artifacts>/capsule/` (see
 * docs/capsules.md). A passing test costs nothing but a map entry.
 * @module
 */
import { dirname } from 'node:path'
import { CAPSULE_FORMAT, createCapsuleDir, capsuleGroup, capsuleMode, capsuleNetworks, writeCapsule, type CapsuleManifest } from '../machine/capsule.js'
import { saveCapsuleGroup, type CapsuleMember } from '../machine/capsule-save.js'
import type { Machine } from '../machine/machine.js'
import type { TestContext } from './boot.js'

interface Entry extends CapsuleMember {
  name: string
}

interface TestCapsule {
  dir: string
  manifest: CapsuleManifest
  saved: Set<Machine>
  chain: Promise<void>
}

// The machines of each test of this process (by the test's name path), and its capsule once one is written.
const machinesOf = new Map<string, Entry[]>()
const capsules = new Map<string, TestCapsule>()

/** Registers a machine of test `key` with the names of its networks. */
export function registerForCapsule(key: string, machine: Machine, networks: string[]): void {
  machinesOf.set(key, [...(machinesOf.get(key) ?? []), { name: machine.name, machine, networks }])
}

/** Forgets a disposed machine (a test's last one takes the test's entries with it). */
export function forgetForCapsule(key: string, machine: Machine): void {
  const rest = (machinesOf.get(key) ?? []).filter(e => e.machine !== machine)
  if (rest.length > 0) machinesOf.set(key, rest)
  else {
    machinesOf.delete(key)
    capsules.delete(key)
  }
}

/** The failed assertions tap recorded for `t` so far (its `lists.fail`), as lines. */
function failuresOf(t: TestContext): string[] {
  const fail = (t as { lists?: { fail?: Array<{ name?: string }> } }).lists?.fail ?? []
  return fail.map(r => (r.name ?? 'a failed assertion').split('\n')[0]!.slice(0, 500))
}

/**
 * Saves `machine` and the machines wired to it into the capsule of test `key` (a machine
 * saved already is skipped), unless `$BOOTCHECK_CAPSULE` is `off`. Returns the capsule
 * folder, or undefined when nothing was saved. Writes `capsule.json` after each group.
 */
export async function keepCapsule(t: TestContext, key: string, machine: Machine, file: string): Promise<string | undefined> {
  if (capsuleMode() === 'off') return undefined
  const all = machinesOf.get(key) ?? []
  const entry = all.find(e => e.machine === machine) ?? { name: machine.name, machine, networks: [] }
  const capsule = capsules.get(key) ?? {
    dir: await createCapsuleDir(dirname(machine.artifactsDir)),
    manifest: { format: CAPSULE_FORMAT, test: key, file, savedAt: '', failures: [], machines: [], networks: [] },
    saved: new Set<Machine>(),
    chain: Promise.resolve(),
  }
  capsules.set(key, capsule)
  const run = capsule.chain.then(async () => {
    const group = capsuleGroup(entry, all).filter(e => !capsule.saved.has(e.machine))
    if (group.length === 0) return
    for (const e of group) capsule.saved.add(e.machine)
    const saved = await saveCapsuleGroup(capsule.dir, group)
    const m = capsule.manifest
    m.machines.push(...saved)
    m.networks = capsuleNetworks(m.machines)
    m.failures = failuresOf(t)
    m.savedAt = new Date().toISOString()
    await writeCapsule(capsule.dir, m)
    const mb = (saved.reduce((n, s) => n + (s.stateBytes ?? 0), 0) / 1e6).toFixed(0)
    const ms = saved.reduce((n, s) => n + s.saveMs, 0)
    const unsaved = saved.filter(s => s.notSaved).map(s => `${s.name} not saved: ${s.notSaved}`)
    t.comment?.(`capsule of ${saved.map(s => s.name).join(', ')} (${mb} MB, ${(ms / 1000).toFixed(1)} s): bootcheck resume ${capsule.dir}${unsaved.length ? `\n${unsaved.join('\n')}` : ''}`)
  })
  capsule.chain = run.catch(() => undefined)
  await run
  return capsule.dir
}

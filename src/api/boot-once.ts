/**
 * `bootOnce()`: boot a machine to a state once, save it, and give every test a machine
 * restored from that snapshot. Shared by the test files and processes of a run (one
 * boots, the others wait for its snapshot) and kept across runs in the snapshot cache.
 * @module
 */
import { machineFromConfig } from '../config/config.js'
import { SpecError } from '../errors/errors.js'
import { acquireLease } from '../lease/client.js'
import { testPath } from '../machine/artifacts.js'
import type { Machine } from '../machine/machine.js'
import { specQemuBinary, startMachine } from '../machine/start.js'
import { detectAccelerator } from '../qemu/accel.js'
import { qemuIdentity } from '../qemu/identity.js'
import { checkSpec } from '../spec/check.js'
import { RESTORE_FIELDS, type MachineSpec } from '../spec/spec.js'
import { boot, type TestContext } from './boot.js'
import { ensureCachedSnapshot, snapshotCacheDir, snapshotKey } from './snapshot-cache.js'

/** Options of {@link bootOnce}. */
export interface BootOnceOptions {
  /**
   * Brings the freshly booted machine to the state to save, e.g.
   * `vm => vm.succeed('true')` (booted to a shell) or `vm => vm.waitForScreen('menu')`.
   * Runs once per cache entry, not once per test.
   */
  until: (vm: Machine) => Promise<unknown>
  /**
   * Names the state `until` reaches, for sharing one snapshot between `until` functions
   * written differently. Default: the source text of `until` (so editing it makes a new
   * snapshot).
   */
  key?: string
  /** With a machine name from `bootcheck.config.ts`: fields laid over its definition. */
  overrides?: Partial<MachineSpec>
  /** Set the restored guest's clock from the host's (see `MachineSpec.syncClock`). */
  syncClock?: boolean
}

/**
 * Boots `spec` once, runs `until` on it and saves a snapshot; returns a new machine
 * restored from that snapshot (in about half a second). Later calls with the same spec,
 * media and `until`, in this test file or any other, and in later runs, restore the same
 * snapshot instead of booting. The cache lives in `.bootcheck/cache/snapshots/` (see
 * `bootcheck snapshots list|prune`); `bootcheck run --fresh` makes every snapshot again
 * once per run. The key covers the spec, the checksum of every medium, kernel and served
 * tree, the QEMU version, machine type and accelerator: change any and the machine boots
 * again.
 *
 * ```ts
 * const shell = (vm: Machine) => vm.succeed('true')
 * test('reboot wipes state', async t => {
 *   const vm = await bootOnce(t, { cdrom: 'live.iso', disks: ['persist.img'] }, { until: shell })
 *   …
 * })
 * ```
 */
export async function bootOnce(t: TestContext, spec: MachineSpec | string, options: BootOnceOptions): Promise<Machine> {
  if (typeof options?.until !== 'function') throw new SpecError('bootOnce: options.until must be a function that brings the machine to the state to save')
  const resolved = typeof spec === 'string' ? await machineFromConfig(spec, options.overrides) : { ...spec, ...options.overrides }
  if (resolved.from !== undefined) throw new SpecError('bootOnce: the spec boots a machine to snapshot; it cannot have from')
  checkSpec(resolved)
  const qemu = await specQemuBinary(resolved)
  const accel = resolved.accel === 'kvm' || resolved.accel === 'tcg' ? resolved.accel : (await detectAccelerator({ qemu })).accel
  const identity = await qemuIdentity(qemu)
  const key = await snapshotKey(resolved, { ...identity, accel }, options.key ?? options.until.toString())
  const name = resolved.name ?? 'machine'
  const freshSince = process.env.BOOTCHECK_FRESH_SINCE ? Number(process.env.BOOTCHECK_FRESH_SINCE) : undefined
  const dir = await ensureCachedSnapshot(
    snapshotCacheDir(),
    key,
    async folder => {
      t.comment?.(`bootOnce: booting ${name} to make snapshot ${key}`)
      const source = await startMachine(
        { ...resolved, accel, name: `${name}.boot-once` },
        { test: testPath(t), admit: need => acquireLease(need), ...(t.comment ? { note: (line: string) => t.comment!(line) } : {}) },
      )
      try {
        await options.until(source)
        await source.snapshot({ name: options.key ?? name, dir: folder })
      } finally {
        await source.dispose()
      }
    },
    {
      ...(freshSince !== undefined && Number.isFinite(freshSince) ? { freshSince } : {}),
      onWait: pid => t.comment?.(`bootOnce: waiting for ${pid === undefined ? 'another process' : `process ${pid}`} to make snapshot ${key} of ${name}`),
    },
  )
  // What a restored machine may still set, taken from the spec; the rest is the snapshot's.
  const kept = Object.fromEntries(RESTORE_FIELDS.filter(f => resolved[f] !== undefined).map(f => [f, resolved[f]]))
  return boot(t, { ...kept, from: dir, name, accel, ...(options.syncClock ? { syncClock: true } : {}) })
}

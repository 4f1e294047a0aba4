/**
 * `boot()`, the entry point of test files: a machine of a tap test, found by spec or by
 * name in `bootcheck.config.ts`, admitted by the runner's memory budget under
 * `bootcheck run`, stopped when the test ends, and kept for a terminal on failure under
 * `bootcheck run --debug`. The layers below know none of these.
 * @module
 */
import { attachAfterFailure, debugRequested } from '../attach/debug.js'
import { machineFromConfig } from '../config/config.js'
import { resolve } from 'node:path'
import { acquireLease } from '../lease/client.js'
import { forgetForCapsule, keepCapsule, registerForCapsule } from './capsule.js'
import { markTestFailed, testPath } from '../machine/artifacts.js'
import type { Machine } from '../machine/machine.js'
import { startMachine, type Admit } from '../machine/start.js'
import type { MachineSpec } from '../spec/spec.js'

/**
 * The part of a tap test `boot` uses: a teardown hook, and optionally a way to print
 * comments and the test's name. Any tap `t` fits.
 */
export interface TestContext {
  /** Runs `fn` when the test ends: `boot` stops its machine there. */
  teardown(fn: () => unknown): void
  /** Prints a TAP comment (the accelerator chosen, a failing machine's artifacts folder). */
  comment?(...message: unknown[]): void
  /** The test's full name, parents included: names the machine's artifacts folder. */
  fullname?: string
  /** The test's own name. */
  name?: string
  /** Whether the test passes so far: at teardown a failing test keeps its filmstrip, and its output names the artifacts folder. */
  passing?(): boolean
}

/**
 * Boots a machine and returns it once QEMU runs and QMP answers (the guest is still
 * booting: wait for console text or run a command next).
 *
 * With a tap `t` first, the machine is stopped when the test ends, fails or times out.
 * Without it, call {@link Machine.dispose} yourself. Every QEMU process is also ended when
 * the runner exits or gets SIGINT/SIGTERM.
 *
 * ```ts
 * const vm = await boot(t, { cdrom: 'live.iso', memory: '1G' })
 * await vm.console.waitFor(/# $/)
 * ```
 *
 * With a name instead of a spec, the machine definition of that name in
 * `bootcheck.config.ts` is used, with `overrides` laid over it:
 * `boot(t, 'live', { kernelParams: ['copytoram'] })`.
 *
 * Throws a {@link SpecError} for a bad spec and a {@link MediumError} for a missing or
 * unusable file, both before QEMU starts; a {@link RunnerError} when the test runs under
 * `bootcheck run` but the runner is gone.
 */
export async function boot(t: TestContext, spec: MachineSpec | string, overrides?: Partial<MachineSpec>): Promise<Machine>
export async function boot(spec: MachineSpec): Promise<Machine>
export async function boot(a: TestContext | MachineSpec, b?: MachineSpec | string, overrides?: Partial<MachineSpec>): Promise<Machine> {
  const t = b === undefined ? undefined : (a as TestContext)
  // A name is a machine definition from bootcheck.config.ts.
  const spec = typeof b === 'string' ? await machineFromConfig(b, overrides) : { ...(b ?? (a as MachineSpec)), ...overrides }
  // Under `bootcheck run`, wait here until the run's memory budget has room.
  return startInTest(t, spec, need => acquireLease(need))
}

/** Starts a machine admitted by `admit` and ties it to test `t` (teardown, artifacts note, debug). */
export async function startInTest(t: TestContext | undefined, spec: MachineSpec, admit: Admit): Promise<Machine> {
  const test = testPath(t)
  const machine = await startMachine(spec, {
    test,
    admit,
    ...(t?.comment ? { note: (line: string) => t.comment!(line) } : {}),
  })
  if (!t) return machine
  const key = test.join(' > ')
  registerForCapsule(key, machine, (spec.nics ?? []).filter(n => n !== 'user').map(n => n.name))
  t.teardown(async () => {
    try {
      // Name the folder next to the failure in the test's output.
      if (t.passing && !t.passing()) {
        machine.keepFilmstrip()
        await markTestFailed(machine.artifactsDir).catch(() => undefined)
        t.comment?.(`artifacts of ${machine.name}: ${machine.artifactsDir}`)
        // Saved before --debug hands the machine over (the save pauses it: it runs on after).
        await keepCapsule(t, key, machine, resolve(spec.testFile ?? process.argv[1] ?? 'bootcheck')).catch(e => t.comment?.(`no capsule of ${machine.name}: ${(e as Error).message}`))
        if (debugRequested()) {
          await machine.qmp.execute('cont').catch(() => undefined)
          await attachAfterFailure(machine, key || machine.name, line => t.comment?.(line))
        }
      }
      await machine.dispose()
    } finally {
      forgetForCapsule(key, machine)
    }
  })
  return machine
}

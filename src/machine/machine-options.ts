/**
 * The option types of {@link Machine}'s methods, and the parts a machine is built from.
 * @module
 */
import type { SerialConsole } from '../console/console.js'
import type { NetbootHttpServer } from '../net/http.js'
import type { QemuProcess } from '../qemu/process.js'
import type { QmpClient } from '../qmp/client.js'
import type { MachineOrigin } from './snapshot-save.js'
import type { Machine } from './machine.js'

/** Options of commands run in the guest. */
export interface RunOptions {
  /** Milliseconds the command may take. Default: the machine's `timeout`. */
  timeout?: number
}

/** Options of {@link Machine.waitUntilSucceeds} and {@link Machine.waitUntilFails}. */
export interface RetryOptions {
  /** Total milliseconds to keep trying. Default: the machine's `timeout`. */
  timeout?: number
  /** Milliseconds between attempts. Default 1000. */
  interval?: number
}

/** Options of {@link Machine.reboot}. */
export interface RebootOptions {
  /** `'guest'` types `reboot` in the guest shell (the default); `'reset'` presses reset (QMP `system_reset`). */
  how?: 'guest' | 'reset'
  /** Wait until a shell answers again after the reset. Default true. */
  waitForShell?: boolean
  /** Milliseconds for the reset and the new boot. Default: the machine's `bootTimeout`. */
  timeout?: number
}

/** Everything a {@link Machine} is made of; built by `startMachine`. */
export interface MachineParts {
  name: string
  accel: 'kvm' | 'tcg'
  process: QemuProcess
  console: SerialConsole
  qmp: QmpClient
  artifactsDir: string
  workDir: string
  timeout: number
  bootTimeout: number
  login?: { user: string; password?: string }
  shellProbe?: 'quiet' | 'eager'
  /** The guest's known shell prompt (see `MachineSpec.shellPrompt`). */
  shellPrompt?: RegExp
  testFile: string
  /** The HTTP server of an iPXE boot; closed by `dispose`. */
  http?: NetbootHttpServer
  /** What the machine was started from, for its snapshots. */
  origin: MachineOrigin
  /**
   * Restored from a snapshot: `'ready'` when the guest shell was set up (ready at once),
   * `'prompt'` when it idled at its prompt with helpers of another version (probed at once).
   */
  shellReady?: 'ready' | 'prompt' | 'no'
}

/** Options of {@link Machine.handover}. */
export interface HandoverOptions {
  /** Console text the handover must show on its way (e.g. the new kernel's banner), before the shell is probed. */
  expect?: string | RegExp
  /** Milliseconds for the new system's shell. Default: the machine's `bootTimeout`. */
  timeout?: number
}

/** Options of {@link Machine.snapshot}. */
export interface SnapshotOptions {
  /** The snapshot's name, in messages and `bootcheck snapshots list`. Default `snapshot`. */
  name?: string
  /**
   * The folder to save into (created; must be empty). Default: a temporary folder removed
   * when the test process ends, enough for restores within one test file.
   */
  dir?: string
}

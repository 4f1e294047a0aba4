/**
 * bootcheck: boot live media in QEMU and test how they behave, from TypeScript.
 *
 * ```ts
 * import t from 'tap'
 * import { boot } from 'bootcheck'
 *
 * t.test('live ISO boots to a shell', async t => {
 *   const vm = await boot(t, { cdrom: 'result/iso/live.iso', memory: '1G' })
 *   await vm.console.waitFor(/# $/)
 *   t.match(await vm.succeed('uname -s'), /Linux/)
 * })
 * ```
 * @module
 */

/** Boots a machine; see {@link MachineSpec} for what it can be given. */
export { boot } from './machine/boot.js'
/** The part of a tap test `boot` needs (any tap `t`). */
export type { TestContext } from './machine/boot.js'
/** A running virtual machine: console, commands, media and power. */
export { Machine } from './machine/machine.js'
/** Options of machine methods. */
export type { RunOptions, RetryOptions, RebootOptions } from './machine/machine.js'
/** The machine description `boot` takes. */
export type { MachineSpec, DiskSpec, PxeSpec, IpxeSpec } from './machine/spec.js'
/** Network boot: files laid over a served root, the HTTP server of an iPXE boot, iPXE chain scripts. */
export { layOverlay, type Overlay, type OverlayFile } from './net/tree.js'
export { NetbootHttpServer, SLIRP_HOST_ADDRESS, type HttpRequestRecord } from './net/http.js'
export { ipxeChainScript, IPXE_CHAIN_SCRIPT } from './net/ipxe.js'
/** Parses memory sizes such as `'1G'` into MiB. */
export { parseMemory } from './machine/spec.js'
/** The guest's serial console with expect-style waits. */
export { SerialConsole, type WaitForOptions } from './console/console.js'
/** Console patterns and matches. */
export type { Pattern, ConsoleMatch } from './console/transcript.js'
/** The result of a command in the guest. */
export type { CommandResult } from './guest/shell.js'
/** The QMP client each machine has as `machine.qmp`. */
export { QmpClient } from './qmp/client.js'
/** QMP errors: a failed command names the command and QEMU's error class. */
export { QmpError, QmpClosedError, QmpProtocolError } from './qmp/errors.js'
/** Screens: options, errors, and the engine for use outside a machine. */
export { ScreenMismatchError, type WaitForScreenOptions } from './screens/expect.js'
export type { ScreenOptions, Rect } from './screens/options.js'
export type { ReferenceCheck } from './screens/references.js'
export { compareImages, type CompareResult } from './screens/compare.js'
/** Whether KVM really works here (a probe boot), else TCG. */
export { detectAccelerator, type AccelDecision } from './qemu/accel.js'
/** Errors bootcheck throws: each names its cause. */
export {
  BootcheckError,
  MediumError,
  QemuStartError,
  TimeoutError,
  MachineExitedError,
  CommandFailedError,
  GuestFailureError,
} from './errors/errors.js'
/** Console lines that fail a boot at once, and the defaults. */
export { DEFAULT_FAILURE_PATTERNS, type FailurePattern } from './console/failfast.js'
/** `bootcheck.config.ts`: typed machine definitions shared by tests and the CLI, and run defaults. */
export { defineConfig, loadConfig, machineFromConfig, type BootcheckConfig, type RunConfig, type LoadedConfig } from './config/config.js'
/** What `bootcheck run` writes to `results.json`, for tools that read a run's results. */
export type { RunRecord, FileRecord, TestRecord, MachineRecord, ScreenArtifact, Status } from './report/model.js'
/** The JUnit XML and HTML reporters, for rendering a `results.json` again. */
export { renderJUnit, renderHtml, writeHtmlReport } from './report/index.js'
/** Attach a terminal to a machine's serial console (what `bootcheck shell` does), and power a machine off like its power button. */
export { attachConsole, powerOffGracefully, openTerminal, type AttachOptions, type AttachableMachine } from './runner/attach.js'

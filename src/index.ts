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
 *
 * Everything a public method takes, returns or throws is exported from here; nothing else is.
 * @module
 */

/** Boots a machine; see {@link MachineSpec} for what it can be given. */
export { boot, type TestContext } from './api/boot.js'
/** Boots a machine to a state once per run (and across runs), and restores it for each test. */
export { bootOnce, type BootOnceOptions } from './api/boot-once.js'
/** Networks of machines: a virtual switch per network, machines joining with `nics`, booted together with `bootAll`. */
export { network, type NetworkOptions } from './api/network.js'
export { bootAll } from './api/boot-all.js'
export { Network, NETWORK_NAME, type NetworkFacts } from './machine/network.js'
export type { NicInfo, ForwardPortOptions } from './machine/nics.js'
/** MAC addresses derived from machine and network names, and a reader of the pcap captures networks write. */
export { stableMac } from './net/mac.js'
export { readPcap, mergePcaps, writePcap, summarizeFrame, dhcpMessageType, type Pcap, type PcapPacket, type FrameSummary } from './net/pcap.js'
/** The snapshot cache of `bootOnce` (what `bootcheck snapshots list|prune` shows and removes). */
export { listCachedSnapshots, pruneCachedSnapshots, snapshotCacheDir, type CachedSnapshot } from './api/snapshot-cache.js'
/** A running virtual machine: console, commands, media, screens, input and power. */
export { Machine } from './machine/machine.js'
/** Options of machine methods. */
export type { RunOptions, RetryOptions, RebootOptions, SnapshotOptions, HandoverOptions } from './machine/machine.js'
/** Options and results of the systemd, port and file waits (`waitForUnit`, `waitForOpenPort`, `waitForFile`). */
export type { WaitOptions, PortWaitOptions } from './machine/machine-services.js'
export type { UnitState } from './machine/services.js'
/** What `vm.handover()` reports: kexec, switch-root or reset, with the system's facts before and after. */
export type { HandoverKind, HandoverResult, SystemFacts } from './machine/handover.js'
/** The machine description `boot` takes, and its parts. */
export type { MachineSpec, DiskSpec, PxeSpec, IpxeSpec, SnapshotRef, NetworkRef, NicSpec, ShareSpec } from './spec/spec.js'
/** What `vm.copyTo` and `vm.copyFrom` take and report. */
export type { CopyOptions, FileCopyResult } from './machine/files.js'
/** The fields a machine restored from a snapshot (`from`) may still set. */
export { RESTORE_FIELDS } from './spec/spec.js'
/** Snapshots: a saved machine (`vm.snapshot()`), restored by `boot(t, { from })`, and what its manifest says. */
export { Snapshot } from './machine/snapshot.js'
export type { PromptSource, SnapshotManifest, SnapshotMedium, SnapshotQemu } from './machine/snapshot-manifest.js'
/** Failure capsules: a failed test's machines saved into its artifacts, brought back live by `resume` (`bootcheck resume`). */
export { resume, type ResumeOptions, type ResumedCapsule } from './api/resume.js'
export { findCapsule, readCapsule, capsuleMode, type CapsuleManifest, type CapsuleMachine, type CapsuleNetwork, type CapsuleStep, type CapsuleMode, type SharedFolder } from './machine/capsule.js'
/** Guest architectures (`arch`) and what QEMU needs for each: binary, Debian package, board, CPU, console, firmware. */
export { ARCHES, ARCH_PROFILES, type Arch, type ArchProfile, type FirmwareChoice, type FirmwareFiles, type PackagedFile } from './spec/arch.js'
/** U-Boot at the console (`vm.uboot`), its prompt, error lines and fail-fast patterns. */
export { UBoot } from './machine/uboot.js'
export { UBOOT_ERROR_LINES, UBOOT_FAILURE_PATTERNS, UBOOT_PROMPT, parseUbootEnv, ubootError } from './console/uboot.js'
/** Parses memory sizes such as `'1G'` into MiB. */
export { parseMemory } from './spec/spec.js'
/** Marks a value as secret (`vm.type(secret('hunter2'))`): used as it is, masked as `[secret]` in actions.jsonl, the report, snapshot.json and error messages. */
export { secret, Secret, maskSecrets, MASK } from './errors/secret.js'
/** Files laid over a served network root (`pxe.overlay`, `ipxe.overlay`). */
export type { Overlay, OverlayFile } from './net/tree.js'
/** The HTTP server of an iPXE boot (`machine.http`) and the requests it answered. */
export type { NetbootHttpServer, HttpRequestRecord } from './net/http.js'
/** The guest's serial console with expect-style waits. */
export { SerialConsole, type WaitForOptions } from './console/console.js'
/** Console patterns and matches. */
export type { Pattern, ConsoleMatch } from './console/transcript.js'
/** The result of a command in the guest. */
export type { CommandResult } from './guest/shell.js'
/** How QEMU ended (`machine.exited`, `powerOff`, `kill`). */
export type { QemuExit } from './qemu/process.js'
/** The QMP client each machine has as `machine.qmp`. */
export { QmpClient } from './qmp/client.js'
/** Screens: options, results, errors, images, and the engine for use outside a machine. */
export { ScreenMismatchError, type WaitForScreenOptions, type ScreenWaitOptions } from './screens/expect.js'
export type { ScreenOptions, Rect } from './screens/options.js'
export type { ScreenCheck, ReferenceCheck, ReferenceFiles } from './screens/references.js'
export type { Image } from './screens/image.js'
export { compareImages, type CompareResult } from './screens/compare.js'
/** Screens as text: OCR results, patterns, matches and options. */
export type { ScreenText, ScreenLine, ScreenWord } from './screens/ocr-tsv.js'
export type { TextMatch, TextPattern } from './screens/ocr-match.js'
export type { OcrOptions } from './screens/ocr.js'
export type { OcrPrepOptions } from './screens/ocr-prep.js'
export type { ScreenTextOptions, WaitForTextOptions } from './screens/text.js'
/** Whether KVM really works here (a probe boot), else TCG. */
export { detectAccelerator, type AccelDecision } from './qemu/accel.js'
/** The one family of errors bootcheck throws: each a {@link BootcheckError} with a stable `code`. */
export {
  BootcheckError,
  SpecError,
  ConfigError,
  UsageError,
  MediumError,
  QemuStartError,
  TimeoutError,
  MachineExitedError,
  RunnerError,
  CommandFailedError,
  CommandOutputDamagedError,
  GuestFailureError,
  GuestRebootedError,
  SnapshotError,
  SnapshotMismatchError,
  CapsuleError,
  NetworkError,
  ShareError,
  TextNotFoundError,
  OcrError,
  SystemdError,
  CaptureError,
  type BootcheckErrorCode,
} from './errors/errors.js'
/** QMP errors: a failed command names the command and QEMU's error class; a QMP timeout is a {@link TimeoutError}. */
export { QmpError, QmpClosedError, QmpProtocolError, QmpTimeoutError, QmpConnectError } from './qmp/errors.js'
/** Console lines that fail a boot at once, and the defaults. */
export { DEFAULT_FAILURE_PATTERNS, type FailurePattern } from './console/failfast.js'
/** `bootcheck.config.ts`: typed machine definitions shared by tests and the CLI, and run defaults. */
export { defineConfig, loadConfig, machineFromConfig, type BootcheckConfig, type RunConfig, type LoadedConfig } from './config/config.js'
/** What `bootcheck run` writes to `results.json` (with each machine's step log), for tools that read a run's results. */
export type { RunRecord, FileRecord, TestRecord, MachineRecord, ScreenArtifact, Status, ActionRecord, ActionAttachment, ActionCommand } from './report/model.js'
/** The JUnit XML and HTML reporters, for rendering a `results.json` again. */
export { renderJUnit, renderHtml, writeHtmlReport } from './report/index.js'
/** Attach a terminal to a machine's serial console (what `bootcheck shell` does), and power a machine off like its power button. */
export { attachConsole, powerOffGracefully, type AttachOptions, type AttachableMachine, type TerminalInput, type TerminalOutput } from './attach/attach.js'

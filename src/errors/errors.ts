/**
 * The one family of errors bootcheck throws on purpose. Every error a user can get is a
 * {@link BootcheckError} with a stable `code` (like execa's single error family), and its
 * message names the cause and, where there is one, the file to look at (the transcript,
 * the artifacts folder).
 * @module
 */
import { maskSecrets } from './secret.js'

/** The stable codes of {@link BootcheckError} subclasses, for programs that branch on them. */
export type BootcheckErrorCode =
  | 'BOOTCHECK'
  | 'BOOTCHECK_SPEC'
  | 'BOOTCHECK_CONFIG'
  | 'BOOTCHECK_USAGE'
  | 'BOOTCHECK_MEDIUM'
  | 'BOOTCHECK_QEMU_START'
  | 'BOOTCHECK_TIMEOUT'
  | 'BOOTCHECK_MACHINE_EXITED'
  | 'BOOTCHECK_GUEST_FAILURE'
  | 'BOOTCHECK_COMMAND_FAILED'
  | 'BOOTCHECK_COMMAND_OUTPUT_DAMAGED'
  | 'BOOTCHECK_GUEST_REBOOTED'
  | 'BOOTCHECK_RUNNER'
  | 'BOOTCHECK_SNAPSHOT'
  | 'BOOTCHECK_SHARE'
  | 'BOOTCHECK_SNAPSHOT_MISMATCH'
  | 'BOOTCHECK_NETWORK'
  | 'BOOTCHECK_SCREEN_MISMATCH'
  | 'BOOTCHECK_TEXT_NOT_FOUND'
  | 'BOOTCHECK_OCR'
  | 'BOOTCHECK_QMP'
  | 'BOOTCHECK_QMP_PROTOCOL'
  | 'BOOTCHECK_QMP_CLOSED'
  | 'BOOTCHECK_QMP_CONNECT'
  | 'BOOTCHECK_QMP_TIMEOUT'
  | 'BOOTCHECK_SYSTEMD'
  | 'BOOTCHECK_CAPTURE'
  | 'BOOTCHECK_CAPSULE'

/** The longest line of an error message (a guest's console line may be endless). */
export const MAX_MESSAGE_LINE = 4096
/** The longest error message. */
export const MAX_MESSAGE = 64 * 1024

/** `message` with each line cut at {@link MAX_MESSAGE_LINE} and the whole at {@link MAX_MESSAGE}, saying how much was left out. */
export function capMessage(message: string): string {
  const lines = message.split('\n').map(l => (l.length > MAX_MESSAGE_LINE ? `${l.slice(0, MAX_MESSAGE_LINE)}… (${l.length - MAX_MESSAGE_LINE} more characters)` : l))
  const out = lines.join('\n')
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}… (${out.length - MAX_MESSAGE} more characters)` : out
}

/**
 * Base class of every error bootcheck throws on purpose. `cause` is kept when one exists,
 * and the message always names what failed and, where it helps, what to do about it.
 */
export class BootcheckError extends Error {
  /** A stable code naming the kind of error, e.g. `BOOTCHECK_SPEC`; subclasses set their own. */
  readonly code: BootcheckErrorCode = 'BOOTCHECK'

  constructor(message: string, options?: { cause?: unknown }) {
    // Values marked secret() (typed passwords, login passwords) never reach a message, and
    // a guest cannot make one huge: lines and the whole are capped.
    super(typeof message === 'string' ? capMessage(maskSecrets(message)) : message, options)
    this.name = new.target.name
    // tap reports a thrown error's message as the name of its test point, on one line; an
    // enumerable copy reaches the TAP diagnostics whole, where the report reads it.
    if (this.message.includes('\n')) Object.defineProperty(this, 'messageLines', { value: this.message, enumerable: true })
  }
}

/** A machine spec (or an option of a method) is invalid: caught before QEMU starts. */
export class SpecError extends BootcheckError {
  override readonly code = 'BOOTCHECK_SPEC'
}

/** `bootcheck.config.ts` is missing, invalid, or lacks the machine asked for. */
export class ConfigError extends BootcheckError {
  override readonly code = 'BOOTCHECK_CONFIG'
}

/** The command line of the `bootcheck` CLI is wrong (an unknown flag, a bad value). */
export class UsageError extends BootcheckError {
  override readonly code = 'BOOTCHECK_USAGE'
}

/** A file the machine needs (image, kernel, firmware) is missing or unusable. */
export class MediumError extends BootcheckError {
  override readonly code = 'BOOTCHECK_MEDIUM'
}

/** The QEMU binary is missing or QEMU refused to start. */
export class QemuStartError extends BootcheckError {
  override readonly code = 'BOOTCHECK_QEMU_START'
}

/** Waiting for something on the console, the screen or the guest took too long. */
export class TimeoutError extends BootcheckError {
  override readonly code: BootcheckErrorCode = 'BOOTCHECK_TIMEOUT'
}

/** The machine's QEMU process ended while something was still waiting for it. */
export class MachineExitedError extends BootcheckError {
  override readonly code = 'BOOTCHECK_MACHINE_EXITED'
}

/** The runner cannot work as set up: a test process under `bootcheck run` cannot reach the runner (so it starts no machine), or a part of the installed package is missing. */
export class RunnerError extends BootcheckError {
  override readonly code = 'BOOTCHECK_RUNNER'
}

/** The console showed a known failure (kernel panic, emergency shell, failed stage 1, …). */
export class GuestFailureError extends BootcheckError {
  override readonly code = 'BOOTCHECK_GUEST_FAILURE'
  constructor(
    message: string,
    /** The failure pattern's name, e.g. `kernel panic`. */
    readonly failure: string,
    /** The console line that matched. */
    readonly line: string,
  ) {
    super(message)
  }
}

/** A command in the guest ended with an unexpected exit status. */
export class CommandFailedError extends BootcheckError {
  override readonly code = 'BOOTCHECK_COMMAND_FAILED'
  constructor(
    message: string,
    /** The command as given. */
    readonly command: string,
    /** Its exit status. */
    readonly status: number,
    /** Its stdout. */
    readonly output: string,
    /** Its stderr. */
    readonly stderr: string,
  ) {
    super(message)
  }
}

/**
 * A command's result arrived damaged on the console every time it was fetched (the
 * checksums did not match): the console is too noisy, or the guest's `base64`/`md5sum` fail.
 */
export class CommandOutputDamagedError extends BootcheckError {
  override readonly code = 'BOOTCHECK_COMMAND_OUTPUT_DAMAGED'
}

/**
 * The guest was reset (QEMU reported `RESET`) while a command ran, e.g. the command ran
 * `reboot -f`: its result is lost. The next command waits for the new boot's shell.
 */
export class GuestRebootedError extends BootcheckError {
  override readonly code = 'BOOTCHECK_GUEST_REBOOTED'
}

/**
 * A snapshot could not be taken or restored: a device that cannot be migrated, a snapshot
 * folder that is missing, incomplete or corrupt, or QEMU refusing the saved state.
 */
export class SnapshotError extends BootcheckError {
  override readonly code: BootcheckErrorCode = 'BOOTCHECK_SNAPSHOT'
}

/**
 * A network of machines was used wrongly or failed: two networks of one name in a test, a
 * network passed to a machine of another test or after its test ended, a network no
 * machine joined, a NIC the machine does not have, a switch that would not start.
 */
export class NetworkError extends BootcheckError {
  override readonly code = 'BOOTCHECK_NETWORK'
}

/**
 * A host folder shared with 9p (`shares` in the spec) could not be mounted in the guest:
 * its kernel has no 9p (the modules `9p` and `9pnet_virtio` are neither built in nor
 * loaded), or `mount` failed (its output is quoted).
 */
export class ShareError extends BootcheckError {
  override readonly code = 'BOOTCHECK_SHARE'
}

/**
 * A snapshot does not fit what it would be restored with: another QEMU version or machine
 * type, or media (ISO, kernel, disk images) that changed since it was taken. `changes`
 * lists each difference.
 */
export class SnapshotMismatchError extends SnapshotError {
  override readonly code = 'BOOTCHECK_SNAPSHOT_MISMATCH'
  constructor(
    message: string,
    /** Each difference, e.g. `QEMU version: snapshot 7.2.22, now 8.0.0`. */
    readonly changes: string[],
  ) {
    super(message)
  }
}

/**
 * A failure capsule (a failed test's machines saved into its artifacts by `bootcheck run`)
 * could not be saved or resumed: the folder holds no `capsule.json`, a machine of it was not
 * saved (a busy 9p share, an SD card), a machine with shares is resumed without its folders
 * given or with one gone, or its manifest is damaged. A medium that changed is a {@link SnapshotMismatchError} naming the file.
 */
export class CapsuleError extends BootcheckError {
  override readonly code = 'BOOTCHECK_CAPSULE'
}

/**
 * `waitForText` or `clickText` did not see the text within its timeout. The message lists
 * the lines the OCR read last (so "Selectalanguage" noise shows and the pattern can be
 * loosened) and names the screenshot saved in the artifacts folder.
 */
export class TextNotFoundError extends TimeoutError {
  override readonly code = 'BOOTCHECK_TEXT_NOT_FOUND'
  constructor(
    message: string,
    /** The pattern looked for, as text (`/Continue/` or `"Continue"`). */
    readonly pattern: string,
    /** The lines read on the last pass, top to bottom. */
    readonly seen: string[],
    /** The last screenshot (PNG in the artifacts folder), when one was saved. */
    readonly screenshot?: string,
  ) {
    super(message)
  }
}

/**
 * The OCR engine is missing or failed: `tesseract` is not installed (Debian packages
 * `tesseract-ocr` and `tesseract-ocr-<lang>`; `scripts/setup.sh` installs them), a
 * language's data is missing, or its output could not be read (see `src/screens/ocr.ts`).
 */
export class OcrError extends BootcheckError {
  override readonly code = 'BOOTCHECK_OCR'
}

/**
 * A systemd unit in the guest failed: `waitForUnit` saw it reach `failed` (or stay
 * inactive with no job left that could start it, or not exist), or `systemctl` exited
 * non-zero. The message names the unit and quotes its `systemctl status`.
 */
export class SystemdError extends BootcheckError {
  override readonly code = 'BOOTCHECK_SYSTEMD'
  constructor(
    message: string,
    /** The unit concerned (the first one named, for `systemctl` with several). */
    readonly unit: string,
    /** Its `ActiveState` when the error was raised (`failed`, `inactive`, …), or `''` when not known. */
    readonly state: string,
    /** Its `systemctl status` output (as far as the guest printed it). */
    readonly status: string,
  ) {
    super(message)
  }
}

/**
 * A packet capture could not be read or written: a file that is not a pcap file (or is cut
 * short), or a link type bootcheck does not decode.
 */
export class CaptureError extends BootcheckError {
  override readonly code = 'BOOTCHECK_CAPTURE'
}

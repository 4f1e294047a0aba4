/**
 * Base class of every error bootcheck throws on purpose. `cause` is kept when one exists,
 * and the message always names what failed and, where it helps, what to do about it.
 */
export class BootcheckError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A file the machine needs (image, kernel, firmware) is missing or unusable. */
export class MediumError extends BootcheckError {}

/** The QEMU binary is missing or QEMU refused to start. */
export class QemuStartError extends BootcheckError {}

/** Waiting for something on the console, the screen or the guest took too long. */
export class TimeoutError extends BootcheckError {}

/** The machine's QEMU process ended while something was still waiting for it. */
export class MachineExitedError extends BootcheckError {}

/** The console showed a known failure (kernel panic, emergency shell, failed stage 1, …). */
export class GuestFailureError extends BootcheckError {
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
  constructor(
    message: string,
    readonly command: string,
    readonly status: number,
    readonly output: string,
    readonly stderr: string,
  ) {
    super(message)
  }
}

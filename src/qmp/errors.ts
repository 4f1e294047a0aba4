/**
 * Error classes raised by the QMP client: all {@link BootcheckError}s, and a QMP timeout is a
 * {@link TimeoutError}.
 * @module
 */
import { BootcheckError, TimeoutError } from '../errors/errors.js'

/** Longest JSON argument text quoted in an error message before it is cut short. */
const MAX_ARGS_TEXT = 300

/** Formats `command {"arg":…}` for error messages (arguments omitted when absent or empty). */
export function describeCommand(command: string, args?: object): string {
  if (args === undefined || Object.keys(args).length === 0) return command
  let text: string
  try {
    text = JSON.stringify(args)
  } catch {
    text = '<unserialisable arguments>'
  }
  if (text.length > MAX_ARGS_TEXT) text = `${text.slice(0, MAX_ARGS_TEXT)}…`
  return `${command} ${text}`
}

/**
 * A QMP command was executed and QEMU replied with an error.
 *
 * The message names the command and its arguments plus QEMU's error class
 * and description, e.g.
 * `QMP eject {"id":"cdrom"} failed: GenericError: Device 'cdrom' is locked`.
 */
export class QmpError extends BootcheckError {
  override readonly code = 'BOOTCHECK_QMP'
  /** The command that failed. */
  readonly command: string
  /** The arguments it was sent with, if any. */
  readonly args: object | undefined
  /** QEMU's error class, e.g. `GenericError`, `DeviceNotFound`, `CommandNotFound`. */
  readonly errorClass: string
  /** QEMU's human-readable description. */
  readonly desc: string

  constructor(command: string, args: object | undefined, errorClass: string, desc: string) {
    super(`QMP ${describeCommand(command, args)} failed: ${errorClass}: ${desc}`)
    this.command = command
    this.args = args
    this.errorClass = errorClass
    this.desc = desc
  }
}

/** QEMU sent something that is not valid QMP (malformed JSON, missing greeting, …). */
export class QmpProtocolError extends BootcheckError {
  override readonly code = 'BOOTCHECK_QMP_PROTOCOL'
  /** The offending raw line, when the problem is a single line. */
  readonly line: string | undefined

  constructor(message: string, line?: string, options?: { cause?: unknown }) {
    super(line === undefined ? message : `${message}: ${truncate(line)}`, options)
    this.line = line
  }
}

/**
 * The QMP connection closed (or was already closed) while something was waiting on it:
 * a command's reply, an event, or the handshake. `waitingFor` says which.
 */
export class QmpClosedError extends BootcheckError {
  override readonly code = 'BOOTCHECK_QMP_CLOSED'
  /** What was pending, e.g. `reply to eject {"id":"cdrom"}` or `event DEVICE_TRAY_MOVED`. */
  readonly waitingFor: string

  constructor(waitingFor: string, options?: { cause?: unknown }) {
    super(`QMP connection closed while waiting for ${waitingFor}`, options)
    this.waitingFor = waitingFor
  }
}

/** Waiting for a command reply, an event or a connection took longer than allowed. */
export class QmpTimeoutError extends TimeoutError {
  override readonly code = 'BOOTCHECK_QMP_TIMEOUT'
  /** What was being waited for, e.g. `event DEVICE_TRAY_MOVED`. */
  readonly waitingFor: string
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number

  constructor(waitingFor: string, timeoutMs: number, detail?: string) {
    super(`QMP timed out after ${timeoutMs} ms waiting for ${waitingFor}${detail ? ` (${detail})` : ''}`)
    this.waitingFor = waitingFor
    this.timeoutMs = timeoutMs
  }
}

/** Connecting to the QMP socket failed for a reason other than a timeout (e.g. QEMU exited). */
export class QmpConnectError extends BootcheckError {
  override readonly code = 'BOOTCHECK_QMP_CONNECT'
  /** The socket path that was being connected to. */
  readonly socketPath: string

  constructor(socketPath: string, message: string, options?: { cause?: unknown }) {
    super(`QMP connect to ${socketPath} failed: ${message}`, options)
    this.socketPath = socketPath
  }
}

function truncate(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s
}

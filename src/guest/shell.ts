import type { SerialConsole } from '../console/console.js'
import { formatMs } from '../console/console.js'
import { BootcheckError, TimeoutError } from '../errors/errors.js'
import { sleep } from '../util/sleep.js'
import {
  SHELL_SETUP,
  commandLine,
  decodeResult,
  newMarker,
  probeLine,
  probeReply,
  replayLine,
  resultPatterns,
} from './protocol.js'

/** The result of a command in the guest. */
export interface CommandResult {
  /** The command's exit status. */
  status: number
  /** What it wrote to stdout. */
  output: string
  /** What it wrote to stderr. */
  stderr: string
}

/** Options of {@link GuestShell}. */
export interface GuestShellOptions {
  login?: { user: string; password?: string }
}

const PROBE_INTERVAL = 4000
const QUIET_LOOK = 1500
const INTERRUPT_PAUSE = 200
const REPLAYS = 3
// Longer lines would hit the guest tty's 4095-character canonical line limit.
const MAX_LINE = 3500

/**
 * Runs commands on the guest's serial console shell, logging in first when a getty prompt
 * is shown. Commands are queued, so concurrent calls run one after the other.
 */
export class GuestShell {
  private ready = false
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly console: SerialConsole,
    private readonly options: GuestShellOptions = {},
  ) {}

  /** Forgets the shell session (after a reboot the functions must be defined again). */
  invalidate(): void {
    this.ready = false
  }

  /** Waits until a shell answers on the console (logging in if asked) and prepares it. */
  ensureReady(timeout: number): Promise<void> {
    return this.enqueue(() => this.prepare(timeout))
  }

  /** Runs `command` and returns its exit status and output. */
  run(command: string, timeout: number, bootTimeout: number): Promise<CommandResult> {
    return this.enqueue(async () => {
      await this.prepare(bootTimeout)
      return this.execute(command, timeout)
    })
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job)
    this.queue = next.catch(() => undefined)
    return next
  }

  private async prepare(timeout: number): Promise<void> {
    if (this.ready) return
    const deadline = Date.now() + timeout
    let loginAttempts = 0
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new TimeoutError(
          `No shell answered on the serial console of ${this.console.name} within ${formatMs(timeout)}.` +
            this.console.recentOutput(),
        )
      }
      // Look at the screen before typing: a login prompt must get the user name, not a
      // probe, and a login in progress must not be interrupted.
      let m = await this.look([/login: *$/, /[#$] *$/], Math.min(QUIET_LOOK, left))
      if (m?.index !== 0) {
        const id = newMarker()
        // Ctrl-C first: input typed while the guest was still booting may have arrived cut
        // short (say, with an unbalanced quote); the interrupt discards such a partial line.
        // The pause lets a shell without a line editor act on the SIGINT before the probe.
        this.console.send('\x03')
        await sleep(INTERRUPT_PAUSE)
        this.console.sendLine(probeLine(id))
        m = await this.look([probeReply(id), /login: *$/, /[Pp]assword: *$/], Math.min(PROBE_INTERVAL, left))
        if (m?.index === 0) break
      } else m = { index: 1 }
      if (m === null) continue
      const login = this.options.login
      if (!login) {
        throw new BootcheckError(
          `The guest ${this.console.name} shows a login prompt; pass login: { user, password } in the machine spec.` +
            this.console.recentOutput(),
        )
      }
      if (m.index === 1) {
        if (++loginAttempts > 3) {
          throw new BootcheckError(`Logging in as '${login.user}' on ${this.console.name} failed 3 times.` + this.console.recentOutput())
        }
        this.console.sendLine(login.user)
        if (login.password !== undefined) {
          await this.console.waitFor(/[Pp]assword: *$/, { timeout: Math.max(1000, deadline - Date.now()) })
          this.console.sendLine(login.password)
        }
      } else {
        // A password prompt we did not expect (a probe typed as a user name): let it fail.
        this.console.sendLine(login.password ?? '')
      }
    }
    const id = newMarker()
    this.console.sendLine(`${SHELL_SETUP}; ${probeLine(id)}`)
    await this.console.waitFor(probeReply(id), { timeout: Math.max(1000, deadline - Date.now()) })
    this.ready = true
  }

  /** Waits for any of the patterns; `null` on timeout. */
  private look(patterns: Array<string | RegExp>, timeout: number): Promise<{ index: number } | null> {
    return this.console.waitFor(patterns, { timeout }).catch(e => {
      if (e instanceof TimeoutError) return null
      throw e
    })
  }

  private async execute(command: string, timeout: number): Promise<CommandResult> {
    const id = newMarker()
    const line = commandLine(id, command)
    if (line.length > MAX_LINE) {
      throw new BootcheckError(
        `The command is ${command.length} characters long; the serial console takes at most about ${MAX_LINE}. Put long scripts in a file on the medium.`,
      )
    }
    const deadline = Date.now() + timeout
    this.console.sendLine(line)
    let status = 0
    let reason = ''
    for (let attempt = 0; attempt <= REPLAYS; attempt++) {
      const markerId = attempt === 0 ? id : newMarker()
      if (attempt > 0) this.console.sendLine(replayLine(markerId, status))
      const { begin, end } = resultPatterns(markerId)
      try {
        await this.console.waitFor(begin, { timeout: Math.max(1, deadline - Date.now()) })
        const m = await this.console.waitFor(end, { timeout: Math.max(1, deadline - Date.now()) })
        const decoded = decodeResult(markerId, m.before, m.groups!)
        if (decoded.ok) return { status: decoded.status, output: decoded.stdout, stderr: decoded.stderr }
        status = decoded.status
        reason = decoded.reason
      } catch (e) {
        if (e instanceof TimeoutError) {
          // Interrupt the command so the shell is usable again, and resynchronise next time.
          this.console.send('\x03')
          this.ready = false
          throw new TimeoutError(
            `Command ${JSON.stringify(command)} on ${this.console.name} did not finish within ${formatMs(timeout)}.` +
              this.console.recentOutput(),
          )
        }
        throw e
      }
    }
    throw new BootcheckError(
      `The output of ${JSON.stringify(command)} on ${this.console.name} arrived damaged ${REPLAYS + 1} times (${reason}): the console is too noisy, or the guest's own tools (base64, md5sum) fail.` +
        this.console.recentOutput(),
    )
  }
}

/**
 * The guest shell on the serial console: finding it ({@link findShell}), running commands
 * one at a time through the command protocol ({@link transferCommand}), and what a reset or
 * a reboot does to the session.
 * @module
 */
import type { SerialConsole } from '../console/console.js'
import { GuestRebootedError } from '../errors/errors.js'
import { transferCommand, type ByteResult, type CommandResult, type Feed } from './shell-command.js'
import { classifyLine, findShell, type BootView, type GuestShellOptions } from './shell-find.js'

export type { ByteResult, CommandResult, Feed } from './shell-command.js'
export { classifyLine, type GuestShellOptions } from './shell-find.js'

/**
 * Runs commands on the guest's serial console shell, logging in first when a getty prompt
 * is shown. Commands are queued, so concurrent calls run one after the other.
 *
 * Finding the shell: bootcheck decides on what the console shows only once it has been
 * quiet for a second (a `login:` prompt for two: agetty with `--autologin` prints
 * `root (automatic login)` just after it, and that is no login prompt). A login prompt
 * gets `login` from the spec, or fails at once without it. In `'quiet'` probe mode
 * nothing is typed until the console settles on a prompt-looking line (`# `, `$ `, `% `,
 * `> `), or is quiet for 3 s after such a line was seen (messages printed after the
 * prompt), or is quiet for 30 s with none seen (an unusual or empty prompt); unanswered
 * probes back off (2, 4, 8, 15 s). `'eager'` probes every few seconds from the start.
 */
export class GuestShell {
  private ready = false
  private sessions = 0
  private queue: Promise<unknown> = Promise.resolve()
  /** What the current boot showed so far (see {@link invalidate}); read by {@link findShell}. */
  private readonly view: BootView = { since: 0, sinceAt: Date.now(), promptSeenAt: 0, promptKnown: false }
  /** The command being executed and how to abort its waits (see {@link guestReset}). */
  private current: { command: string; abort: AbortController } | null = null

  constructor(
    private readonly console: SerialConsole,
    private readonly options: GuestShellOptions = {},
  ) {
    console.onText(() => {
      if (classifyLine(console.currentLine(this.view.since)) !== 'other') this.view.promptSeenAt = Date.now()
    })
  }

  /** Counts the sessions set up so far (a reboot or a handover starts a new one): what was done in the guest's shell once per boot is done again when it changes. */
  get session(): number {
    return this.sessions
  }

  /** True while the session is set up: the helper functions are defined and the shell idles at its prompt. */
  get isReady(): boolean {
    return this.ready
  }

  /**
   * Takes the session as set up without asking the guest: for a machine restored from a
   * snapshot taken while the shell was ready (its helper functions are in the guest's RAM).
   */
  assumeReady(): void {
    this.ready = true
  }

  /**
   * The guest is known to idle at a shell prompt, though the session is not set up (a
   * snapshot taken at a ready shell, restored by a bootcheck whose helper functions
   * differ): the first probe is typed at once instead of after the quiet wait.
   */
  atPrompt(): void {
    this.view.promptKnown = true
  }

  /** Forgets the shell session (after a reboot the functions must be defined again). */
  invalidate(): void {
    this.view.promptKnown = false
    this.ready = false
    this.view.since = this.console.outputLength
    this.view.sinceAt = Date.now()
    this.view.promptSeenAt = 0
  }

  /**
   * The guest was reset (QEMU reported `RESET`: `reboot -f` in a command, a watchdog, a
   * triple fault): a command waiting for its result fails at once with
   * {@link GuestRebootedError} instead of running into its timeout, and the session is
   * forgotten, so the next command waits for the new boot's shell.
   */
  guestReset(reason: string): void {
    const current = this.current
    this.invalidate()
    if (!current) return
    current.abort.abort(
      new GuestRebootedError(
        `The guest ${this.console.name} was reset (${reason}) while command ${JSON.stringify(current.command)} ran; its result is lost. ` +
          'The next command waits for the new boot.' +
          this.console.recentOutput(),
      ),
    )
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

  /** Runs `command` and returns its exit status and stdout as bytes (binary output). */
  runBytes(command: string, timeout: number, bootTimeout: number): Promise<ByteResult> {
    return this.enqueue(async () => {
      await this.prepare(bootTimeout)
      return this.executeBytes(command, timeout)
    })
  }

  /**
   * Types `feed.receive` with the console's echo off, waits until it runs, types
   * `feed.data` for it to read, then runs `command` as {@link run} does (say, checking what
   * arrived). Console input has no checksum: `command` must check the data itself.
   */
  runFeeding(feed: Feed, command: string, timeout: number, bootTimeout: number): Promise<CommandResult> {
    return this.enqueue(async () => {
      await this.prepare(bootTimeout)
      const r = await this.executeBytes(command, timeout, feed)
      return { ...r, output: r.output.toString('utf8') }
    })
  }

  /** Runs `job` when no command runs, and keeps commands waiting until it is done (a snapshot). */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.enqueue(job)
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job)
    this.queue = next.catch(() => undefined)
    return next
  }

  private async prepare(timeout: number): Promise<void> {
    if (this.ready) return
    await findShell(this.console, this.options, this.view, timeout)
    this.ready = true
    this.sessions++
  }

  private async execute(command: string, timeout: number): Promise<CommandResult> {
    const r = await this.executeBytes(command, timeout)
    return { ...r, output: r.output.toString('utf8') }
  }

  private async executeBytes(command: string, timeout: number, feed?: Feed): Promise<ByteResult> {
    const abort = new AbortController()
    this.current = { command, abort }
    try {
      return await transferCommand(
        { console: this.console, onCommand: this.options.onCommand, interrupted: () => (this.ready = false) },
        command,
        timeout,
        abort.signal,
        feed,
      )
    } finally {
      this.current = null
    }
  }
}

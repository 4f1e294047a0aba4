import type { SerialConsole } from '../console/console.js'
import { formatMs } from '../console/console.js'
import { BootcheckError, CommandOutputDamagedError, GuestRebootedError, TimeoutError } from '../errors/errors.js'
import { sleep } from '../util/sleep.js'
import {
  SHELL_SETUP,
  commandLine,
  decodeResultBytes,
  feedLine,
  feedReady,
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

/** A command's result with stdout as the exact bytes it wrote. */
export interface ByteResult {
  /** The command's exit status. */
  status: number
  /** What it wrote to stdout. */
  output: Buffer
  /** What it wrote to stderr. */
  stderr: string
}

/**
 * Text typed into the guest for a command to read from the console (see
 * {@link GuestShell.runFeeding}): `receive` is a shell command reading exactly `data` from
 * its stdin (the console), e.g. `head -n 64 > /tmp/chunk`.
 */
export interface Feed {
  /** The command that reads the data from the console. */
  receive: string
  /** The text typed once `receive` is ready (lines ending in `\n`). */
  data: string
  /**
   * Milliseconds after which the data is taken as stuck (a lost newline leaves `receive`
   * waiting): newlines are typed to end it, so the command runs on the damaged data and
   * reports it.
   */
  stuckAfter: number
}

/** Newlines typed to end a stuck feed before giving up. */
const FEED_NUDGES = 3

const PROBE_INTERVAL = 4000

/** Options of {@link GuestShell}. */
export interface GuestShellOptions {
  login?: { user: string; password?: string }
  /**
   * When to type probes: `'quiet'` (default) only once the console has settled on a line
   * that looks like a prompt, or after a long silence; `'eager'` every few seconds from the
   * start, for guests whose prompt cannot be recognised. See {@link GuestShell}.
   */
  shellProbe?: 'quiet' | 'eager'
  /** Quiet mode: milliseconds of silence after which a probe is typed although no prompt-looking line came. Default 30000. */
  silentProbeAfter?: number
  /** Told the marker of each command typed (and of each replay of its result), for the step log. */
  onCommand?: (marker: string, command: string) => void
}

/** The console has been quiet this long: its last line is taken as what the guest shows. */
const SETTLE = 1000
/** A `login:` line must have stood this long: agetty's autologin prints "root (automatic login)" after it. */
const LOGIN_SETTLE = 2000
/** A prompt-looking line was seen and then kernel or service messages came: probe after this much quiet. */
const AFTER_PROMPT_QUIET = 3000
/**
 * No prompt-looking line at all (say `PS1=''`): probe after this much quiet. Long, because
 * a booting guest under TCG is silent for 15–25 s at a time (unpacking the initramfs,
 * systemd starting), and a probe then would be typed into the boot.
 */
const LONG_QUIET = 30_000
/**
 * The long silence is this many times longer when the last line is a kernel or boot
 * message (`[   69.679728] …`, `[  OK  ] Started …`): the guest is still booting, and on a
 * loaded host a systemd guest was seen silent for 45 s right after such a line.
 */
const BOOTING_FACTOR = 3
/** A line the kernel's log or a booting init prints, never a shell prompt. */
const BOOT_MESSAGE = /^\[\s*(?:\d+\.\d+|OK|FAILED|DEPEND|TIME|\*+)\s*\]|^Begin: |^\s+(?:Starting|Stopping|Mounting) /
/** How long a probe waits for its answer. */
const PROBE_WAIT = 4000
/** Quiet mode: pauses after unanswered probes, doubling up to the last. */
const BACKOFF = [2000, 4000, 8000, 15_000]
const POLL = 100
const QUIET_LOOK = 1500
const INTERRUPT_PAUSE = 200
const REPLAYS = 3
/**
 * A damaged result is fetched again only once the console has been quiet this long: what
 * damaged it (a program flooding the console) has likely stopped, so the copy is clean.
 */
const REPLAY_QUIET = 1000
// Longer lines would hit the guest tty's 4095-character canonical line limit.
const MAX_LINE = 3500

/** A line that looks like a shell prompt: ends in `#`, `$`, `%` or `>` and a space. */
const PROMPT = /[#$%>] $/
/** A getty login prompt (and not agetty's autologin announcement, which follows it on the same line). */
const LOGIN = /login: *$/
const PASSWORD = /[Pp]assword: *$/

/** What the console's last line looks like. */
export function classifyLine(line: string): 'login' | 'password' | 'prompt' | 'other' {
  if (/\(automatic login\)/.test(line)) return 'other'
  if (LOGIN.test(line)) return 'login'
  if (PASSWORD.test(line)) return 'password'
  if (PROMPT.test(line)) return 'prompt'
  return 'other'
}

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
  private promptKnown = false
  private queue: Promise<unknown> = Promise.resolve()
  /** Output before this offset belongs to an earlier boot (see {@link invalidate}). */
  private since = 0
  private sinceAt = Date.now()
  /** When a prompt-looking line last ended a chunk of output in this boot (0: never). */
  private promptSeenAt = 0
  /** The command being executed and how to abort its waits (see {@link guestReset}). */
  private current: { command: string; abort: AbortController } | null = null

  constructor(
    private readonly console: SerialConsole,
    private readonly options: GuestShellOptions = {},
  ) {
    console.onText(() => {
      if (classifyLine(console.currentLine(this.since)) !== 'other') this.promptSeenAt = Date.now()
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
    this.promptKnown = true
  }

  /** Forgets the shell session (after a reboot the functions must be defined again). */
  invalidate(): void {
    this.promptKnown = false
    this.ready = false
    this.since = this.console.outputLength
    this.sinceAt = Date.now()
    this.promptSeenAt = 0
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
    const deadline = Date.now() + timeout
    const eager = this.options.shellProbe === 'eager'
    let loginAttempts = 0
    let unanswered = 0
    let nextProbeAt = 0
    let lookFrom = Date.now()
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new TimeoutError(
          `No shell answered on the serial console of ${this.console.name} within ${formatMs(timeout)}.` +
            this.console.recentOutput(),
        )
      }
      const now = Date.now()
      const quietFor = now - Math.max(this.console.lastOutputAt, this.sinceAt)
      const kind = classifyLine(this.console.currentLine(this.since))
      if (kind === 'login' || kind === 'password') {
        // Decide only on a prompt that stood still: typing a probe here would be taken as a
        // user name, and an autologin announcement may still be on its way.
        if (quietFor >= LOGIN_SETTLE) {
          const login = this.options.login
          if (!login) {
            throw new BootcheckError(
              `The guest ${this.console.name} shows a login prompt; pass login: { user, password } in the machine spec.` +
                this.console.recentOutput(),
            )
          }
          if (kind === 'login') {
            if (++loginAttempts > 3) {
              throw new BootcheckError(`Logging in as '${login.user}' on ${this.console.name} failed 3 times.` + this.console.recentOutput())
            }
            this.console.skipToEnd()
            this.console.sendLine(login.user)
            if (login.password !== undefined) {
              await this.console.waitFor(PASSWORD, { timeout: Math.max(1000, deadline - Date.now()) })
              this.console.sendLine(login.password)
            }
          } else {
            // A password prompt we did not ask for (input typed as a user name): let it fail.
            this.console.sendLine(login.password ?? '')
          }
          lookFrom = Date.now()
          continue
        }
      } else if (this.mayProbe(eager, kind, quietFor, now, nextProbeAt, lookFrom)) {
        const id = newMarker()
        if (eager || unanswered > 0) {
          // Ctrl-C first: input typed while the guest was still booting may have arrived cut
          // short (say, with an unbalanced quote); the interrupt discards such a partial line.
          // The pause lets a shell without a line editor act on the SIGINT before the probe.
          this.console.send('\x03')
          await sleep(INTERRUPT_PAUSE)
        }
        this.console.sendLine(probeLine(id))
        const m = await this.look([probeReply(id)], Math.min(eager ? PROBE_INTERVAL : PROBE_WAIT, Math.max(1, deadline - Date.now())))
        if (m) break
        unanswered++
        nextProbeAt = eager ? 0 : Date.now() + BACKOFF[Math.min(unanswered, BACKOFF.length) - 1]!
        lookFrom = Date.now()
        continue
      }
      await this.console.idle(Math.min(POLL, Math.max(1, left)))
    }
    const id = newMarker()
    this.console.sendLine(`${SHELL_SETUP}; ${probeLine(id)}`)
    await this.console.waitFor(probeReply(id), { timeout: Math.max(1000, deadline - Date.now()) })
    this.ready = true
    this.sessions++
  }

  /** Whether a probe may be typed now (the console shows no login or password prompt). */
  private mayProbe(eager: boolean, kind: 'prompt' | 'other', quietFor: number, now: number, nextProbeAt: number, lookFrom: number): boolean {
    if (eager) {
      // As bootcheck always did: look for a moment, then probe whatever the console shows.
      return (kind === 'prompt' && quietFor >= SETTLE) || now - lookFrom >= QUIET_LOOK
    }
    if (now < nextProbeAt) return false
    if (this.promptKnown) return true
    if (kind === 'prompt') return quietFor >= SETTLE
    if (this.promptSeenAt > 0) return quietFor >= AFTER_PROMPT_QUIET
    const long = this.options.silentProbeAfter ?? LONG_QUIET
    return quietFor >= (this.lastLineIsBootMessage() ? long * BOOTING_FACTOR : long)
  }

  /** Whether the last line with text on it is a kernel or boot message (the guest is still booting). */
  private lastLineIsBootMessage(): boolean {
    const last = this.console.lastLines(3).filter(l => l.trim() !== '').at(-1)
    return last !== undefined && BOOT_MESSAGE.test(last)
  }

  /** Waits for any of the patterns; `null` on timeout. */
  private look(patterns: Array<string | RegExp>, timeout: number): Promise<{ index: number } | null> {
    return this.console.waitFor(patterns, { timeout }).catch(e => {
      if (e instanceof TimeoutError) return null
      throw e
    })
  }

  private async execute(command: string, timeout: number): Promise<CommandResult> {
    const r = await this.executeBytes(command, timeout)
    return { ...r, output: r.output.toString('utf8') }
  }

  private async executeBytes(command: string, timeout: number, feed?: Feed): Promise<ByteResult> {
    const abort = new AbortController()
    this.current = { command, abort }
    try {
      return await this.transfer(command, timeout, abort.signal, feed)
    } finally {
      this.current = null
    }
  }

  /**
   * Types the command and reads its result; a damaged result (a checksum that does not
   * match, a begin marker lost in noise) is fetched again once the console has been quiet
   * for {@link REPLAY_QUIET}, up to {@link REPLAYS} times, all within `timeout`.
   */
  private async transfer(command: string, timeout: number, signal: AbortSignal, feed?: Feed): Promise<ByteResult> {
    const id = newMarker()
    const feedId = newMarker()
    const line = (feed ? feedLine(feedId, feed.receive) + '; ' : '') + commandLine(id, command)
    if (line.length > MAX_LINE) {
      throw new BootcheckError(
        `The command is ${command.length} characters long; the serial console takes at most about ${MAX_LINE}. Put long scripts in a file on the medium.`,
      )
    }
    const deadline = Date.now() + timeout
    const left = (): number => Math.max(1, deadline - Date.now())
    const timedOut = (what: string): TimeoutError => {
      // Interrupt the command so the shell is usable again, and resynchronise next time.
      this.console.send('\x03')
      this.ready = false
      return new TimeoutError(`Command ${JSON.stringify(command)} on ${this.console.name} ${what} within ${formatMs(timeout)}.` + this.console.recentOutput())
    }
    this.console.sendLine(line)
    if (feed) {
      await this.console.waitFor(feedReady(feedId), { timeout: left(), signal }).catch(e => {
        if (signal.aborted) throw signal.reason
        if (e instanceof TimeoutError) throw timedOut('never became ready to read its input')
        throw e
      })
      this.console.send(feed.data)
    }
    let nudges = feed ? FEED_NUDGES : 0
    let status = 0
    let reason = ''
    for (let attempt = 0; attempt <= REPLAYS; attempt++) {
      const markerId = attempt === 0 ? id : newMarker()
      this.options.onCommand?.(markerId, command)
      if (attempt > 0) {
        if (!(await this.quiet(REPLAY_QUIET, deadline, signal))) {
          throw timedOut(`did not finish: its output arrived damaged (${reason}) and the console never went quiet for a clean copy`)
        }
        this.console.sendLine(replayLine(markerId, status))
      }
      const { begin, end, empty } = resultPatterns(markerId)
      try {
        // The end marker too: if noise swallowed the begin marker, the result is damaged
        // rather than waited for until the timeout.
        let first
        for (;;) {
          // A feed whose result does not come in time lost a newline: its reader still waits.
          const wait = nudges > 0 ? Math.min(left(), feed!.stuckAfter) : left()
          try {
            first = await this.console.waitFor([begin, end, empty], { timeout: wait, signal })
            break
          } catch (e) {
            if (!(e instanceof TimeoutError) || nudges === 0 || wait === left()) throw e
            nudges--
            this.console.send('\n')
          }
        }
        nudges = 0
        if (first.index === 2) return { status: Number(first.groups![1]), output: Buffer.alloc(0), stderr: '' }
        if (first.index === 1) {
          status = Number(first.groups![1])
          reason = 'its begin marker was lost'
          continue
        }
        const m = await this.console.waitFor(end, { timeout: left(), signal })
        const decoded = decodeResultBytes(markerId, m.before, m.groups!)
        if (decoded.ok) return { status: decoded.status, output: decoded.stdout, stderr: decoded.stderr }
        status = decoded.status
        reason = decoded.reason
      } catch (e) {
        if (signal.aborted) throw signal.reason
        if (e instanceof TimeoutError) throw timedOut('did not finish')
        throw e
      }
    }
    throw new CommandOutputDamagedError(
      `The output of ${JSON.stringify(command)} on ${this.console.name} arrived damaged ${REPLAYS + 1} times (${reason}): the console is too noisy, or the guest's own tools (base64, md5sum) fail.` +
        this.console.recentOutput(),
    )
  }

  /** Waits until the console has printed nothing for `ms`; false if the deadline comes first. */
  private async quiet(ms: number, deadline: number, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) throw signal.reason
      const now = Date.now()
      const wait = this.console.lastOutputAt + ms - now
      if (wait <= 0) return true
      if (now + wait > deadline) return false
      await this.console.idle(Math.min(wait, POLL))
    }
  }
}

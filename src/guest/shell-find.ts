/**
 * Finding the shell on a guest's serial console: waiting for the console to settle, logging
 * in at a getty prompt, typing probes (quietly or eagerly) and setting the session up once
 * one is answered. {@link GuestShell} calls {@link findShell}.
 * @module
 */
import type { SerialConsole } from '../console/console.js'
import { formatMs } from '../console/console.js'
import { BootcheckError, TimeoutError } from '../errors/errors.js'
import { sleep } from '../util/sleep.js'
import { SHELL_SETUP, newMarker, probeLine, probeReply } from './protocol.js'

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
  /**
   * The guest's known shell prompt: when the console's current line matches it, the probe
   * is typed at once with the session's setup on the same line (one round trip, no
   * settling), in either probe mode.
   */
  prompt?: RegExp
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
 * What {@link findShell} reads of the guest shell's view of the current boot; the
 * {@link GuestShell} keeps it up to date while the search runs.
 */
export interface BootView {
  /** Output before this offset belongs to an earlier boot. */
  since: number
  /** When the current boot's output began (`Date.now()`). */
  sinceAt: number
  /** When a prompt-looking line last ended a chunk of output in this boot (0: never). */
  promptSeenAt: number
  /** The guest is known to idle at a prompt: probe at once. */
  promptKnown: boolean
}

/**
 * Waits until a shell answers on `console` (logging in when `options.login` says how),
 * then defines the protocol's helper functions in it. Throws {@link TimeoutError} when no
 * shell answers within `timeout`, a {@link BootcheckError} at a login prompt without
 * `login` or after three failed logins.
 */
export async function findShell(console: SerialConsole, options: GuestShellOptions, view: BootView, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  const eager = options.shellProbe === 'eager'
  let loginAttempts = 0
  let unanswered = 0
  let nextProbeAt = 0
  let lookFrom = Date.now()
  let promptTried = false
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) {
      throw new TimeoutError(
        `No shell answered on the serial console of ${console.name} within ${formatMs(timeout)}.` +
          console.recentOutput(),
      )
    }
    const now = Date.now()
    const quietFor = now - Math.max(console.lastOutputAt, view.sinceAt)
    const line = console.currentLine(view.since)
    if (options.prompt && !promptTried && options.prompt.test(line)) {
      // The user's prompt: set up and probe in one line; unanswered, the search goes on as without it.
      promptTried = true
      const id = newMarker()
      console.sendLine(`${SHELL_SETUP}; ${probeLine(id)}`)
      if (await look(console, [probeReply(id)], Math.min(PROBE_WAIT, Math.max(1, deadline - Date.now())))) return
      unanswered++
      nextProbeAt = Date.now() + BACKOFF[0]!
      lookFrom = Date.now()
      continue
    }
    const kind = classifyLine(line)
    if (kind === 'login' || kind === 'password') {
      // Decide only on a prompt that stood still: typing a probe here would be taken as a
      // user name, and an autologin announcement may still be on its way.
      if (quietFor >= LOGIN_SETTLE) {
        await answerLogin(console, options, kind, kind === 'login' ? ++loginAttempts : loginAttempts, deadline)
        lookFrom = Date.now()
        continue
      }
    } else if (mayProbe(console, options, view, eager, kind, quietFor, now, nextProbeAt, lookFrom)) {
      const id = newMarker()
      if (eager || unanswered > 0) {
        // Ctrl-C first: input typed while the guest was still booting may have arrived cut
        // short (say, with an unbalanced quote); the interrupt discards such a partial line.
        // The pause lets a shell without a line editor act on the SIGINT before the probe.
        console.send('\x03')
        await sleep(INTERRUPT_PAUSE)
      }
      console.sendLine(probeLine(id))
      const m = await look(console, [probeReply(id)], Math.min(eager ? PROBE_INTERVAL : PROBE_WAIT, Math.max(1, deadline - Date.now())))
      if (m) break
      unanswered++
      nextProbeAt = eager ? 0 : Date.now() + BACKOFF[Math.min(unanswered, BACKOFF.length) - 1]!
      lookFrom = Date.now()
      continue
    }
    // A prompt the user named is acted on as soon as it arrives, not at the next poll.
    const userPrompt = options.prompt && !promptTried ? options.prompt : undefined
    await console.idle(Math.min(POLL, Math.max(1, left)), userPrompt && (() => userPrompt.test(console.currentLine(view.since))))
  }
  const id = newMarker()
  console.sendLine(`${SHELL_SETUP}; ${probeLine(id)}`)
  await console.waitFor(probeReply(id), { timeout: Math.max(1000, deadline - Date.now()) })
}

/** Answers a `login:` (user name, then password if one is given) or an unasked `Password:` prompt. */
async function answerLogin(console: SerialConsole, options: GuestShellOptions, kind: 'login' | 'password', attempt: number, deadline: number): Promise<void> {
  const login = options.login
  if (!login) {
    throw new BootcheckError(
      `The guest ${console.name} shows a login prompt; pass login: { user, password } in the machine spec.` + console.recentOutput(),
    )
  }
  if (kind === 'password') {
    // A password prompt we did not ask for (input typed as a user name): let it fail.
    console.sendLine(login.password ?? '')
    return
  }
  if (attempt > 3) throw new BootcheckError(`Logging in as '${login.user}' on ${console.name} failed 3 times.` + console.recentOutput())
  console.skipToEnd()
  console.sendLine(login.user)
  if (login.password !== undefined) {
    await console.waitFor(PASSWORD, { timeout: Math.max(1000, deadline - Date.now()) })
    console.sendLine(login.password)
  }
}

/** Whether a probe may be typed now (the console shows no login or password prompt). */
function mayProbe(
  console: SerialConsole,
  options: GuestShellOptions,
  view: BootView,
  eager: boolean,
  kind: 'prompt' | 'other',
  quietFor: number,
  now: number,
  nextProbeAt: number,
  lookFrom: number,
): boolean {
  if (eager) {
    // As bootcheck always did: look for a moment, then probe whatever the console shows.
    return (kind === 'prompt' && quietFor >= SETTLE) || now - lookFrom >= QUIET_LOOK
  }
  if (now < nextProbeAt) return false
  if (view.promptKnown) return true
  if (kind === 'prompt') return quietFor >= SETTLE
  if (view.promptSeenAt > 0) return quietFor >= AFTER_PROMPT_QUIET
  const long = options.silentProbeAfter ?? LONG_QUIET
  return quietFor >= (lastLineIsBootMessage(console) ? long * BOOTING_FACTOR : long)
}


/** Whether the last line with text on it is a kernel or boot message (the guest is still booting). */
function lastLineIsBootMessage(console: SerialConsole): boolean {
  const last = console.lastLines(3).filter(l => l.trim() !== '').at(-1)
  return last !== undefined && BOOT_MESSAGE.test(last)
}


/** Waits for any of the patterns; `null` on timeout. */
function look(console: SerialConsole, patterns: Array<string | RegExp>, timeout: number): Promise<{ index: number } | null> {
  return console.waitFor(patterns, { timeout }).catch(e => {
    if (e instanceof TimeoutError) return null
    throw e
  })
}

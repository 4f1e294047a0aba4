/**
 * The command protocol on the serial console: typing a command (with data fed to it), reading
 * its marked and checksummed result, and fetching a damaged result again.
 * {@link GuestShell} calls {@link transferCommand}.
 * @module
 */
import type { SerialConsole } from '../console/console.js'
import { formatMs } from '../console/console.js'
import { BootcheckError, CommandOutputDamagedError, TimeoutError } from '../errors/errors.js'
import { commandLine, decodeResultBytes, feedLine, feedReady, newMarker, replayLine, resultPatterns } from './protocol.js'

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
const POLL = 100
const REPLAYS = 3
/**
 * A damaged result is fetched again only once the console has been quiet this long: what
 * damaged it (a program flooding the console) has likely stopped, so the copy is clean.
 */
const REPLAY_QUIET = 1000
// Longer lines would hit the guest tty's 4095-character canonical line limit.
const MAX_LINE = 3500

/** The console a command is typed into, and what the shell wants to hear of it. */
export interface CommandLink {
  /** The guest's serial console, its shell ready. */
  console: SerialConsole
  /** Told the marker of each command typed (and of each replay of its result). */
  onCommand?: ((marker: string, command: string) => void) | undefined
  /** Called when a command timed out and was interrupted: the session must be set up again. */
  interrupted: () => void
}

/**
 * Types the command and reads its result; a damaged result (a checksum that does not
 * match, a begin marker lost in noise) is fetched again once the console has been quiet
 * for {@link REPLAY_QUIET}, up to {@link REPLAYS} times, all within `timeout`.
 */
export async function transferCommand(link: CommandLink, command: string, timeout: number, signal: AbortSignal, feed?: Feed): Promise<ByteResult> {
  const console = link.console
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
    console.send('\x03')
    link.interrupted()
    return new TimeoutError(`Command ${JSON.stringify(command)} on ${console.name} ${what} within ${formatMs(timeout)}.` + console.recentOutput())
  }
  console.sendLine(line)
  if (feed) {
    await console.waitFor(feedReady(feedId), { timeout: left(), signal }).catch(e => {
      if (signal.aborted) throw signal.reason
      if (e instanceof TimeoutError) throw timedOut('never became ready to read its input')
      throw e
    })
    console.send(feed.data)
  }
  let nudges = feed ? FEED_NUDGES : 0
  let status = 0
  let reason = ''
  for (let attempt = 0; attempt <= REPLAYS; attempt++) {
    const markerId = attempt === 0 ? id : newMarker()
    link.onCommand?.(markerId, command)
    if (attempt > 0) {
      if (!(await quiet(console, REPLAY_QUIET, deadline, signal))) {
        throw timedOut(`did not finish: its output arrived damaged (${reason}) and the console never went quiet for a clean copy`)
      }
      console.sendLine(replayLine(markerId, status))
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
          first = await console.waitFor([begin, end, empty], { timeout: wait, signal })
          break
        } catch (e) {
          if (!(e instanceof TimeoutError) || nudges === 0 || wait === left()) throw e
          nudges--
          console.send('\n')
        }
      }
      nudges = 0
      if (first.index === 2) return { status: Number(first.groups![1]), output: Buffer.alloc(0), stderr: '' }
      if (first.index === 1) {
        status = Number(first.groups![1])
        reason = 'its begin marker was lost'
        continue
      }
      const m = await console.waitFor(end, { timeout: left(), signal })
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
    `The output of ${JSON.stringify(command)} on ${console.name} arrived damaged ${REPLAYS + 1} times (${reason}): the console is too noisy, or the guest's own tools (base64, md5sum) fail.` +
      console.recentOutput(),
  )
}

/** Waits until the console has printed nothing for `ms`; false if the deadline comes first. */
async function quiet(console: SerialConsole, ms: number, deadline: number, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    if (signal.aborted) throw signal.reason
    const now = Date.now()
    const wait = console.lastOutputAt + ms - now
    if (wait <= 0) return true
    if (now + wait > deadline) return false
    await console.idle(Math.min(wait, POLL))
  }
}

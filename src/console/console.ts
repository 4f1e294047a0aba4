import { createWriteStream, statSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { AnsiStripper } from './ansi.js'
import {
  Transcript,
  compilePatterns,
  describePattern,
  type CompiledPattern,
  type ConsoleMatch,
  type Pattern,
  type TranscriptOptions,
} from './transcript.js'
import { MachineExitedError, TimeoutError } from '../errors/errors.js'
import { quoteLines } from '../util/quote.js'

/** Options of {@link SerialConsole.waitFor}. */
export interface WaitForOptions {
  /** Milliseconds to wait before failing. Default: the console's `defaultTimeout`. */
  timeout?: number
  /** Aborts the wait (rejecting with the signal's reason). */
  signal?: AbortSignal
}

/** Options of {@link SerialConsole}. */
export interface SerialConsoleOptions extends TranscriptOptions {
  /** Name used in messages, e.g. the machine's name. */
  name?: string
  /** Writes bytes to the guest (the pty). */
  write: (data: string) => void
  /** Path of the raw transcript log, written live. */
  logFile?: string
  /** Default timeout of waits in milliseconds. Default 120000. */
  defaultTimeout?: number
  /** How many recent lines errors show. Default 20. */
  errorLines?: number
}

interface Waiter {
  patterns: CompiledPattern[]
  original: Pattern | readonly Pattern[]
  from: number
  resolve: (m: ConsoleMatch) => void
  reject: (e: Error) => void
}

/**
 * A guest's serial console: the output as a transcript with a read cursor, expect-style
 * waits, and input. The raw bytes go to a log file as they arrive; matching sees the text
 * with ANSI sequences and carriage returns removed.
 */
export class SerialConsole {
  /** The machine's name, in messages. */
  readonly name: string
  /** The raw transcript's file (`console.log` in the artifacts folder), when it is written. */
  readonly logFile: string | undefined
  private readonly transcript: Transcript
  private readonly stripper = new AnsiStripper()
  private readonly write: (data: string) => void
  private readonly log: WriteStream | undefined
  private readonly waiters = new Set<Waiter>()
  private readonly listeners = new Set<(text: string) => void>()
  private readonly rawListeners = new Set<(raw: string) => void>()
  private ended: Error | null = null
  private readonly idlers = new Set<(e: Error) => void>()
  /** When output last arrived (`Date.now()`), or when the console was made. */
  lastOutputAt = Date.now()
  private readonly errorLines: number
  /** Milliseconds a wait takes by default (the machine's `timeout`). */
  defaultTimeout: number

  constructor(options: SerialConsoleOptions) {
    this.name = options.name ?? 'machine'
    this.write = options.write
    this.transcript = new Transcript(options)
    this.defaultTimeout = options.defaultTimeout ?? 120_000
    this.errorLines = options.errorLines ?? 20
    this.logFile = options.logFile
    this.log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined
    this.logged = options.logFile ? sizeOf(options.logFile) : 0
  }

  private logged: number

  /**
   * The size the log file has once everything received so far is written (bytes): the
   * offset of the next byte. The step log records it around each step.
   */
  get loggedBytes(): number {
    return this.logged
  }

  /** Feeds output from the guest. Called by the process layer for every chunk. */
  push(raw: string): void {
    this.log?.write(raw)
    if (this.log) this.logged += Buffer.byteLength(raw)
    for (const l of this.rawListeners) l(raw)
    const text = this.stripper.push(raw)
    if (text.length === 0) return
    this.transcript.append(text)
    this.lastOutputAt = Date.now()
    for (const l of this.listeners) l(text)
    for (const w of [...this.waiters]) this.check(w)
  }

  /**
   * Marks the end of output (the machine stopped). Pending and later waits fail with
   * `reason` at once instead of running into their timeout.
   */
  end(reason: Error): void {
    const rest = this.stripper.flush()
    if (rest) this.transcript.append(rest)
    for (const w of [...this.waiters]) this.check(w)
    this.fail(reason)
  }

  /**
   * Fails pending and later waits with `reason` at once (the guest is known to have failed,
   * e.g. a kernel panic was seen). The first reason given sticks.
   */
  fail(reason: Error): void {
    this.ended ??= reason
    for (const w of [...this.waiters]) {
      this.waiters.delete(w)
      w.reject(this.withLines(this.ended))
    }
    for (const i of [...this.idlers]) i(this.withLines(this.ended))
  }

  /**
   * Resolves after `ms` milliseconds, or as soon as output arrives after which `wake`
   * returns true; rejects at once, as a wait would, when the machine stops or the guest is
   * known to have failed. For polling the console's state.
   */
  idle(ms: number, wake?: () => boolean): Promise<void> {
    if (this.ended) return Promise.reject(this.withLines(this.ended))
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        this.idlers.delete(stop)
        this.listeners.delete(onText)
      }
      const stop = (e: Error): void => {
        done()
        reject(e)
      }
      const onText = (): void => {
        if (!wake!()) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        resolve()
      }, ms)
      this.idlers.add(stop)
      if (wake) this.listeners.add(onText)
    })
  }

  /** Characters of cleaned output received so far (an offset for {@link currentLine}). */
  get outputLength(): number {
    return this.transcript.end
  }

  /** Characters of output held in memory (the transcript's `retainedChars`); the rest is only in the log file. */
  get retainedChars(): number {
    return this.transcript.retainedChars
  }

  /**
   * The line the console is on: the cleaned text after the last newline, empty right after
   * one. With `since` (an {@link outputLength} taken earlier), only what arrived after it.
   */
  currentLine(since = 0): string {
    return this.transcript.currentLine(since)
  }

  /** Closes the log file. */
  async close(): Promise<void> {
    if (!this.log) return
    await new Promise<void>(resolve => this.log!.end(resolve))
  }

  /**
   * Waits until the console shows `pattern` (or any of several patterns) after the read
   * cursor, then moves the cursor past the match. Fails after `timeout` with the last
   * console lines, or at once when the machine stops.
   */
  waitFor(pattern: Pattern | readonly Pattern[], options: WaitForOptions = {}): Promise<ConsoleMatch> {
    let patterns: CompiledPattern[]
    try {
      patterns = compilePatterns(pattern)
    } catch (e) {
      return Promise.reject(e)
    }
    const timeout = options.timeout ?? this.defaultTimeout
    return new Promise<ConsoleMatch>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const onAbort = (): void => finish(undefined, options.signal?.reason ?? new Error('aborted'))
      const finish = (m?: ConsoleMatch, e?: Error): void => {
        this.waiters.delete(waiter)
        if (timer) clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        if (m) resolve(m)
        else reject(e)
      }
      const waiter: Waiter = {
        patterns,
        original: pattern,
        from: this.transcript.position,
        resolve: m => finish(m),
        reject: e => finish(undefined, e),
      }
      this.waiters.add(waiter)
      if (this.check(waiter)) return
      if (this.ended) return finish(undefined, this.withLines(this.ended))
      if (options.signal?.aborted) return onAbort()
      options.signal?.addEventListener('abort', onAbort, { once: true })
      timer = setTimeout(() => {
        finish(
          undefined,
          new TimeoutError(
            `Timed out after ${formatMs(timeout)} waiting for ${describePattern(pattern)} on the serial console of ${this.name}.` +
              this.recentOutput(),
          ),
        )
      }, timeout)
    })
  }

  /** Sends text to the guest as it is. */
  send(text: string): void {
    this.write(text)
  }

  /** Sends a line followed by a carriage return, as pressing Enter on a terminal does. */
  sendLine(line: string): void {
    this.write(line + '\r')
  }

  /** The last `n` lines of output, cleaned. */
  lastLines(n = this.errorLines): string[] {
    return this.transcript.lastLines(n)
  }

  /** Output after the read cursor that no wait has consumed yet. */
  unread(): string {
    return this.transcript.unread()
  }

  /** Counts everything received so far as read. */
  skipToEnd(): void {
    this.transcript.skipToEnd()
  }

  /** Calls `listener` with each chunk of cleaned output; returns a function that removes it. */
  onText(listener: (text: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Calls `listener` with each chunk of output exactly as the guest sent it (escape
   * sequences and carriage returns kept), e.g. to mirror the console on a terminal.
   * Returns a function that removes it.
   */
  onData(listener: (raw: string) => void): () => void {
    this.rawListeners.add(listener)
    return () => this.rawListeners.delete(listener)
  }

  private check(w: Waiter): boolean {
    const { match, next } = this.transcript.search(w.patterns, w.from)
    if (match) {
      // The transcript's cursor moved past the match, so other waiters cannot see it again.
      w.resolve(match)
      return true
    }
    w.from = next
    return false
  }

  /**
   * The last console lines and where the full transcript is, formatted to end an error
   * message (it starts with a newline).
   */
  recentOutput(): string {
    const lines = this.lastLines()
    const where = this.logFile ? `\nFull transcript: ${this.logFile}\nArtifacts: ${dirname(this.logFile)}` : ''
    if (lines.length === 0) return `\nThe console printed nothing.${where}`
    return `\nLast console lines:\n${quoteLines(lines)}${where}`
  }

  private withLines(e: Error): Error {
    if (!(e instanceof MachineExitedError)) return e
    return new MachineExitedError(e.message + this.recentOutput(), { cause: e.cause })
  }
}

/** Formats milliseconds as seconds for messages. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** What a wait looks for: a literal string or a regular expression. */
import { SpecError } from '../errors/errors.js'
import { RecentText } from './recent.js'
import { cannotMatchNewline } from './single-line.js'
export type Pattern = string | RegExp

/** A successful match on the console. */
export interface ConsoleMatch {
  /** Which of the patterns matched (0 when a single pattern was given). */
  readonly index: number
  /** The pattern that matched. */
  readonly pattern: Pattern
  /** The matched text. */
  readonly text: string
  /** For a RegExp, the full `exec` result with capture groups; `null` for strings. */
  readonly groups: RegExpExecArray | null
  /** The console text between the previous read cursor and the match. */
  readonly before: string
}

/** Options of {@link Transcript}. */
export interface TranscriptOptions {
  /**
   * How far back, in characters, a regular expression is re-examined when new text arrives.
   * A match longer than this that straddles old and new text may be missed; matches of any
   * length inside text that was already there when the wait began are always found.
   * Keeps matching linear in the length of the output. Default 8192.
   */
  lookbehind?: number
  /**
   * Unconsumed text kept, in characters: older unread text is dropped (it stays in the log
   * file). Default 16 MiB.
   */
  maxBuffered?: number
  /** Characters of recent text kept for error messages. Default 16384. */
  tailSize?: number
}

/**
 * The cleaned console text with a read cursor. A successful search consumes everything up to
 * the end of its match, so the next search sees only newer output (expect-style).
 *
 * Cost: each search scans the unconsumed text once, then only each new chunk plus a bounded
 * look-behind, so a boot that prints 100 MB is matched in time linear in its length.
 */
export class Transcript {
  // The text from the read cursor on (and a little before it), as chunks: searching a window
  // joined from the last chunks never flattens the whole buffer.
  private chunks: string[] = []
  private starts: number[] = [] // absolute offset of each chunk
  private total = 0 // absolute offset of the end
  private cursor = 0
  /** Absolute offset of the start of the last line (after the last newline). */
  private lineStart = 0
  private readonly tail: RecentText
  private readonly lookbehind: number
  private readonly maxBuffered: number
  private readonly tailSize: number
  private dropped = 0

  constructor(options: TranscriptOptions = {}) {
    this.lookbehind = options.lookbehind ?? 8192
    this.maxBuffered = options.maxBuffered ?? 16 * 1024 * 1024
    this.tailSize = options.tailSize ?? 16384
    this.tail = new RecentText(this.tailSize)
  }

  /** Absolute offset of the end of the text received so far. */
  get end(): number {
    return this.total
  }

  /** Absolute offset of the read cursor. */
  get position(): number {
    return this.cursor
  }

  /** Characters that were dropped unread because the buffer limit was reached. */
  get droppedChars(): number {
    return this.dropped
  }

  /**
   * Characters held in memory: the chunks kept for matching (unread text, at most
   * `maxBuffered`, plus the chunk the cursor is in) and the tail kept for messages. Older
   * text lives only in the console's log file.
   */
  get retainedChars(): number {
    let n = this.tail.held
    for (const c of this.chunks) n += c.length
    return n
  }

  /** Appends cleaned text. */
  append(text: string): void {
    if (text.length === 0) return
    const last = this.chunks.length - 1
    if (last >= 0 && this.chunks[last]!.length < COALESCE) this.chunks[last] += text
    else {
      this.chunks.push(text)
      this.starts.push(this.total)
    }
    const nl = text.lastIndexOf('\n')
    if (nl !== -1) this.lineStart = this.total + nl + 1
    this.total += text.length
    this.tail.append(text)
    if (this.total - this.cursor > this.maxBuffered) {
      const keepFrom = this.total - this.maxBuffered
      this.dropped += keepFrom - this.cursor
      this.cursor = keepFrom
    }
    this.prune()
  }

  /**
   * Searches for the earliest match of any pattern that starts at or after `from` (an
   * absolute offset, at least the cursor). Returns the match, or `null` and the offset the
   * next search may start from.
   */
  search(patterns: readonly CompiledPattern[], from: number): { match: ConsoleMatch | null; next: number } {
    const start = Math.max(from, this.cursor)
    const window = this.text(start, this.total)
    let best: { at: number; len: number; index: number; groups: RegExpExecArray | null } | null = null
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!
      let at: number
      let len: number
      let groups: RegExpExecArray | null = null
      if (typeof p === 'string') {
        at = window.indexOf(p)
        len = p.length
      } else {
        p.lastIndex = 0
        groups = p.exec(window)
        at = groups ? groups.index : -1
        len = groups ? groups[0].length : 0
      }
      if (at !== -1 && (best === null || at < best.at)) best = { at, len, index: i, groups }
    }
    if (best === null) return { match: null, next: this.resumeOffset(patterns) }
    const absEnd = start + best.at + best.len
    const before = this.text(this.cursor, start) + window.slice(0, best.at)
    const text = window.slice(best.at, best.at + best.len)
    this.cursor = absEnd
    this.prune()
    return { match: { index: best.index, pattern: patterns[best.index]!, text, groups: best.groups, before }, next: absEnd }
  }

  /** Unconsumed text (from the cursor to the end). */
  unread(): string {
    return this.text(this.cursor, this.total)
  }

  /** The last `n` lines received (consumed or not), for error messages. */
  lastLines(n: number): string[] {
    const lines = this.tail.text().split('\n')
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
    return lines.slice(-n)
  }

  /**
   * The last line received so far, without its end: what follows the last newline (empty
   * right after one), consumed or not. With `since` (an absolute offset), only the part
   * that arrived at or after it.
   */
  currentLine(since = 0): string {
    const line = this.tail.currentLine()
    const start = this.total - line.length
    return since > start ? line.slice(Math.min(line.length, since - start)) : line
  }

  /** Moves the cursor to the end: everything received so far counts as read. */
  skipToEnd(): void {
    this.cursor = this.total
    this.prune()
  }

  /** The text between two absolute offsets (both at or after the oldest chunk kept). */
  private text(from: number, to: number): string {
    if (from >= to) return ''
    let i = this.chunks.length - 1
    while (i > 0 && this.starts[i]! > from) i--
    let out = ''
    for (let j = i; j < this.chunks.length && this.starts[j]! < to; j++) {
      const s = this.starts[j]!
      const c = this.chunks[j]!
      out += from <= s && to >= s + c.length ? c : c.slice(Math.max(0, from - s), Math.min(c.length, to - s))
    }
    return out
  }

  /** Drops chunks that end before the cursor. */
  private prune(): void {
    let n = 0
    while (n < this.chunks.length - 1 && this.starts[n + 1]! <= this.cursor) n++
    if (n > 64 || (n > 0 && n * 2 > this.chunks.length)) {
      this.chunks.splice(0, n)
      this.starts.splice(0, n)
    }
  }

  private resumeOffset(patterns: readonly CompiledPattern[]): number {
    let back = 0
    for (const p of patterns) {
      // A pattern that cannot match a newline can only straddle into new text from the last line.
      const reach = typeof p === 'string' ? p.length - 1 : SINGLE_LINE.has(p) ? this.total - this.lineStart : this.lookbehind
      back = Math.max(back, Math.min(reach, this.lookbehind))
    }
    return Math.max(this.cursor, this.total - back)
  }
}

/** Compiled patterns that {@link cannotMatchNewline}. */
const SINGLE_LINE = new WeakSet<RegExp>()

// Chunks shorter than this are extended rather than stored separately.
const COALESCE = 4096

/** A pattern ready for {@link Transcript.search}: strings as they are, RegExps with the `g` flag. */
export type CompiledPattern = string | RegExp

/** Prepares user patterns for searching; a RegExp is copied with `g` set so `lastIndex` works. */
export function compilePatterns(patterns: Pattern | readonly Pattern[]): CompiledPattern[] {
  const list = Array.isArray(patterns) ? patterns : [patterns as Pattern]
  if (list.length === 0) throw new SpecError('waitFor needs at least one pattern')
  return list.map(p => {
    if (typeof p === 'string') {
      if (p.length === 0) throw new SpecError('waitFor: an empty string would match at once')
      return p
    }
    if (!(p instanceof RegExp)) throw new SpecError(`waitFor: expected a string or RegExp, got ${typeof p}`)
    const compiled = new RegExp(p.source, p.flags.replace(/[gy]/g, '') + 'g')
    if (cannotMatchNewline(compiled)) SINGLE_LINE.add(compiled)
    return compiled
  })
}

/** Formats a pattern for messages: regexes as `/src/flags`, strings quoted. */
export function describePattern(p: Pattern | readonly Pattern[]): string {
  if (Array.isArray(p)) return p.map(x => describePattern(x as Pattern)).join(' or ')
  return typeof p === 'string' ? JSON.stringify(p) : String(p)
}

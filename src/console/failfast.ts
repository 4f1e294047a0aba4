/** A console line that means the boot has failed, with a name for messages. */
export interface FailurePattern {
  /** What it means, e.g. `kernel panic`. */
  name: string
  /** Matched against each complete console line (ANSI sequences and CRs removed). */
  pattern: RegExp
}

/**
 * The failures bootcheck watches for by default: kernel panics and oopses, emergency and
 * rescue shells, and failed stage-1 mounts (NixOS, Debian initramfs-tools, bootcheck's demo
 * media). Extend with `failOn: [...DEFAULT_FAILURE_PATTERNS, …]`, or switch off with
 * `failOn: false`.
 */
export const DEFAULT_FAILURE_PATTERNS: readonly FailurePattern[] = [
  { name: 'kernel panic', pattern: /Kernel panic - not syncing/ },
  { name: 'kernel oops', pattern: /\bBUG: unable to handle|\bOops: [0-9a-fx]+ \[#\d+\]|\bgeneral protection fault\b/ },
  { name: 'emergency shell', pattern: /You are in emergency mode|Entering emergency mode/ },
  { name: 'rescue shell', pattern: /You are in rescue mode/ },
  { name: 'stage-1 failure', pattern: /An error occurred in stage 1 of the boot process|^stage-1: FAILED:/ },
  { name: 'initramfs shell', pattern: /^Gave up waiting for root file system device|ALERT! .* does not exist\. *Dropping to a shell!/ },
]

/** What {@link FailureWatcher} found: the pattern's name and the lines around the match. */
export interface FailureMatch {
  name: string
  line: string
  context: string[]
}

/**
 * Watches console text line by line for failure patterns. Each line is examined once, so
 * the cost is linear in the output; a partial line is kept until its end arrives (at most
 * `maxLine` characters).
 */
export class FailureWatcher {
  private partial = ''
  private readonly recent: string[] = []
  private found: FailureMatch | null = null

  constructor(
    private readonly patterns: readonly FailurePattern[],
    private readonly onFailure: (m: FailureMatch) => void,
    private readonly maxLine = 4096,
  ) {}

  /** Feeds cleaned console text. */
  push(text: string): void {
    if (this.found || this.patterns.length === 0) return
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop()!.slice(-this.maxLine)
    for (const line of lines) {
      this.recent.push(line)
      if (this.recent.length > 10) this.recent.shift()
      const hit = this.patterns.find(p => p.pattern.test(line))
      if (hit) {
        this.found = { name: hit.name, line, context: [...this.recent] }
        this.onFailure(this.found)
        return
      }
    }
  }

  /** The failure seen, if any. */
  get failure(): FailureMatch | null {
    return this.found
  }
}

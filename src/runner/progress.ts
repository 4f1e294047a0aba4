import { relative } from 'node:path'
import type { Change, MachineState } from './server.js'

/** Writes where each running machine is, either as a live block (terminal) or as plain lines (CI). */
export interface Progress {
  /** A machine changed. */
  update(m: MachineState, why: Change): void
  /** Writes test output above the live block (the block is redrawn after it). */
  write(text: string): void
  /** Erases the live block for good. */
  stop(): void
}

/** Picks the live block on a terminal and plain lines elsewhere (`CI` set, piped stderr). */
export function createProgress(opts: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; mode?: 'auto' | 'tty' | 'plain' | 'off' }): Progress {
  const mode = opts.mode ?? 'auto'
  const tty = mode === 'tty' || (mode === 'auto' && opts.stderr.isTTY === true && opts.stdout.isTTY === true && !process.env.CI)
  if (mode === 'off') return { update: () => {}, write: t => void opts.stdout.write(t), stop: () => {} }
  return tty ? new LiveProgress(opts.stdout, opts.stderr) : new PlainProgress(opts.stdout, opts.stderr)
}

const label = (m: MachineState): string => [m.file && relative(process.cwd(), m.file), m.test, m.machine].filter(Boolean).join(' › ')
const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`

/** One line per event, no escape codes: `[bootcheck 12.3s] file › test › vm: booting`. */
class PlainProgress implements Progress {
  private readonly t0 = Date.now()
  private readonly lastStage = new Map<string, string>()

  constructor(
    private readonly stdout: NodeJS.WriteStream,
    private readonly stderr: NodeJS.WriteStream,
  ) {}

  update(m: MachineState, why: Change): void {
    const say = (what: string): void => void this.stderr.write(`[bootcheck ${seconds(Date.now() - this.t0)}] ${label(m)}: ${what}\n`)
    if (why === 'queued') {
      // Only say it waits when it does.
      setTimeout(() => m.state === 'queued' && say(`waiting for ${m.memoryMiB} MiB and ${m.cpus} vCPU within the budget`), 1000).unref()
    } else if (why === 'started') {
      const waited = (m.startedAt ?? 0) - m.queuedAt
      say(`booting (${m.memoryMiB} MiB, ${m.cpus} vCPU${waited >= 1000 ? `, after waiting ${seconds(waited)}` : ''})`)
    } else if (why === 'ended') {
      say(`stopped after ${seconds((m.endedAt ?? Date.now()) - (m.startedAt ?? m.queuedAt))}`)
    } else if (m.stage && this.lastStage.get(m.id) !== m.stage) {
      this.lastStage.set(m.id, m.stage)
      if (m.stage !== 'booting') say(m.stage)
    }
  }

  write(text: string): void {
    this.stdout.write(text)
  }

  stop(): void {}
}

/** A block of lines at the bottom of the terminal, one per machine, redrawn twice a second. */
class LiveProgress implements Progress {
  private readonly live = new Map<string, MachineState>()
  private drawn = 0
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly stdout: NodeJS.WriteStream,
    private readonly stderr: NodeJS.WriteStream,
  ) {
    this.timer = setInterval(() => this.redraw(), 500)
    this.timer.unref()
  }

  update(m: MachineState): void {
    if (m.state === 'ended') this.live.delete(m.id)
    else this.live.set(m.id, m)
  }

  write(text: string): void {
    this.erase()
    this.stdout.write(text)
    this.draw()
  }

  stop(): void {
    clearInterval(this.timer)
    this.erase()
  }

  private redraw(): void {
    this.erase()
    this.draw()
  }

  private erase(): void {
    // Up to the block's first line, then clear to the end of the screen.
    if (this.drawn > 0) this.stderr.write(`\x1b[${this.drawn}F\x1b[J`)
    this.drawn = 0
  }

  private draw(): void {
    const width = Math.max(40, (this.stderr.columns ?? 100) - 1)
    const lines = [...this.live.values()].map(m => {
      const since = m.startedAt ?? m.queuedAt
      const what = m.state === 'queued' ? `waiting for ${m.memoryMiB} MiB` : (m.line ?? m.stage ?? 'booting')
      const text = `● ${label(m)} ${seconds(Date.now() - since)}  ${what}`
      return text.length > width ? text.slice(0, width - 1) + '…' : text
    })
    if (lines.length === 0) return
    this.stderr.write(`\x1b[2m${lines.join('\n')}\x1b[0m\n`)
    this.drawn = lines.length
  }
}

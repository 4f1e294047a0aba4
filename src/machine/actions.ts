/**
 * The step log of a machine: every call of a `Machine` method (`succeed`, `eject`,
 * `expectScreen`, …) becomes one line of `actions.jsonl` in its artifacts folder, with its
 * arguments, start, duration and outcome, nested under the call that made it (a `reboot`
 * holds the shell's wait), and the files it wrote attached (screen diffs). The HTML report
 * shows it as a timeline beside the console.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { appendFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ActionAttachment, ActionCommand, ActionRecord } from '../report/model.js'
import { maskSecrets } from '../errors/secret.js'

export type { ActionAttachment, ActionCommand, ActionRecord }

interface Frame {
  id: number
  attachments: ActionAttachment[]
  commands: ActionCommand[]
}

const MAX_ARG = 300

/** Writes a machine's step log. */
export class ActionLog {
  private next = 1
  private readonly scope = new AsyncLocalStorage<Frame>()
  private readonly t0 = Date.now()

  /**
   * @param file `actions.jsonl` in the artifacts folder; `undefined` keeps no log.
   * @param consoleBytes The console log's size once what the guest printed so far is
   *   written (`SerialConsole.loggedBytes`); without it, the size of `console.log` beside
   *   `file` on disk (which may lag by what is still being written).
   */
  constructor(
    private readonly file: string | undefined,
    private readonly consoleBytes?: () => number,
  ) {}

  /** Where the console log ends now (bytes), or undefined without a log. */
  private consoleAt(): number | undefined {
    if (this.consoleBytes) return this.consoleBytes()
    if (!this.file) return undefined
    try {
      return statSync(join(dirname(this.file), 'console.log')).size
    } catch {
      return undefined
    }
  }

  /** Runs `fn` as one logged action; `describe` turns its result into a short text. */
  async step<T>(action: string, args: Record<string, unknown>, fn: () => Promise<T>, describe?: (result: T) => string | undefined): Promise<T> {
    const parent = this.scope.getStore()
    const frame: Frame = { id: this.next++, attachments: [], commands: [] }
    const started = Date.now()
    const from = this.consoleAt()
    const write = (rest: Pick<ActionRecord, 'outcome'> & Partial<ActionRecord>): void => {
      const record: ActionRecord = {
        id: frame.id,
        ...(parent ? { parent: parent.id } : {}),
        action,
        args: shorten(args),
        start: new Date(started).toISOString(),
        offsetMs: started - this.t0,
        durationMs: Date.now() - started,
        ...rest,
        ...(frame.attachments.length ? { attachments: frame.attachments } : {}),
        ...(frame.commands.length ? { commands: frame.commands } : {}),
        ...consoleRange(from, this.consoleAt()),
      }
      if (this.file) {
        try {
          appendFileSync(this.file, maskSecrets(JSON.stringify(record)) + '\n')
        } catch {
          // the artifacts folder went away (a test removed it): the log is lost, the test is not
        }
      }
    }
    try {
      const result = await this.scope.run(frame, fn)
      const text = describe?.(result)
      write({ outcome: 'ok', ...(text ? { result: text } : {}) })
      return result
    } catch (e) {
      const err = e as Error
      write({ outcome: 'error', error: `${err?.name ?? 'Error'}: ${String(err?.message ?? e).split('\n')[0]}` })
      throw e
    }
  }

  /**
   * Records that the action running now typed a shell command under `marker` (does nothing
   * outside an action): the report finds the command's lines in the transcript by it.
   */
  command(marker: string, command: string): void {
    this.scope.getStore()?.commands.push({ marker, command: command.length > MAX_ARG ? `${command.slice(0, MAX_ARG)}… (${command.length} chars)` : command })
  }

  /** Attaches a file to the action running now (does nothing outside an action). */
  attach(name: string, path: string): void {
    this.scope.getStore()?.attachments.push({ name, path })
  }
}

function consoleRange(from: number | undefined, to: number | undefined): { console?: { from: number; to: number } } {
  return from === undefined || to === undefined ? {} : { console: { from, to: Math.max(from, to) } }
}

function shorten(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined) continue
    out[k] = typeof v === 'string' && v.length > MAX_ARG ? `${v.slice(0, MAX_ARG)}… (${v.length} chars)` : v
  }
  return out
}

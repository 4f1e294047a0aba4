import { openSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import tty from 'node:tty'
import type { QemuExit } from '../qemu/process.js'
import { formatMs, type SerialConsole } from '../console/console.js'
import type { QmpClient } from '../qmp/client.js'
import { within } from '../util/sleep.js'
import { SpecError } from '../errors/errors.js'

/**
 * What an attached terminal needs of a machine: a structural type, so this module does not
 * depend on the machine layer (a bootcheck `Machine` fits it).
 */
export interface AttachableMachine {
  /** The name shown in messages. */
  readonly name: string
  /** The serial console: its last lines, raw output and input. */
  readonly console: Pick<SerialConsole, 'lastLines' | 'onData' | 'send'>
  /** QMP, for the ACPI power button and `quit`. */
  readonly qmp: Pick<QmpClient, 'execute'>
  /** True until QEMU has exited. */
  readonly running: boolean
  /** Resolves when QEMU ends. */
  readonly exited: Promise<QemuExit>
  /** Ends QEMU at once. */
  kill(): Promise<QemuExit>
}

/** Where keystrokes come from: a TTY (put in raw mode while attached) or any readable stream, e.g. a pipe. */
export interface TerminalInput extends NodeJS.ReadableStream {
  /** Whether it is a terminal (raw mode is used only then). */
  isTTY?: boolean
  /** Whether it is in raw mode now (restored when the session ends). */
  isRaw?: boolean
  /** Switches a terminal to raw mode (every key, Ctrl-C included, goes to the guest) and back. */
  setRawMode?(mode: boolean): unknown
}

/** Where the guest's output goes; `columns` and `rows` are used when the terminal has them. */
export interface TerminalOutput extends NodeJS.WritableStream {
  /** Its width in columns, for `stty cols` in the guest (Ctrl-] r). */
  columns?: number
  /** Its height in rows, for `stty rows`. */
  rows?: number
}

/** Options of {@link attachConsole}. */
export interface AttachOptions {
  /** Where keys come from (e.g. `process.stdin`). */
  input: TerminalInput
  /** Where the guest's output goes (e.g. `process.stdout`). */
  output: TerminalOutput
  /** The escape character, one character. Default Ctrl-] (`'\x1d'`), as telnet. */
  escape?: string
  /**
   * What leaving (escape, then `q` or `.`; or the end of piped input) does before
   * `attachConsole` returns. Input is no longer forwarded; the guest's output still is.
   * Default: {@link powerOffGracefully}.
   */
  onEscape?: (machine: AttachableMachine) => unknown
  /** How the banner and help name leaving. Default `'power off'`. */
  leaveLabel?: string
  /** Milliseconds the guest gets to power off after the ACPI button, with the default `onEscape`. Default 15000. */
  graceMs?: number
  /** Show this many earlier console lines (cleaned) before attaching, e.g. after a failed test. Default 0. */
  replay?: number
}

/** One thing to do for typed input; see {@link EscapeParser}. */
export type EscapeAction = { kind: 'send'; data: string } | { kind: 'leave' } | { kind: 'help' } | { kind: 'resize' }

/**
 * Splits typed input into text for the guest and escape commands: after the escape
 * character, `q` or `.` leaves, the escape character again sends it literally, `r` asks to
 * fit the guest's terminal size, and anything else asks for help. Text is passed on unchanged.
 */
export class EscapeParser {
  private pending = false

  constructor(readonly escape = '\x1d') {
    if (escape.length !== 1) throw new SpecError(`escape must be one character, got ${JSON.stringify(escape)}`)
  }

  /** The actions for a chunk of input, in order; consecutive text is merged. */
  feed(chunk: string): EscapeAction[] {
    const out: EscapeAction[] = []
    let text = ''
    const flush = (): void => {
      if (text) out.push({ kind: 'send', data: text })
      text = ''
    }
    for (const ch of chunk) {
      if (!this.pending) {
        if (ch === this.escape) this.pending = true
        else text += ch
        continue
      }
      this.pending = false
      if (ch === this.escape) {
        text += ch
        continue
      }
      flush()
      if (ch === 'q' || ch === 'Q' || ch === '.') {
        out.push({ kind: 'leave' })
        return out // the rest of the chunk is not for the guest
      }
      out.push(ch === 'r' ? { kind: 'resize' } : { kind: 'help' })
    }
    flush()
    return out
  }
}

/** How a key is written for people: `'\x1d'` is `Ctrl-]`. */
export function keyName(key: string): string {
  const code = key.charCodeAt(0)
  if (code < 0x20) return `Ctrl-${String.fromCharCode(code + 0x40)}`
  if (code === 0x7f) return 'Ctrl-?'
  return key
}

/**
 * Attaches a terminal to the machine's serial console until the user leaves or QEMU
 * exits. Keystrokes go to the guest as typed (a TTY is put in raw mode, so Ctrl-C reaches
 * the guest; its mode is restored on every way out, including the process exiting), and
 * the guest's output is written as it comes, escape sequences included. A one-line banner
 * says how to leave: the escape key (default Ctrl-]) then `q`.
 *
 * Resolves `'escaped'` when the user left (after `onEscape`, by default a clean power
 * off, has finished) or piped input ended, and `'exited'` when QEMU exited by itself.
 */
export async function attachConsole(machine: AttachableMachine, options: AttachOptions): Promise<'escaped' | 'exited'> {
  const { input, output } = options
  const parser = new EscapeParser(options.escape)
  const esc = keyName(parser.escape)
  const leaveLabel = options.leaveLabel ?? 'power off'
  const say = (line: string): void => void output.write(`\r\n[bootcheck] ${line}\r\n`)
  const raw = input.isTTY === true && typeof input.setRawMode === 'function'
  const wasRaw = input.isRaw === true
  const restore = (): void => {
    if (raw) input.setRawMode!(wasRaw)
  }
  const cleanups: Array<() => void> = []
  let leave: (why: 'escape' | 'eof') => void = () => {}
  const left = new Promise<'escape' | 'eof'>(resolve => (leave = resolve))
  try {
    if (options.replay) {
      const lines = machine.console.lastLines(options.replay)
      if (lines.length) output.write(`[bootcheck] last console lines of ${machine.name}:\r\n${lines.join('\r\n')}`)
    }
    say(`Serial console of ${machine.name}. ${esc} q: ${leaveLabel}, ${esc} ?: help.`)
    if (raw) {
      input.setRawMode!(true)
      process.on('exit', restore)
      cleanups.push(() => process.off('exit', restore))
    }
    cleanups.push(machine.console.onData(data => void output.write(data)))
    const decoder = new StringDecoder('utf8')
    let leaving = false
    const onInput = (chunk: Buffer | string): void => {
      if (leaving) return
      for (const action of parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk))) {
        if (action.kind === 'send') machine.console.send(action.data)
        else if (action.kind === 'resize') resize(machine, output, say)
        else if (action.kind === 'help') say(help(esc, leaveLabel))
        else {
          leaving = true
          leave('escape')
        }
      }
    }
    const onEnd = (): void => {
      if (leaving) return
      leaving = true
      leave('eof')
    }
    input.on('data', onInput)
    input.on('end', onEnd)
    cleanups.push(() => {
      input.off('data', onInput)
      input.off('end', onEnd)
      input.pause()
    })
    input.resume()
    const first = await Promise.race([left, machine.exited])
    if (typeof first === 'object') {
      say(describeExit(machine.name, first))
      return 'exited'
    }
    if (first === 'eof') say('Input ended.')
    await (options.onEscape ?? (m => powerOffGracefully(m, { log: say, graceMs: options.graceMs ?? 15_000 })))(machine)
    return 'escaped'
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup()
    restore()
  }
}

/**
 * Powers the machine off the way a power button does: ACPI power-down via QMP, then
 * `graceMs` (default 15000) for the guest to shut down, then QMP `quit` and, failing
 * that, SIGKILL. Never types into the guest. Resolves how it ended.
 */
export async function powerOffGracefully(
  machine: AttachableMachine,
  options: { graceMs?: number; log?: (line: string) => void } = {},
): Promise<'powered off' | 'stopped' | 'already off'> {
  const log = options.log ?? (() => {})
  const grace = options.graceMs ?? 15_000
  if (!machine.running) return 'already off'
  log(`Powering off ${machine.name} (ACPI power button)…`)
  await machine.qmp.execute('system_powerdown').catch(() => undefined)
  if (await within(machine.exited, grace)) {
    log(`${machine.name} powered off.`)
    return 'powered off'
  }
  log(`${machine.name} did not power off within ${formatMs(grace)}; stopping QEMU.`)
  await machine.qmp.execute('quit').catch(() => undefined)
  if (!(await within(machine.exited, 3000))) await machine.kill()
  return 'stopped'
}

/**
 * Opens the controlling terminal (`/dev/tty`) as a separate input and output, for a
 * process whose stdin and stdout are taken (a test file under tap). `null` without one.
 */
export function openTerminal(): { input: tty.ReadStream; output: tty.WriteStream; close(): void } | null {
  let inFd: number
  let outFd: number
  try {
    inFd = openSync('/dev/tty', 'r')
    outFd = openSync('/dev/tty', 'w')
  } catch {
    return null
  }
  const input = new tty.ReadStream(inFd)
  const output = new tty.WriteStream(outFd)
  return { input, output, close: () => (input.destroy(), output.destroy()) }
}

function help(esc: string, leaveLabel: string): string {
  return [
    `Escape commands, typed after ${esc}:`,
    `  q or .   ${leaveLabel} and leave`,
    `  ${esc.padEnd(8)} send a literal ${esc} to the guest`,
    `  r        type 'stty rows R cols C' into the guest, to fit its shell to this terminal`,
    `  ?        this help`,
  ].join('\r\n')
}

function resize(machine: AttachableMachine, output: TerminalOutput, say: (line: string) => void): void {
  // A serial line carries no window size, so the guest's shell is told with stty.
  if (!output.columns || !output.rows) return say('This terminal has no size to give the guest.')
  machine.console.send(`stty rows ${output.rows} cols ${output.columns}\r`)
}

function describeExit(name: string, exit: QemuExit): string {
  if (exit.signal) return `QEMU of ${name} ended by signal ${exit.signal}.`
  return exit.code === 0 ? `${name} powered off (QEMU exited).` : `QEMU of ${name} exited with code ${exit.code}.`
}

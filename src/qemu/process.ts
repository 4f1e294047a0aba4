import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import * as pty from 'node-pty'
import { track, untrack } from './registry.js'
import { QemuStartError } from '../errors/errors.js'

/** util-linux `setpriv`, which gives a child the parent-death signal. */
export const SETPRIV = '/usr/bin/setpriv'

/**
 * `file` and `args` wrapped in `setpriv --pdeathsig KILL` when setpriv exists, so the kernel
 * kills the child if Node dies without ending it; unchanged otherwise.
 */
export function diesWithParent(file: string, args: readonly string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', file, ...args]] : [file, [...args]]
}

/** How a QEMU process ended. */
export interface QemuExit {
  /** QEMU's exit status, or `null` when a signal ended it. */
  code: number | null
  /** The number of the signal that ended it (9 for SIGKILL), or `null`. */
  signal: number | null
  /** QEMU's own stderr (warnings and errors), read after it ended. */
  stderr: string
}

/** Linux's USER_HZ: `/proc/PID/stat` counts CPU time in these ticks a second on every architecture. */
const TICKS_PER_SECOND = 100
/** How often a running QEMU's CPU time is read, so a guest that powers off has a figure too. */
const CPU_SAMPLE_MS = 2000

/** The CPU time (user + system, seconds) `/proc/PID/stat` gives for a process, or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** Options of {@link QemuProcess.spawn}. */
export interface SpawnOptions {
  qemu: string
  argv: string[]
  /** Where QEMU's stderr goes; kept apart from the serial console. */
  stderrFile: string
  label: string
  onData: (data: string) => void
}

/**
 * A running QEMU whose stdio is a pty (node-pty), with the guest's serial port on it.
 * QEMU is started through `sh -c 'exec …'` only to send its stderr to a file; `exec` keeps
 * the pid, which is registered so it can be ended by pid. If Node dies without cleaning
 * up, the parent-death signal (util-linux `setpriv`) kills QEMU, and closing the pty
 * sends it SIGHUP as a second line of defence.
 */
export class QemuProcess {
  readonly pid: number
  /** Resolves when QEMU has exited. */
  readonly exited: Promise<QemuExit>
  private exitInfo: QemuExit | null = null
  private readonly term: pty.IPty
  private cpu: number | undefined
  private readonly sampler: NodeJS.Timeout

  private constructor(term: pty.IPty, stderrFile: string) {
    this.term = term
    this.pid = term.pid
    this.sampler = setInterval(() => this.sampleCpu(), CPU_SAMPLE_MS).unref()
    this.exited = new Promise(resolve => {
      term.onExit(async ({ exitCode, signal }) => {
        clearInterval(this.sampler)
        untrack(this.pid)
        const stderr = await readFile(stderrFile, 'utf8').catch(() => '')
        this.exitInfo = { code: signal ? null : exitCode, signal: signal || null, stderr }
        resolve(this.exitInfo)
      })
    })
  }

  /** Starts QEMU. Fails with a clear error when the binary does not exist. */
  static spawn(options: SpawnOptions): QemuProcess {
    // setpriv --pdeathsig makes the kernel kill QEMU if Node dies without cleaning up.
    const script = existsSync(SETPRIV)
      ? `exec ${SETPRIV} --pdeathsig KILL "$0" "$@" 2>>"$BOOTCHECK_QEMU_STDERR"`
      : 'exec "$0" "$@" 2>>"$BOOTCHECK_QEMU_STDERR"'
    let term: pty.IPty
    try {
      term = pty.spawn('/bin/sh', ['-c', script, options.qemu, ...options.argv], {
        name: 'dumb',
        cols: 250,
        rows: 50,
        env: { ...process.env, BOOTCHECK_QEMU_STDERR: options.stderrFile } as Record<string, string>,
        encoding: 'utf8',
      })
    } catch (e) {
      throw new QemuStartError(`Could not start ${options.qemu}: ${(e as Error).message}`, { cause: e })
    }
    track(term.pid, options.label)
    const proc = new QemuProcess(term, options.stderrFile)
    term.onData(options.onData)
    return proc
  }

  /**
   * The CPU time QEMU has used (seconds, user + system), as last read: read again on each
   * call while it runs, and every 2 s, so after the exit it is the figure of at most 2 s
   * before (of the moment it was asked to stop, when it was stopped by bootcheck).
   */
  sampleCpu(): number | undefined {
    if (this.alive) this.cpu = processCpuSeconds(this.pid) ?? this.cpu
    return this.cpu
  }

  /** True until QEMU has exited. */
  get alive(): boolean {
    return this.exitInfo === null
  }

  /** Writes to QEMU's stdio, i.e. to the guest's serial port. */
  write(data: string): void {
    if (this.alive) this.term.write(data)
  }

  /** Sends a signal by pid (default SIGKILL) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<QemuExit> {
    if (this.alive) {
      this.sampleCpu()
      try {
        process.kill(this.pid, signal)
      } catch {
        // exited meanwhile
      }
    }
    return this.exited
  }
}

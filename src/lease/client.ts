import { connect, type Socket } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { RunnerError } from '../errors/errors.js'
import { killAll } from '../qemu/registry.js'
import { frame, lineReader, RUNNER_ENV, type ClientMessage, type ServerMessage } from './protocol.js'

/** A machine's place in the run's budget; {@link Lease.release} gives it back. */
export interface Lease {
  /** Reports what the machine does now (shown in progress lines); cheap to call often. */
  status(update: { stage?: string; line?: string }): void
  /** Gives the memory back. Safe to call twice. */
  release(): void
}

const NO_LEASE: Lease = { status: () => {}, release: () => {} }

let link: Promise<RunnerLink> | undefined

/**
 * Waits for the runner to admit a machine, when the process runs under `bootcheck run`
 * (which sets `BOOTCHECK_RUNNER`); otherwise (plain `tap`, `node`) admits it at once.
 * When the runner cannot be reached (it was killed), throws a {@link RunnerError} at once:
 * a machine with nobody to report to is never started.
 */
export async function acquireLease(need: { machine: string; test: string; memoryMiB: number; cpus: number }, signal?: AbortSignal): Promise<Lease> {
  const path = process.env[RUNNER_ENV]
  if (!path) return NO_LEASE
  link ??= RunnerLink.open(path)
  return (await link).lease(need, signal)
}

class RunnerLink {
  private readonly waiting = new Map<string, () => void>()
  private active = 0
  private next = 1

  private constructor(private readonly socket: Socket) {
    socket.on('data', lineReader<ServerMessage>(m => this.waiting.get(m.id)?.()))
    socket.on('error', () => {})
    socket.on('close', () => {
      // The runner closes its end only after every test process ended, so a close seen
      // here means it died (even by SIGKILL): end this process's machines, then the process.
      process.stderr.write('bootcheck: the runner went away; stopping this test process and its machines\n')
      killAll()
      process.exit(129)
    })
    socket.unref()
  }

  static open(path: string): Promise<RunnerLink> {
    return new Promise((resolve, reject) => {
      const socket = connect(path)
      socket.once('connect', () => {
        socket.write(frame({ t: 'hello', client: String(process.pid), file: resolvePath(process.argv[1] ?? '') }))
        resolve(new RunnerLink(socket))
      })
      socket.once('error', e => {
        reject(
          new RunnerError(
            `This test process runs under bootcheck run (${RUNNER_ENV}=${path}) but cannot reach the runner (${e.message}): ` +
              'it was probably killed. No machine is started without it; run the tests again.',
            { cause: e },
          ),
        )
      })
    })
  }

  async lease(need: { machine: string; test: string; memoryMiB: number; cpus: number }, signal?: AbortSignal): Promise<Lease> {
    const id = `m${this.next++}`
    this.hold()
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.waiting.delete(id)
          this.send({ t: 'release', id })
          reject(signal?.reason ?? new Error('aborted'))
        }
        this.waiting.set(id, () => {
          this.waiting.delete(id)
          signal?.removeEventListener('abort', onAbort)
          resolve()
        })
        signal?.addEventListener('abort', onAbort, { once: true })
        this.send({ t: 'lease', id, ...need })
      })
    } catch (e) {
      this.unhold()
      throw e
    }
    let released = false
    let lastSent = 0
    let pendingLine: string | undefined
    let timer: NodeJS.Timeout | undefined
    const flush = (): void => {
      timer = undefined
      if (released || pendingLine === undefined) return
      lastSent = Date.now()
      this.send({ t: 'status', id, line: pendingLine })
      pendingLine = undefined
    }
    return {
      status: update => {
        if (released) return
        if (update.stage !== undefined) this.send({ t: 'status', id, stage: update.stage })
        if (update.line === undefined) return
        pendingLine = update.line
        // Console lines come fast; send at most a few a second.
        if (!timer) timer = setTimeout(flush, Math.max(0, 300 - (Date.now() - lastSent))).unref()
      },
      release: () => {
        if (released) return
        released = true
        if (timer) clearTimeout(timer)
        this.send({ t: 'release', id })
        this.unhold()
      },
    }
  }

  private send(m: ClientMessage): void {
    if (!this.socket.destroyed) this.socket.write(frame(m))
  }

  // The socket keeps the process alive only while a machine waits or runs.
  private hold(): void {
    if (this.active++ === 0) this.socket.ref()
  }

  private unhold(): void {
    if (--this.active === 0) this.socket.unref()
  }
}

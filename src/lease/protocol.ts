/**
 * The runner's channel: `bootcheck run` listens on a Unix socket (path in
 * `BOOTCHECK_RUNNER`) and each test process talks to it in newline-delimited JSON, to wait
 * for its share of the memory budget before QEMU starts and to report what its machines do.
 */
import { any, int, object, optional, str, type Shape } from '../util/shape.js'

/** The environment variable naming the runner's socket. */
export const RUNNER_ENV = 'BOOTCHECK_RUNNER'

/** Test process → runner. */
export type ClientMessage =
  | { t: 'hello'; client: string; file: string }
  | { t: 'lease'; id: string; machine: string; test: string; memoryMiB: number; cpus: number }
  | { t: 'release'; id: string }
  | { t: 'status'; id: string; stage?: string; line?: string }

/** Runner → test process. */
export type ServerMessage = { t: 'granted'; id: string }

/** The longest line read; a longer one (a client that never ends its line) is dropped. */
export const MAX_LINE = 1024 * 1024

const id = str(256)
const CLIENT_MESSAGE: Record<ClientMessage['t'], Shape> = {
  hello: object({ t: any, client: str(256), file: str(4096) }, true),
  lease: object({ t: any, id, machine: str(256), test: str(4096), memoryMiB: int(0, 2 ** 40), cpus: int(0, 1 << 20) }, true),
  release: object({ t: any, id }, true),
  status: object({ t: any, id, stage: optional(str(4096)), line: optional(str(65_536)) }, true),
}

/** The message when `m` is a well-formed {@link ClientMessage}, else undefined (the runner drops it). */
export function checkClientMessage(m: unknown): ClientMessage | undefined {
  const t = (m as { t?: unknown } | null)?.t
  if (typeof t !== 'string' || !Object.hasOwn(CLIENT_MESSAGE, t)) return undefined
  return CLIENT_MESSAGE[t as ClientMessage['t']](m, 'message') === undefined ? (m as ClientMessage) : undefined
}

/** Splits a byte stream into JSON messages; bad lines are passed to `onBad`. */
export function lineReader<T>(onMessage: (m: T) => void, onBad: (line: string) => void = () => {}): (chunk: Buffer | string) => void {
  let pending = ''
  return chunk => {
    pending += chunk.toString()
    if (pending.length > MAX_LINE && !pending.slice(-MAX_LINE - 1).includes('\n')) {
      onBad(pending.slice(0, 200))
      pending = ''
      return
    }
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim()
      pending = pending.slice(nl + 1)
      if (!line) continue
      let m: T
      try {
        m = JSON.parse(line) as T
      } catch {
        onBad(line)
        continue
      }
      onMessage(m)
    }
  }
}

/** One message as a line. */
export function frame(m: ClientMessage | ServerMessage): string {
  return JSON.stringify(m) + '\n'
}

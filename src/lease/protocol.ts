/**
 * The runner's channel: `bootcheck run` listens on a Unix socket (path in
 * `BOOTCHECK_RUNNER`) and each test process talks to it in newline-delimited JSON, to wait
 * for its share of the memory budget before QEMU starts and to report what its machines do.
 */

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

/** Splits a byte stream into JSON messages; bad lines are passed to `onBad`. */
export function lineReader<T>(onMessage: (m: T) => void, onBad: (line: string) => void = () => {}): (chunk: Buffer | string) => void {
  let pending = ''
  return chunk => {
    pending += chunk.toString()
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

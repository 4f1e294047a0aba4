/**
 * Connecting to a Unix socket a process is about to create: QEMU's QMP and VNC sockets
 * appear a moment after QEMU starts (seconds on a loaded host), so a refused or missing
 * socket is tried again until a deadline, or until the caller no longer wants it.
 * @module
 */
import { createConnection, type Socket } from 'node:net'
import { sleep } from './sleep.js'

/** The errors of a socket that is not listening yet. */
const NOT_YET = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN'])

/** Why {@link connectWhenListening} gave up, with the last error seen. */
export class UnixConnectError extends Error {
  constructor(
    readonly reason: 'unwanted' | 'timeout' | 'failed',
    readonly lastError: NodeJS.ErrnoException,
  ) {
    super(lastError.message)
    this.name = 'UnixConnectError'
  }
}

/** How {@link connectWhenListening} tries. */
export interface UnixConnectOptions {
  /** When to stop trying (ms since the epoch). */
  deadline: number
  /** Checked after each failed try; false stops at once (the process exited, the page went). */
  wanted?: () => boolean
  /** The pause after the n-th failed try (from 0), in ms. Default: 20, 40, 80, then 160 ms. */
  pause?: (attempt: number) => number
}

/**
 * Opens the Unix socket at `path`, trying again while it does not exist yet or refuses.
 * Rejects with a {@link UnixConnectError}: `failed` for any other error (at once),
 * `timeout` at the deadline, `unwanted` when `wanted()` turns false.
 */
export async function connectWhenListening(path: string, options: UnixConnectOptions): Promise<Socket> {
  const pause = options.pause ?? (attempt => 20 * 2 ** Math.min(attempt, 3))
  let lastError: NodeJS.ErrnoException
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOnce(path)
    } catch (e) {
      lastError = e as NodeJS.ErrnoException
      if (!NOT_YET.has(lastError.code ?? '')) throw new UnixConnectError('failed', lastError)
    }
    if (options.wanted && !options.wanted()) throw new UnixConnectError('unwanted', lastError)
    const left = options.deadline - Date.now()
    if (left <= 0) throw new UnixConnectError('timeout', lastError)
    await sleep(Math.min(left, pause(attempt)))
  }
}

/** One try; the socket's later errors are its owner's to handle. */
function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.removeListener('error', reject)
      resolve(socket)
    })
    socket.once('error', e => {
      socket.destroy()
      reject(e)
    })
  })
}

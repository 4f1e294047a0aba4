/**
 * The live view's two streams per machine: its screen (the browser's WebSocket joined to
 * QEMU's VNC Unix socket, the client's half through the read-only filter) and its serial
 * console (the console log sent from its last 256 KiB, then followed as it grows).
 * @module
 */
import { open, stat } from 'node:fs/promises'
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import type { LiveMachine } from './machines.js'
import { RfbClientFilter } from './rfb-filter.js'
import { connectWhenListening, UnixConnectError } from '../../util/unix-connect.js'

/** How often the console log is looked at for new bytes (ms). */
const FOLLOW_MS = 100
/** How long a screen connection waits for QEMU's VNC socket (ms), and how often it tries. */
const VNC_WAIT_MS = 30_000
const RETRY_MS = 100
/** How much of the console a new viewer gets first. */
const CONSOLE_BACKLOG = 256 * 1024

/**
 * Joins `ws` to the machine's VNC socket; input passes only while `locked()` is false, and
 * each input message passed is also given to `onInput` (the recorder's). When `ready`
 * returns a promise (the recorder letting a paused guest run: QEMU drops input while it is
 * paused), what follows waits for it, in order.
 */
export function bridgeVnc(ws: WebSocket, m: LiveMachine, locked: () => boolean, onInput?: (message: Buffer) => void, ready?: () => Promise<void> | undefined): void {
  const filter = new RfbClientFilter(locked, onInput)
  let vnc: Socket | undefined
  let closed = false
  const end = (): void => {
    closed = true
    vnc?.destroy()
    ws.close()
  }
  // What the page sends goes out in order, once the socket is there (RFB's server speaks first).
  let held: Promise<void> = connectVnc(m.vnc, () => closed).then(
    s => {
      vnc = s
      s.on('data', d => ws.send(d))
      s.on('error', end)
      s.on('close', end)
      if (closed) s.destroy()
    },
    end,
  )
  ws.on('message', data => {
    try {
      const pass = filter.push(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer))
      const wait = ready?.()
      if (wait) held = held.then(() => wait).catch(() => undefined)
      if (pass.length) held = held.then(() => void vnc?.write(pass))
    } catch (e) {
      process.stderr.write(`bootcheck: live view of ${m.machine}: ${(e as Error).message}; its screen connection was closed\n`)
      end() // a message the filter does not know: nothing unparsed reaches QEMU
    }
  })
  ws.on('close', end)
  ws.on('error', end)
}

/**
 * Connects to QEMU's VNC socket at `path`, trying again every 100 ms while it is not there or
 * refuses: the live view finds a machine when its facts are written, a moment before its
 * QEMU listens (seconds on a loaded host), and a page that asked then must not be left with
 * a dead screen. Gives up with the last error when `gaveUp()` (the page went) or after `waitMs`.
 */
export async function connectVnc(path: string, gaveUp: () => boolean, waitMs = VNC_WAIT_MS): Promise<Socket> {
  try {
    return await connectWhenListening(path, { deadline: Date.now() + waitMs, wanted: () => !gaveUp(), pause: () => RETRY_MS })
  } catch (e) {
    throw e instanceof UnixConnectError ? e.lastError : e
  }
}

/** Sends the machine's console log to `ws`: its end, then what is added, until either side closes. */
export function bridgeConsole(ws: WebSocket, m: LiveMachine): void {
  let at = -1
  let busy = false
  const tick = async (): Promise<void> => {
    if (busy) return
    busy = true
    try {
      const size = (await stat(m.console)).size
      if (at < 0) at = Math.max(0, size - CONSOLE_BACKLOG)
      if (size > at) {
        const fd = await open(m.console, 'r')
        try {
          const buf = Buffer.alloc(Math.min(size - at, 1 << 20))
          const { bytesRead } = await fd.read(buf, 0, buf.length, at)
          at += bytesRead
          ws.send(buf.subarray(0, bytesRead))
        } finally {
          await fd.close()
        }
      }
    } catch {
      // not written yet, or gone: tried again
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void tick(), FOLLOW_MS)
  void tick()
  ws.on('close', () => clearInterval(timer))
  ws.on('error', () => clearInterval(timer))
}

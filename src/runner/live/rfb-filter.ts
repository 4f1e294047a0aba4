/**
 * Read-only VNC, enforced by the live view's server: the client's half of an RFB 3.8
 * stream (noVNC → QEMU) is parsed message by message, and while input is locked the
 * messages that act on the guest (keys, pointer, clipboard, desktop size, QEMU's extended
 * keys) are dropped; the rest (pixel format, encodings, update requests) pass. A message
 * the filter does not know ends the connection: nothing unparsed reaches QEMU. Pure.
 * @module
 */

/** Why the filter refused the stream. */
export class RfbFilterError extends Error {
  override name = 'RfbFilterError'
}

type Phase = 'version' | 'security' | 'init' | 'messages'

/** A message type's length once `head` (its first bytes) is known; undefined: need more bytes. */
function messageLength(b: Buffer): { length: number; input: boolean } | undefined {
  const type = b[0]!
  const need = (n: number): boolean => b.length >= n
  switch (type) {
    case 0: return { length: 20, input: false } // SetPixelFormat
    case 2: return need(4) ? { length: 4 + 4 * b.readUInt16BE(2), input: false } : undefined // SetEncodings
    case 3: return { length: 10, input: false } // FramebufferUpdateRequest
    case 4: return { length: 8, input: true } // KeyEvent
    case 5: return { length: 6, input: true } // PointerEvent
    // ClientCutText; a negative length is the extended clipboard's (its absolute value)
    case 6: return need(8) ? { length: 8 + Math.abs(b.readInt32BE(4)), input: true } : undefined
    case 150: return { length: 10, input: false } // EnableContinuousUpdates
    case 248: return need(9) ? { length: 9 + b[8]!, input: false } : undefined // ClientFence
    case 251: return need(8) ? { length: 8 + 16 * b[6]!, input: true } : undefined // SetDesktopSize
    case 255: // QEMU: 0 extended key event; 1 audio (2: set format, 10 bytes; else 4)
      if (!need(2)) return undefined
      if (b[1] === 0) return { length: 12, input: true }
      if (b[1] === 1) return need(4) ? { length: b.readUInt16BE(2) === 2 ? 10 : 4, input: false } : undefined
      throw new RfbFilterError(`unknown QEMU client message ${b[1]}`)
    default:
      throw new RfbFilterError(`unknown client message type ${type}`)
  }
}

/** Filters one client → server RFB stream; `locked()` is asked for every input message. */
export class RfbClientFilter {
  private phase: Phase = 'version'
  private pending = Buffer.alloc(0)
  /** Input messages dropped so far (for tests and the page). */
  dropped = 0

  /**
   * @param locked asked for every input message: true drops it.
   * @param onInput told of every input message passed on, whole (the recorder listens here).
   */
  constructor(
    private readonly locked: () => boolean,
    private readonly onInput?: (message: Buffer) => void,
  ) {}

  /** The bytes of `chunk` (with what was held back) to pass on now. Throws {@link RfbFilterError}. */
  push(chunk: Buffer): Buffer {
    this.pending = Buffer.concat([this.pending, chunk])
    const out: Buffer[] = []
    for (;;) {
      const n = this.next()
      if (n === undefined) break
      const message = this.pending.subarray(0, n.length)
      this.pending = this.pending.subarray(n.length)
      if (n.input && this.locked()) this.dropped++
      else {
        out.push(message)
        if (n.input) this.onInput?.(Buffer.from(message))
      }
    }
    if (this.pending.length > 1 << 20) throw new RfbFilterError('a client message over 1 MiB')
    return Buffer.concat(out)
  }

  private next(): { length: number; input: boolean } | undefined {
    const b = this.pending
    if (b.length === 0) return undefined
    if (this.phase === 'version') {
      if (b.length < 12) return undefined
      if (!/^RFB 003\.00[378]\n$/.test(b.subarray(0, 12).toString('latin1'))) throw new RfbFilterError('not an RFB client')
      this.phase = 'security'
      return { length: 12, input: false }
    }
    if (this.phase === 'security') {
      if (b[0] !== 1) throw new RfbFilterError(`security type ${b[0]} (only None is served)`)
      this.phase = 'init'
      return { length: 1, input: false }
    }
    if (this.phase === 'init') {
      this.phase = 'messages'
      return { length: 1, input: false }
    }
    const m = messageLength(b)
    return m && b.length >= m.length ? m : undefined
  }
}

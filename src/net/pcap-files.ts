/**
 * Pcap files merged by time without holding them in memory: each input is read a chunk at
 * a time, the earliest frame of all inputs goes out next, and the output is written in
 * chunks. A network's capture after a long test (an ISO fetched over HTTP, a package
 * mirror) can be gigabytes; memory stays at a few chunks per input whatever its size.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { PcapPacket } from './pcap.js'

const MAGIC_US = 0xa1b2c3d4
const MAGIC_NS = 0xa1b23c4d
/** Bytes read from an input, or gathered for the output, at a time. */
const CHUNK = 1 << 20

/** Reads one pcap file frame by frame (either byte order, micro- or nanoseconds). */
export class PcapFileReader {
  private buf = Buffer.alloc(0)
  private pos = 0
  private eof = false
  private le = true
  private nano = false
  /** The file's link type and snapshot length, once {@link open} read its header. */
  linkType = 1
  snapLen = 65535

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  /** Opens `path` and reads its header; undefined for a file shorter than a header (nothing captured). Throws on a file that is not pcap. */
  static async open(path: string): Promise<PcapFileReader | undefined> {
    const fh = await open(path, 'r')
    const r = new PcapFileReader(fh, path)
    try {
      if (!(await r.fill(24))) {
        await fh.close()
        return undefined
      }
      const head = r.take(24)
      const le = head.readUInt32LE(0)
      const be = head.readUInt32BE(0)
      r.le = le === MAGIC_US || le === MAGIC_NS
      if (!r.le && be !== MAGIC_US && be !== MAGIC_NS) throw new Error(`${path}: not a pcap file (magic 0x${be.toString(16)})`)
      r.nano = (r.le ? le : be) === MAGIC_NS
      r.snapLen = r.u32(head, 16)
      r.linkType = r.u32(head, 20)
      return r
    } catch (e) {
      await fh.close()
      throw e
    }
  }

  /** The next whole frame, or undefined at the end (a frame cut by a killed writer ends the file). */
  async next(): Promise<PcapPacket | undefined> {
    if (!(await this.fill(16))) return undefined
    const h = this.buf.subarray(this.pos, this.pos + 16)
    const incl = this.u32(h, 8)
    if (!(await this.fill(16 + incl))) return undefined
    const head = this.take(16)
    const sec = this.u32(head, 0)
    const frac = this.u32(head, 4)
    const length = this.u32(head, 12)
    const data = Buffer.from(this.take(incl))
    return { timeUs: sec * 1e6 + (this.nano ? Math.floor(frac / 1000) : frac), length, data }
  }

  async close(): Promise<void> {
    await this.fh.close()
  }

  private u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o)
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** Makes `n` bytes available from `pos`; false when the file ends before. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n && !this.eof) {
      const more = Buffer.alloc(Math.max(CHUNK, n))
      const { bytesRead } = await this.fh.read(more, 0, more.length, null)
      if (bytesRead === 0) this.eof = true
      this.buf = Buffer.concat([this.buf.subarray(this.pos), more.subarray(0, bytesRead)])
      this.pos = 0
    }
    return this.buf.length - this.pos >= n
  }
}

/**
 * Merges the pcap files `inputs` (missing or empty ones skipped) into `output`, a
 * little-endian microsecond pcap, frames ordered by time (stable: frames of one time keep
 * the inputs' order). All inputs must share a link type. Returns how many frames it wrote.
 */
export async function mergePcapFiles(inputs: readonly string[], output: string): Promise<{ frames: number }> {
  const readers: PcapFileReader[] = []
  const out = await open(output, 'w')
  try {
    for (const path of inputs) {
      const r = await PcapFileReader.open(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined
        throw e
      })
      if (r) readers.push(r)
    }
    const linkType = readers[0]?.linkType ?? 1
    const odd = readers.find(r => r.linkType !== linkType)
    if (odd) throw new Error(`cannot merge captures of link types ${linkType} and ${odd.linkType} (${odd.path})`)
    const head = Buffer.alloc(24)
    head.writeUInt32LE(MAGIC_US, 0)
    head.writeUInt16LE(2, 4)
    head.writeUInt16LE(4, 6)
    head.writeUInt32LE(Math.max(65535, ...readers.map(r => r.snapLen)), 16)
    head.writeUInt32LE(linkType, 20)
    let pending: Buffer[] = [head]
    let pendingBytes = head.length
    const heads = await Promise.all(readers.map(r => r.next()))
    let frames = 0
    for (;;) {
      let min = -1
      for (let i = 0; i < heads.length; i++) if (heads[i] && (min < 0 || heads[i]!.timeUs < heads[min]!.timeUs)) min = i
      if (min < 0) break
      const p = heads[min]!
      const h = Buffer.alloc(16)
      h.writeUInt32LE(Math.floor(p.timeUs / 1e6), 0)
      h.writeUInt32LE(p.timeUs % 1e6, 4)
      h.writeUInt32LE(p.data.length, 8)
      h.writeUInt32LE(p.length, 12)
      pending.push(h, p.data)
      pendingBytes += 16 + p.data.length
      frames++
      if (pendingBytes >= CHUNK) {
        await out.write(Buffer.concat(pending))
        pending = []
        pendingBytes = 0
      }
      heads[min] = await readers[min]!.next()
    }
    await out.write(Buffer.concat(pending))
    return { frames }
  } finally {
    await out.close()
    for (const r of readers) await r.close()
  }
}

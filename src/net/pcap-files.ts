/**
 * Pcap files merged by time without holding them in memory: each input is read a chunk at
 * a time, the earliest frame of all inputs goes out next, and the output is written in
 * chunks. A network's capture after a long test (an ISO fetched over HTTP, a package
 * mirror) can be gigabytes; memory stays at a few chunks per input whatever its size.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import { CaptureError, NetworkError } from '../errors/errors.js'
import { parsePcapHeader, parseRecordHeader, pcapFileHeader, pcapRecordHeader, type PcapHeader, type PcapPacket } from './pcap.js'
/** The longest frame record read (jumbo frames fit; a damaged length does not). */
const MAX_FRAME = 256 * 1024

/** Bytes read from an input, or gathered for the output, at a time. */
const CHUNK = 1 << 20

/** Reads one pcap file frame by frame (either byte order, micro- or nanoseconds). */
export class PcapFileReader {
  private buf = Buffer.alloc(0)
  private pos = 0
  private eof = false
  private header: PcapHeader = { littleEndian: true, nanoseconds: false, snapLen: 65535, linkType: 1 }

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  /** The file's link type (1 = Ethernet). */
  get linkType(): number {
    return this.header.linkType
  }

  /** The file's snapshot length. */
  get snapLen(): number {
    return this.header.snapLen
  }

  /** Opens `path` and reads its header; undefined for a file shorter than a header (nothing captured). Throws on a file that is not pcap. */
  static async open(path: string): Promise<PcapFileReader | undefined> {
    const fh = await open(path, 'r')
    const r = new PcapFileReader(fh, path)
    try {
      if (!(await r.fill(24))) {
        await fh.close()
        return undefined
      }
      try {
        r.header = parsePcapHeader(r.take(24))
      } catch (e) {
        throw new CaptureError(`${path}: ${(e as Error).message}`, { cause: e })
      }
      return r
    } catch (e) {
      await fh.close()
      throw e
    }
  }

  /** The next whole frame, or undefined at the end (a frame cut by a killed writer ends the file). */
  async next(): Promise<PcapPacket | undefined> {
    if (!(await this.fill(16))) return undefined
    const r = parseRecordHeader(this.buf.subarray(this.pos, this.pos + 16), this.header)
    // A damaged length would make fill() allocate gigabytes (Node aborts): no frame is
    // longer than the snapshot length (nor than 256 KiB, whatever a header claims).
    if (r.captured > Math.min(Math.max(this.header.snapLen, 65_535), MAX_FRAME)) {
      throw new NetworkError(`${this.path}: a frame record claims ${r.captured} bytes, more than the capture's snapshot length ${this.header.snapLen}: the pcap file is damaged`)
    }
    if (!(await this.fill(16 + r.captured))) return undefined
    this.take(16)
    return { timeUs: r.timeUs, length: r.length, data: Buffer.from(this.take(r.captured)) }
  }

  async close(): Promise<void> {
    await this.fh.close()
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
    if (odd) throw new CaptureError(`cannot merge captures of link types ${linkType} and ${odd.linkType} (${odd.path})`)
    const head = pcapFileHeader(linkType, Math.max(65535, ...readers.map(r => r.snapLen)))
    let pending: Buffer[] = [head]
    let pendingBytes = head.length
    const heads = await Promise.all(readers.map(r => r.next()))
    let frames = 0
    for (;;) {
      let min = -1
      for (let i = 0; i < heads.length; i++) if (heads[i] && (min < 0 || heads[i]!.timeUs < heads[min]!.timeUs)) min = i
      if (min < 0) break
      const p = heads[min]!
      pending.push(pcapRecordHeader(p), p.data)
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

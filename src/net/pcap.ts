/**
 * The classic pcap file format (what QEMU's `filter-dump` writes): read, merge by time,
 * write, and a summary of each Ethernet frame (addresses, IPv4, UDP/TCP ports) for tests
 * and reports. Pure: buffers in, buffers out.
 * @module
 */
import { CaptureError } from '../errors/errors.js'

/** One captured frame. */
export interface PcapPacket {
  /** Capture time in microseconds since the epoch. */
  timeUs: number
  /** The frame's length on the wire (the captured bytes may be fewer). */
  length: number
  /** The captured bytes, from the Ethernet header on. */
  data: Buffer
}

/** A pcap file: its link type (1 = Ethernet) and frames. */
export interface Pcap {
  /** The link type of its frames (1: Ethernet). */
  linkType: number
  /** The longest frame it may hold, in bytes. */
  snapLen: number
  /** Its frames, in the order they were recorded. */
  packets: PcapPacket[]
}

const MAGIC_US = 0xa1b2c3d4
const MAGIC_NS = 0xa1b23c4d

/** A pcap file's header, read: byte order, time unit, snapshot length, link type. */
export interface PcapHeader {
  littleEndian: boolean
  nanoseconds: boolean
  snapLen: number
  linkType: number
}

/** Reads the 24-byte header at the start of `head`; throws a {@link CaptureError} on a file that is not pcap. */
export function parsePcapHeader(head: Buffer): PcapHeader {
  if (head.length < 24) throw new CaptureError(`not a pcap file: ${head.length} bytes, the header alone is 24`)
  const magicLE = head.readUInt32LE(0)
  const magicBE = head.readUInt32BE(0)
  const littleEndian = magicLE === MAGIC_US || magicLE === MAGIC_NS
  if (!littleEndian && magicBE !== MAGIC_US && magicBE !== MAGIC_NS) throw new CaptureError(`not a pcap file: magic 0x${magicBE.toString(16)}`)
  const u32 = (o: number): number => (littleEndian ? head.readUInt32LE(o) : head.readUInt32BE(o))
  return { littleEndian, nanoseconds: (littleEndian ? magicLE : magicBE) === MAGIC_NS, snapLen: u32(16), linkType: u32(20) }
}

/** Reads the 16-byte header of a frame's record: its time, captured and original lengths. */
export function parseRecordHeader(h: Buffer, file: PcapHeader): { timeUs: number; captured: number; length: number } {
  const u32 = (o: number): number => (file.littleEndian ? h.readUInt32LE(o) : h.readUInt32BE(o))
  const frac = u32(4)
  return { timeUs: u32(0) * 1e6 + (file.nanoseconds ? Math.floor(frac / 1000) : frac), captured: u32(8), length: u32(12) }
}

/** The header of a little-endian, microsecond pcap file. */
export function pcapFileHeader(linkType: number, snapLen: number): Buffer {
  const head = Buffer.alloc(24)
  head.writeUInt32LE(MAGIC_US, 0)
  head.writeUInt16LE(2, 4)
  head.writeUInt16LE(4, 6)
  head.writeUInt32LE(snapLen, 16)
  head.writeUInt32LE(linkType, 20)
  return head
}

/** The record header of `p` in a little-endian, microsecond pcap file. */
export function pcapRecordHeader(p: PcapPacket): Buffer {
  const h = Buffer.alloc(16)
  h.writeUInt32LE(Math.floor(p.timeUs / 1e6), 0)
  h.writeUInt32LE(p.timeUs % 1e6, 4)
  h.writeUInt32LE(p.data.length, 8)
  h.writeUInt32LE(p.length, 12)
  return h
}

/**
 * Reads a pcap file (either byte order, micro- or nanosecond timestamps). A file cut in the
 * middle of a frame (its writer was killed) gives the whole frames before the cut. Throws
 * on a file that is not pcap.
 */
export function readPcap(buf: Buffer): Pcap {
  const file = parsePcapHeader(buf)
  const out: Pcap = { snapLen: file.snapLen, linkType: file.linkType, packets: [] }
  let o = 24
  while (o + 16 <= buf.length) {
    const r = parseRecordHeader(buf.subarray(o, o + 16), file)
    if (o + 16 + r.captured > buf.length) break
    out.packets.push({ timeUs: r.timeUs, length: r.length, data: buf.subarray(o + 16, o + 16 + r.captured) })
    o += 16 + r.captured
  }
  return out
}

/** Writes a little-endian, microsecond pcap file. */
export function writePcap(p: Pcap): Buffer {
  const parts: Buffer[] = [pcapFileHeader(p.linkType, p.snapLen)]
  for (const k of p.packets) parts.push(pcapRecordHeader(k), k.data)
  return Buffer.concat(parts)
}

/**
 * Merges captures of one network's NICs into one capture ordered by time (stable: frames
 * of one time keep their file order). All must share a link type (else a {@link CaptureError}).
 */
export function mergePcaps(captures: Pcap[]): Pcap {
  const linkType = captures[0]?.linkType ?? 1
  const odd = captures.find(c => c.linkType !== linkType)
  if (odd) throw new CaptureError(`cannot merge captures of link types ${linkType} and ${odd.linkType}`)
  const packets = captures.flatMap(c => c.packets).map((p, i) => ({ p, i }))
  packets.sort((a, b) => a.p.timeUs - b.p.timeUs || a.i - b.i)
  return { linkType, snapLen: Math.max(65535, ...captures.map(c => c.snapLen)), packets: packets.map(x => x.p) }
}

/** What a frame is, as far as tests and reports need: Ethernet, then IPv4 and UDP/TCP when present. */
export interface FrameSummary {
  /** The source MAC address, lower case with colons. */
  src: string
  /** The destination MAC address. */
  dst: string
  /** The EtherType (0x0800: IPv4), after a VLAN tag if there is one. */
  etherType: number
  /** The IPv4 header, for an IPv4 frame. */
  ip?: {
    /** The source address, dotted. */
    src: string
    /** The destination address. */
    dst: string
    /** The protocol number (1 ICMP, 6 TCP, 17 UDP). */
    protocol: number
  }
  /** The UDP header and payload, for a UDP datagram. */
  udp?: {
    /** The source port. */
    srcPort: number
    /** The destination port. */
    dstPort: number
    /** The datagram's data (a DHCP message, a TFTP packet, …). */
    payload: Buffer
  }
  /** The TCP header and payload, for a TCP segment. */
  tcp?: {
    /** The source port. */
    srcPort: number
    /** The destination port. */
    dstPort: number
    /** The flag bits (0x02 SYN, 0x10 ACK, …). */
    flags: number
    /** The segment's data. */
    payload: Buffer
  }
}

const mac = (b: Buffer, o: number): string => [...b.subarray(o, o + 6)].map(x => x.toString(16).padStart(2, '0')).join(':')
const ip4 = (b: Buffer, o: number): string => [...b.subarray(o, o + 4)].join('.')

/** Summarises an Ethernet frame; undefined for a frame too short to have a header. */
export function summarizeFrame(data: Buffer): FrameSummary | undefined {
  if (data.length < 14) return undefined
  let etherType = data.readUInt16BE(12)
  let o = 14
  if (etherType === 0x8100 && data.length >= 18) {
    etherType = data.readUInt16BE(16)
    o = 18
  }
  const s: FrameSummary = { src: mac(data, 6), dst: mac(data, 0), etherType }
  if (etherType !== 0x0800 || data.length < o + 20) return s
  const ihl = (data[o]! & 0x0f) * 4
  const total = Math.min(data.readUInt16BE(o + 2), data.length - o)
  const protocol = data[o + 9]!
  s.ip = { src: ip4(data, o + 12), dst: ip4(data, o + 16), protocol }
  const l4 = o + ihl
  if (protocol === 17 && total >= ihl + 8) {
    s.udp = { srcPort: data.readUInt16BE(l4), dstPort: data.readUInt16BE(l4 + 2), payload: data.subarray(l4 + 8, o + total) }
  } else if (protocol === 6 && total >= ihl + 20) {
    const off = (data[l4 + 12]! >> 4) * 4
    s.tcp = { srcPort: data.readUInt16BE(l4), dstPort: data.readUInt16BE(l4 + 2), flags: data[l4 + 13]!, payload: data.subarray(l4 + off, o + total) }
  }
  return s
}

/** The DHCP message type (1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK, …) of a BOOTP/DHCP UDP payload, if it has one. */
export function dhcpMessageType(udpPayload: Buffer): number | undefined {
  // fixed BOOTP part (236 bytes), then the magic cookie 99.130.83.99, then options
  if (udpPayload.length < 240 || udpPayload.readUInt32BE(236) !== 0x63825363) return undefined
  let o = 240
  while (o < udpPayload.length) {
    const code = udpPayload[o]!
    if (code === 255) break
    if (code === 0) {
      o++
      continue
    }
    const len = udpPayload[o + 1] ?? 0
    if (code === 53 && len >= 1) return udpPayload[o + 2]
    o += 2 + len
  }
  return undefined
}

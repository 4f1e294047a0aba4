/**
 * The timed things a trace lays beside the steps: QMP events from `qmp.log` (RESET,
 * DEVICE_TRAY_MOVED, NIC_RX_FILTER_CHANGED, SHUTDOWN, …, with QEMU's own timestamps) and
 * the frames of the networks' captures, summarised on one line each.
 * @module
 */
import { readFileSync } from 'node:fs'
import { readPcap, summarizeFrame, type FrameSummary } from '../../net/pcap.js'

/** A QMP event. */
export interface TraceEvent {
  /** Milliseconds since the epoch (QEMU's timestamp). */
  at: number
  event: string
  /** Its data, as compact JSON (cut at 200 characters). */
  data?: string
}

/** A network frame. */
export interface TraceFrame {
  at: number
  network: string
  /** One line: addresses, protocol, ports, length. */
  text: string
}

/** The most events and frames a trace keeps of one machine (the first ones). */
export const MAX_TIMED = 5000

/** The events in a QMP log (`< {"event": …}` lines); none when the log cannot be read. */
export function qmpEvents(log: string | undefined): TraceEvent[] {
  const text = readText(log)
  const out: TraceEvent[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('< ') || !line.includes('"event"')) continue
    try {
      const m = JSON.parse(line.slice(2)) as { event?: string; timestamp?: { seconds: number; microseconds: number }; data?: unknown }
      if (typeof m.event !== 'string' || !m.timestamp) continue
      const data = m.data === undefined ? undefined : JSON.stringify(m.data)
      out.push({ at: m.timestamp.seconds * 1000 + Math.floor(m.timestamp.microseconds / 1000), event: m.event, ...(data ? { data: data.slice(0, 200) } : {}) })
    } catch {
      // a line cut short: skipped
    }
    if (out.length >= MAX_TIMED) break
  }
  return out
}

/** The frames of a pcap capture of `network`, summarised; none when it cannot be read. */
export function networkFrames(file: string, network: string): TraceFrame[] {
  let packets
  try {
    packets = readPcap(readFileSync(file)).packets
  } catch {
    return []
  }
  return packets.slice(0, MAX_TIMED).map(p => ({ at: Math.floor(p.timeUs / 1000), network, text: describeFrame(summarizeFrame(p.data), p.length) }))
}

/** One line for a frame: `10.0.2.15:68 → 255.255.255.255:67 UDP 342 B`. */
export function describeFrame(s: FrameSummary | undefined, length: number): string {
  if (!s) return `(short frame) ${length} B`
  if (!s.ip) return `${s.src} → ${s.dst} ethertype 0x${s.etherType.toString(16).padStart(4, '0')} ${length} B`
  const port = (p?: { srcPort: number; dstPort: number }): [string, string] => (p ? [`:${p.srcPort}`, `:${p.dstPort}`] : ['', ''])
  const l4 = s.udp ?? s.tcp
  const [sp, dp] = port(l4)
  const proto = s.udp ? 'UDP' : s.tcp ? `TCP${tcpFlags(s.tcp.flags)}` : s.ip.protocol === 1 ? 'ICMP' : `IP proto ${s.ip.protocol}`
  return `${s.ip.src}${sp} → ${s.ip.dst}${dp} ${proto} ${length} B`
}

function tcpFlags(flags: number): string {
  const names = ([[2, 'SYN'], [16, 'ACK'], [1, 'FIN'], [4, 'RST']] as const).filter(([bit]) => flags & bit).map(([, n]) => n)
  return names.length ? ` [${names.join(',')}]` : ''
}

function readText(file: string | undefined): string {
  if (!file) return ''
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

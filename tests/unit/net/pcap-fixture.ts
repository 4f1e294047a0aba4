/** A big-endian pcap file with nanosecond times, as other tools write: one 4-byte frame at 5 s + 7,000 ns. */
export function bigEndianNanoPcap(): Buffer {
  const be = Buffer.alloc(24 + 16 + 4)
  be.writeUInt32BE(0xa1b23c4d, 0)
  be.writeUInt32BE(65535, 16)
  be.writeUInt32BE(1, 20)
  be.writeUInt32BE(5, 24)
  be.writeUInt32BE(7_000, 28)
  be.writeUInt32BE(4, 32)
  be.writeUInt32BE(4, 36)
  return be
}

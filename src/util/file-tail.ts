/**
 * The end of a file read without reading the rest of it (serial transcripts grow large).
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

/** The last bytes of a file: `buf` starts at byte `start` of a file of `size` bytes. */
export interface FileTail {
  buf: Buffer
  start: number
  size: number
}

/**
 * Reads at most the last `maxBytes` of a regular file (non-blocking open, so a FIFO never
 * hangs the caller); undefined when it cannot be opened or is not a regular file. A file
 * that shrinks meanwhile gives fewer bytes, never garbage.
 */
export function readFileTail(file: string, maxBytes: number): FileTail | undefined {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) return undefined
    const length = Math.min(st.size, Math.max(0, maxBytes))
    const buf = Buffer.alloc(length)
    let got = 0
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, st.size - length + got)
      if (n === 0) break
      got += n
    }
    return { buf: buf.subarray(0, got), start: st.size - length, size: st.size }
  } finally {
    closeSync(fd)
  }
}

/**
 * A tiny, reproducible `newc` cpio writer for the initrd: all entries owned by
 * root, fixed mtime, sorted, and able to hold device nodes (/dev/console)
 * without needing root or mknod on the build host.
 */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number }

const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000
const S_IFCHR = 0o020000

function pad4(n: number): number {
  return (4 - (n % 4)) % 4
}

function header(ino: number, mode: number, size: number, name: string, rmaj = 0, rmin = 0, mtime = 1): Buffer {
  const nameBytes = Buffer.from(name + '\0', 'utf8')
  const hex = (v: number) => v.toString(16).padStart(8, '0')
  const fields = [ino, mode, 0, 0, 1, mtime, size, 0, 0, rmaj, rmin, nameBytes.length, 0]
  const h = Buffer.from('070701' + fields.map(hex).join(''), 'ascii')
  return Buffer.concat([h, nameBytes, Buffer.alloc(pad4(h.length + nameBytes.length))])
}

/** Serialise entries (paths without leading slash) into one newc archive. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  let ino = 1
  for (const e of sorted) {
    const name = e.path.replace(/^\/+/, '')
    switch (e.type) {
      case 'dir':
        parts.push(header(ino++, S_IFDIR | (e.mode ?? 0o755), 0, name))
        break
      case 'file': {
        const data = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)
        parts.push(header(ino++, S_IFREG | (e.mode ?? 0o644), data.length, name), data, Buffer.alloc(pad4(data.length)))
        break
      }
      case 'symlink': {
        const t = Buffer.from(e.target, 'utf8')
        parts.push(header(ino++, S_IFLNK | 0o777, t.length, name), t, Buffer.alloc(pad4(t.length)))
        break
      }
      case 'char':
        parts.push(header(ino++, S_IFCHR | (e.mode ?? 0o600), 0, name, e.major, e.minor))
        break
    }
  }
  parts.push(header(0, 0, 0, 'TRAILER!!!', 0, 0, 0))
  return Buffer.concat(parts)
}

/**
 * A small, dependency-free ISO 9660 reader: reads files out of an ISO image through a file
 * handle (positioned reads only; the image is never read whole and never mounted).
 *
 * Names: Rock Ridge (`NM`) when the image has it, else Joliet (UCS-2), else the plain
 * ISO 9660 names with the `;1` version and a trailing '.' stripped. Lookups try the exact
 * name first, then ignore case. Rock Ridge symbolic links (`SL`) are followed and deep
 * directory relocation (`CL`/`RE`) is undone. Multi-extent files (over 4 GiB) are read
 * extent by extent.
 *
 * Longer than 400 lines on purpose: one on-disk format, whose volume descriptors,
 * directory records and System Use entries are read together and checked against each
 * other; the fuzz test (`tests/unit/media/bootconfig-fuzz.test.ts`) covers it as a whole.
 */
import { constants as bufferConstants } from 'node:buffer'
import { open, stat, type FileHandle } from 'node:fs/promises'
import { MediumError } from '../errors/errors.js'

export const SECTOR_SIZE = 2048
const FIRST_DESCRIPTOR = 16
const MAX_DESCRIPTORS = 64
const MAX_SYMLINK_HOPS = 40
const MAX_CE = 64
/** Largest directory read (a damaged record can claim 4 GiB, which would all be allocated). */
const MAX_DIR_SIZE = 64 * 1024 * 1024
const CHUNK = 1024 * 1024

/** One file, directory or symbolic link in the image. */
export interface IsoEntry {
  /** name as shown (Rock Ridge, Joliet or plain) */
  name: string
  /** absolute path in the image, e.g. `/boot/grub/grub.cfg` */
  path: string
  type: 'file' | 'directory' | 'symlink'
  /** size in bytes (sum of all extents for multi-extent files; 0 for symlinks) */
  size: number
  /** where a symbolic link points (Rock Ridge `SL`), as stored */
  target?: string
}

interface Extent {
  lba: number
  size: number
}

interface Node {
  name: string
  type: IsoEntry['type']
  extents: Extent[]
  size: number
  target?: string
  /** Rock Ridge `RE`: the relocated copy of a deep directory; hidden in listings */
  relocated?: boolean
}

interface Tree {
  root: Extent
  kind: 'rockridge' | 'joliet' | 'plain'
  /** SUSP skip length from the root's `SP` entry (Rock Ridge only) */
  suspSkip: number
}

/** Strips the `;1` version and a trailing '.' from a plain ISO 9660 (or Joliet) name. */
export function cleanIsoName(raw: string): string {
  let n = raw
  const semi = n.lastIndexOf(';')
  if (semi >= 0 && /^;\d*$/.test(n.slice(semi))) n = n.slice(0, semi)
  if (n.endsWith('.') && n.length > 1) n = n.slice(0, -1)
  return n
}

function decodeUcs2be(b: Buffer): string {
  const even = b.length - (b.length % 2)
  const swapped = Buffer.from(b.subarray(0, even))
  swapped.swap16()
  return swapped.toString('utf16le')
}

function splitPath(path: string): string[] {
  return path.split('/').filter(p => p !== '' && p !== '.')
}

/** An opened ISO 9660 image. Call {@link close} when done. */
export class IsoImage {
  /** the volume identifier of the primary volume descriptor, trailing spaces removed */
  readonly volumeId: string
  /** which names the reader uses */
  readonly names: 'rockridge' | 'joliet' | 'plain'
  private readonly dirCache = new Map<number, Node[]>()
  private closed = false

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly fileSize: number,
    volumeId: string,
    private readonly tree: Tree,
  ) {
    this.volumeId = volumeId
    this.names = tree.kind
  }

  /** Opens an image; a MediumError when it is missing, not a file or not ISO 9660. */
  static async open(path: string): Promise<IsoImage> {
    let st
    try {
      st = await stat(path)
    } catch (cause) {
      throw new MediumError(`The ISO image '${path}' does not exist or cannot be read.`, { cause })
    }
    if (!st.isFile() && !st.isBlockDevice()) throw new MediumError(`'${path}' is not a regular file, so not an ISO 9660 image.`)
    let fh: FileHandle
    try {
      fh = await open(path, 'r')
    } catch (cause) {
      throw new MediumError(`The ISO image '${path}' cannot be opened: ${(cause as Error).message}`, { cause })
    }
    try {
      const size = st.isFile() ? st.size : Number.MAX_SAFE_INTEGER
      const { volumeId, tree } = await IsoImage.readDescriptors(path, fh, size)
      return new IsoImage(path, fh, size, volumeId, tree)
    } catch (e) {
      await fh.close().catch(() => undefined)
      throw e
    }
  }

  private static async readDescriptors(path: string, fh: FileHandle, size: number): Promise<{ volumeId: string; tree: Tree }> {
    const notIso = (why: string) => new MediumError(`'${path}' is not an ISO 9660 image (${why}).`)
    if (size < (FIRST_DESCRIPTOR + 1) * SECTOR_SIZE) throw notIso(`only ${size} bytes`)
    let pvd: Buffer | undefined
    let joliet: Buffer | undefined
    for (let i = 0; i < MAX_DESCRIPTORS; i++) {
      const sector = await readAt(fh, (FIRST_DESCRIPTOR + i) * SECTOR_SIZE, SECTOR_SIZE)
      if (sector.length < SECTOR_SIZE || sector.toString('latin1', 1, 6) !== 'CD001') {
        if (i === 0) throw notIso(`no 'CD001' at sector ${FIRST_DESCRIPTOR}`)
        break
      }
      const type = sector[0]
      if (type === 255) break
      if (type === 1 && !pvd) pvd = sector
      if (type === 2 && !joliet) {
        const esc = sector.toString('latin1', 88, 120)
        if (/%\/[@CE]/.test(esc)) joliet = sector
      }
    }
    if (!pvd) throw notIso('no primary volume descriptor')
    const blockSize = pvd.readUInt16LE(128)
    if (blockSize !== SECTOR_SIZE) throw notIso(`logical block size ${blockSize}, only ${SECTOR_SIZE} is supported`)
    const volumeId = pvd.toString('latin1', 40, 72).replace(/[\s\0]+$/, '')
    const rootOf = (d: Buffer): Extent => ({ lba: d.readUInt32LE(156 + 2), size: d.readUInt32LE(156 + 10) })

    // Rock Ridge: an SUSP `SP` entry in the root's '.' record
    const root = rootOf(pvd)
    const first = await readAt(fh, root.lba * SECTOR_SIZE, SECTOR_SIZE)
    const len = first[0] ?? 0
    if (len >= 34) {
      const nameLen = first[32] ?? 0
      let su = 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0)
      for (const off of [su, su + 14]) {
        if (
          off + 7 <= len &&
          first.toString('latin1', off, off + 2) === 'SP' &&
          first[off + 4] === 0xbe &&
          first[off + 5] === 0xef
        ) {
          return { volumeId, tree: { root, kind: 'rockridge', suspSkip: first[off + 6] ?? 0 } }
        }
      }
    }
    if (joliet) return { volumeId, tree: { root: rootOf(joliet), kind: 'joliet', suspSkip: 0 } }
    return { volumeId, tree: { root, kind: 'plain', suspSkip: 0 } }
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.dirCache.clear()
    await this.fh.close()
  }

  /** Whether `path` exists (symbolic links followed; a dangling link does not exist). */
  async exists(path: string): Promise<boolean> {
    try {
      await this.resolve(path)
      return true
    } catch (e) {
      if (e instanceof MediumError && (e as { notFound?: boolean }).notFound) return false
      throw e
    }
  }

  /** What `path` is (symbolic links followed). */
  async stat(path: string): Promise<IsoEntry> {
    const { node, path: real } = await this.resolve(path)
    return toEntry(node, real)
  }

  /** The entries of a directory ('.' and '..' left out), in image order. */
  async list(dir: string): Promise<IsoEntry[]> {
    const { node, path } = await this.resolve(dir)
    if (node.type !== 'directory') throw new MediumError(`'${path}' in ISO '${this.path}' is not a directory.`)
    const children = await this.readDir(node, path)
    return children.filter(c => !c.relocated).map(c => toEntry(c, join(path, c.name)))
  }

  /** The whole content of a file. */
  async readFile(path: string): Promise<Buffer> {
    const { node, path: real } = await this.resolve(path)
    this.checkFile(node, real)
    if (node.size > bufferConstants.MAX_LENGTH) {
      throw new MediumError(`'${real}' in ISO '${this.path}' is too large to read into memory (${node.size} bytes); use copyFile().`)
    }
    const out = Buffer.alloc(node.size)
    let pos = 0
    for (const ex of node.extents) {
      const part = await this.readExtent(ex, real)
      part.copy(out, pos)
      pos += part.length
    }
    return out
  }

  /**
   * A file's content in chunks of at most `chunkSize` bytes, for files too large to hold
   * in memory.
   */
  async *readChunks(path: string, chunkSize = CHUNK): AsyncGenerator<Buffer> {
    const { node, path: real } = await this.resolve(path)
    this.checkFile(node, real)
    for (const ex of node.extents) {
      this.checkExtent(ex, real)
      for (let off = 0; off < ex.size; off += chunkSize) {
        const n = Math.min(chunkSize, ex.size - off)
        const b = await readAt(this.fh, ex.lba * SECTOR_SIZE + off, n)
        if (b.length < n) throw this.truncated(real)
        yield b
      }
    }
  }

  private checkFile(node: Node, path: string): void {
    if (node.type === 'directory') throw new MediumError(`'${path}' in ISO '${this.path}' is a directory, not a file.`)
  }

  private checkExtent(ex: Extent, path: string): void {
    if (ex.lba * SECTOR_SIZE + ex.size > this.fileSize) throw this.truncated(path)
  }

  private truncated(path: string): MediumError {
    return new MediumError(`'${path}' lies beyond the end of ISO '${this.path}': the image is truncated or damaged.`)
  }

  private async readExtent(ex: Extent, path: string): Promise<Buffer> {
    this.checkExtent(ex, path)
    const b = await readAt(this.fh, ex.lba * SECTOR_SIZE, ex.size)
    if (b.length < ex.size) throw this.truncated(path)
    return b
  }

  /** Walks `path` from the root, following symbolic links; returns the node and its real path. */
  private async resolve(path: string, hops = { n: 0 }): Promise<{ node: Node; path: string }> {
    if (this.closed) throw new MediumError(`ISO '${this.path}' is closed.`)
    const rootNode: Node = { name: '', type: 'directory', extents: [this.tree.root], size: this.tree.root.size }
    const parts = splitPath(path)
    let node = rootNode
    let here = '/'
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      if (part === '..') {
        here = parentOf(here)
        node = (await this.resolve(here, hops)).node
        continue
      }
      if (node.type !== 'directory') throw this.notFound(path, `'${here}' is not a directory`)
      const child = findChild(await this.readDir(node, here), part)
      if (!child) throw this.notFound(path)
      const childPath = join(here, child.name)
      if (child.type === 'symlink') {
        if (++hops.n > MAX_SYMLINK_HOPS) throw new MediumError(`Too many symbolic links resolving '${path}' in ISO '${this.path}'.`)
        const target = child.target ?? ''
        const base = target.startsWith('/') ? target : join(here, target)
        const r = await this.resolve(base, hops)
        node = r.node
        here = r.path
      } else {
        node = child
        here = childPath
      }
    }
    return { node, path: here }
  }

  private notFound(path: string, why?: string): MediumError {
    const e = new MediumError(`'${path}' not found in ISO '${this.path}'${why ? ` (${why})` : ''}.`)
    ;(e as { notFound?: boolean }).notFound = true
    return e
  }

  /** Parses a directory's records (cached by extent). */
  private async readDir(dir: Node, path: string): Promise<Node[]> {
    const ex = dir.extents[0]!
    const cached = this.dirCache.get(ex.lba)
    if (cached) return cached
    if (ex.size > MAX_DIR_SIZE) {
      throw new MediumError(`The directory '${path}' in ISO '${this.path}' claims ${ex.size} bytes: the image is damaged.`)
    }
    const data = await this.readExtent(ex, path)
    const nodes: Node[] = []
    const rr = this.tree.kind === 'rockridge'
    let pending: Node | undefined // a multi-extent file still collecting extents
    let off = 0
    while (off < data.length) {
      const len = data[off] ?? 0
      if (len === 0) {
        // records never cross a sector boundary: skip the rest of this sector
        off = (Math.floor(off / SECTOR_SIZE) + 1) * SECTOR_SIZE
        continue
      }
      if (len < 34 || off + len > data.length) break // damaged; keep what we have
      const rec = data.subarray(off, off + len)
      off += len
      const nameLen = rec[32] ?? 0
      const rawName = rec.subarray(33, 33 + nameLen)
      if (nameLen === 1 && (rawName[0] === 0 || rawName[0] === 1)) continue // '.' and '..'
      const flags = rec[25] ?? 0
      if (flags & 0x04) continue // associated file
      const extent: Extent = { lba: rec.readUInt32LE(2), size: rec.readUInt32LE(10) }
      const node: Node = {
        name: '',
        type: flags & 0x02 ? 'directory' : 'file',
        extents: [extent],
        size: extent.size,
      }
      if (this.tree.kind === 'joliet') node.name = cleanIsoName(decodeUcs2be(rawName))
      else node.name = cleanIsoName(rawName.toString('latin1'))
      if (rr) {
        const suStart = 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0) + this.tree.suspSkip
        const su = await this.readSusp(rec.subarray(Math.min(suStart, rec.length)))
        if (su.name !== undefined) node.name = su.name
        if (su.symlink !== undefined) {
          node.type = 'symlink'
          node.target = su.symlink
          node.size = 0
        }
        if (su.relocated) node.relocated = true
        if (su.childLink !== undefined) {
          // deep directory relocation: this placeholder file stands for the moved directory
          const head = await readAt(this.fh, su.childLink * SECTOR_SIZE, 34)
          node.type = 'directory'
          node.extents = [{ lba: su.childLink, size: head.length >= 14 ? head.readUInt32LE(10) : SECTOR_SIZE }]
          node.size = node.extents[0]!.size
        }
      }
      if (pending && pending.name === node.name) {
        pending.extents.push(extent)
        pending.size += extent.size
        if (!(flags & 0x80)) pending = undefined
        continue
      }
      pending = undefined
      nodes.push(node)
      if (flags & 0x80 && node.type === 'file') pending = node
    }
    this.dirCache.set(ex.lba, nodes)
    return nodes
  }

  /** Reads the SUSP entries of a System Use area, following `CE` continuation areas. */
  private async readSusp(area: Buffer): Promise<{ name?: string; symlink?: string; relocated?: boolean; childLink?: number }> {
    const out: { name?: string; symlink?: string; relocated?: boolean; childLink?: number } = {}
    let name: string | undefined
    let nameDone = false
    let link: string[] | undefined
    let comp = '' // symlink component being continued
    let linkDone = false
    let buf: Buffer | undefined = area
    for (let hop = 0; buf && hop <= MAX_CE; hop++) {
      let next: Buffer | undefined
      let off = 0
      while (off + 4 <= buf.length) {
        const sig = buf.toString('latin1', off, off + 2)
        const len = buf[off + 2] ?? 0
        if (len < 4 || off + len > buf.length) break
        const e = buf.subarray(off, off + len)
        off += len
        if (sig === 'ST') break
        if (sig === 'CE' && len >= 28) {
          const lba = e.readUInt32LE(4)
          const ceOff = e.readUInt32LE(12)
          const ceLen = e.readUInt32LE(20)
          // a continuation area lies within one logical block
          if (lba * SECTOR_SIZE + ceOff + ceLen <= this.fileSize && ceLen > 0 && ceOff + ceLen <= SECTOR_SIZE) next = await readAt(this.fh, lba * SECTOR_SIZE + ceOff, ceLen)
        } else if (sig === 'NM' && len >= 5 && !nameDone) {
          const f = e[4] ?? 0
          if (f & 0x06) continue // CURRENT / PARENT
          name = (name ?? '') + e.toString('utf8', 5)
          if (!(f & 0x01)) nameDone = true
        } else if (sig === 'SL' && len >= 5 && !linkDone) {
          link ??= []
          const slFlags = e[4] ?? 0
          let p = 5
          while (p + 2 <= e.length) {
            const cf = e[p] ?? 0
            const cl = e[p + 1] ?? 0
            const text = e.toString('utf8', p + 2, Math.min(e.length, p + 2 + cl))
            p += 2 + cl
            if (cf & 0x02) comp += '.'
            else if (cf & 0x04) comp += '..'
            else if (cf & 0x08) {
              link.push('') // root: a leading '/'
              continue
            } else comp += text
            if (!(cf & 0x01)) {
              link.push(comp)
              comp = ''
            }
          }
          if (!(slFlags & 0x01)) linkDone = true
        } else if (sig === 'RE') {
          out.relocated = true
        } else if (sig === 'CL' && len >= 12) {
          out.childLink = e.readUInt32LE(4)
        }
      }
      buf = next
    }
    if (name !== undefined) out.name = name
    if (link) {
      if (comp) link.push(comp)
      out.symlink = link.length === 1 && link[0] === '' ? '/' : link.join('/')
    }
    return out
  }
}

function toEntry(node: Node, path: string): IsoEntry {
  const e: IsoEntry = { name: node.name || '/', path, type: node.type, size: node.size }
  if (node.target !== undefined) e.target = node.target
  return e
}

function findChild(children: Node[], name: string): Node | undefined {
  const visible = children.filter(c => !c.relocated)
  const exact = visible.find(c => c.name === name)
  if (exact) return exact
  const lower = name.toLowerCase()
  return visible.find(c => c.name.toLowerCase() === lower)
}

function join(dir: string, name: string): string {
  const parts: string[] = []
  for (const p of splitPath(`${dir}/${name}`)) {
    if (p === '..') parts.pop()
    else parts.push(p)
  }
  return '/' + parts.join('/')
}

function parentOf(path: string): string {
  return join(path, '..')
}

/** Reads up to `length` bytes at `position` (fewer only at the end of the file). */
async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length)
  let got = 0
  while (got < length) {
    // one read at most 1 GiB: Node aborts the process (not an exception) on a length over 2^31-1
    const { bytesRead } = await fh.read(buf, got, Math.min(length - got, 1 << 30), position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got === length ? buf : buf.subarray(0, got)
}

/**
 * SHA-256 checksums of media files, remembered by the file's identity (device, inode,
 * size, modification time) in this process and on disk (`<cache>/checksums/`), so a
 * 1 GB ISO is read once, not at every restore of a snapshot taken from it. A file that
 * changes gets a new identity and is read again.
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { cacheRoot } from '../util/cache-root.js'

const memo = new Map<string, Promise<string>>()

/** The SHA-256 (hex) of a file's content. */
export async function fileChecksum(path: string, cache: string | null = join(cacheRoot(), 'checksums')): Promise<string> {
  const abs = resolve(path)
  const st = await stat(abs)
  const identity = `${abs}\0${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeMs}`
  let pending = memo.get(identity)
  if (!pending) {
    pending = remembered(abs, identity, cache)
    memo.set(identity, pending)
    pending.catch(() => memo.delete(identity))
  }
  return pending
}

/**
 * One checksum for a folder tree: every file's path (relative) and checksum, sorted, so a
 * file added, removed, renamed or changed anywhere gives another value. Links are followed.
 */
export async function treeChecksum(dir: string, cache?: string | null): Promise<string> {
  const root = resolve(dir)
  const files: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      const st = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : undefined
      if (e.isDirectory() || st?.isDirectory()) await walk(p)
      else if (e.isFile() || st?.isFile()) files.push(p)
    }
  }
  await walk(root)
  files.sort()
  const h = createHash('sha256')
  for (const f of files) h.update(`${relative(root, f)}\0${await fileChecksum(f, cache)}\n`)
  return h.digest('hex')
}

async function remembered(abs: string, identity: string, cache: string | null): Promise<string> {
  const entry = cache ? join(cache, createHash('sha256').update(identity).digest('hex').slice(0, 32)) : undefined
  if (entry) {
    const known = await readFile(entry, 'utf8').catch(() => '')
    if (/^[0-9a-f]{64}$/.test(known.trim())) return known.trim()
  }
  const sum = await hashFile(abs)
  if (entry && cache) {
    // Only an optimisation: a failure to remember costs a later read, nothing else.
    const temp = `${entry}.${process.pid}.tmp`
    await mkdir(cache, { recursive: true })
      .then(() => writeFile(temp, `${sum}\n`))
      .then(() => rename(temp, entry))
      .catch(() => undefined)
  }
  return sum
}

/** Streams a file through SHA-256. */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256')
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', chunk => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')))
  })
}

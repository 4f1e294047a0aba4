/**
 * SHA-256 checksums of media files, remembered by the file's identity (device, inode,
 * size, modification time) in this process and on disk (`<cache>/checksums/`), so a
 * 1 GB ISO is read once, not at every restore of a snapshot taken from it. A file that
 * changes gets a new identity and is read again.
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, readFile, readlink, realpath, rename, stat, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
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

/** The deepest folder {@link treeChecksum} descends to. */
export const MAX_TREE_DEPTH = 64

/**
 * One checksum for a folder tree: every file's path (relative) and checksum, sorted, so a
 * file added, removed, renamed or changed anywhere gives another value. Links to files are
 * followed; links to folders only when the folder lies inside the tree and is not one the
 * walk is already in (a link loop such as `x -> .` is recorded as a link, not walked), and
 * no deeper than {@link MAX_TREE_DEPTH}.
 */
export async function treeChecksum(dir: string, cache?: string | null): Promise<string> {
  const root = await realpath(resolve(dir))
  const files: string[] = []
  const links: string[] = []
  const walk = async (d: string, real: string, ancestors: ReadonlySet<string>, depth: number): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) {
        if (depth < MAX_TREE_DEPTH) await walk(p, join(real, e.name), new Set([...ancestors, join(real, e.name)]), depth + 1)
        continue
      }
      if (e.isFile()) {
        files.push(p)
        continue
      }
      if (!e.isSymbolicLink()) continue
      const st = await stat(p).catch(() => undefined)
      if (st?.isFile()) files.push(p)
      else if (st?.isDirectory()) {
        const target = await realpath(p)
        const rel = relative(root, target)
        const inside = rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
        if (inside && !ancestors.has(target) && depth < MAX_TREE_DEPTH) await walk(p, target, new Set([...ancestors, target]), depth + 1)
        else links.push(`${relative(root, p)}\0-> ${await readlink(p)}\n`)
      }
    }
  }
  await walk(root, root, new Set([root]), 0)
  files.sort()
  const h = createHash('sha256')
  for (const f of files) h.update(`${relative(root, f)}\0${await fileChecksum(f, cache)}\n`)
  for (const l of links.sort()) h.update(l)
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

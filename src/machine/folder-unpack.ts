/**
 * Unpacking a guest's folder archive on the host without trusting it (the guest may be
 * hostile): tar extracts into a fresh private folder, then only folders, regular files and
 * symbolic links that stay inside the destination are moved in, never through a link
 * already there (a second copy cannot be steered out by a link the first left). Device
 * nodes, FIFOs and sockets are dropped; setuid, setgid and sticky bits are cleared.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { chmod, copyFile, lstat, mkdir, readdir, readlink, rename, rm, symlink, unlink } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'

/** What {@link moveInPlainTree} left out, by kind, and the files it moved. */
export interface MoveResult {
  files: string[]
  dropped: string[]
}

/** Whether the link at `link` (inside `root`) pointing to `target` stays inside `root`. */
export function linkStaysInside(root: string, link: string, target: string): boolean {
  if (isAbsolute(target)) return false
  const rel = relative(root, resolve(dirname(link), target))
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/**
 * Moves the tree `stage` into `dest` (created): folders merged, files and links replaced by
 * rename (which replaces a link, never writes through it), everything else dropped.
 */
export async function moveInPlainTree(stage: string, dest: string, rel = '', out: MoveResult = { files: [], dropped: [] }, depth = 0): Promise<MoveResult> {
  if (depth > 256) throw new Error(`folder nesting deeper than 256 at ${rel}`)
  for (const name of await readdir(join(stage, rel))) {
    const r = rel ? join(rel, name) : name
    const from = join(stage, r)
    const to = join(dest, r)
    const st = await lstat(from)
    const there = await lstat(to).catch(() => undefined)
    if (st.isDirectory()) {
      if (there && !there.isDirectory()) await rm(to, { force: true })
      if (!there?.isDirectory()) await mkdir(to, { mode: 0o755 })
      await moveInPlainTree(stage, dest, r, out, depth + 1)
      await chmod(to, st.mode & 0o777)
    } else if (st.isFile() || (st.isSymbolicLink() && linkStaysInside(dest, to, await readlink(from)))) {
      if (there?.isDirectory()) await rm(to, { recursive: true, force: true })
      const tmp = join(dirname(to), `.bootcheck-in-${randomBytes(6).toString('hex')}`)
      if (st.isFile()) {
        await copyFile(from, tmp)
        await chmod(tmp, st.mode & 0o777)
      } else await symlink(await readlink(from), tmp)
      await rename(tmp, to)
      out.files.push(r)
    } else {
      out.dropped.push(r)
      if (there && !there.isDirectory()) await unlink(to).catch(() => undefined)
    }
  }
  return out
}

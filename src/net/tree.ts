/**
 * Serving folders to a network-booting guest: a read-only root with a test's own files
 * laid over it, without copying or changing the original.
 *
 * The overlaid tree is a folder of symbolic links: every entry of the original root is a
 * link to the original (absolute, resolved) path, except the folders on the way to an
 * overlay file, which are real folders mirrored the same way one level down, and the
 * overlay files themselves. QEMU's TFTP server (slirp) and bootcheck's HTTP server both
 * follow symbolic links, so the guest sees the union; only links are written, in a folder
 * of the machine's own.
 */
import { mkdir, readdir, realpath, stat, symlink, writeFile } from 'node:fs/promises'
import { join, posix, resolve } from 'node:path'
import { MediumError, SpecError } from '../errors/errors.js'

/**
 * One file laid over a served root: its contents (text or bytes), or `{ path }` of a host
 * file served in its place (linked, not copied).
 */
export type OverlayFile =
  | string
  | Uint8Array
  | {
      /** The host file served in its place. */
      path: string
    }

/** Files laid over a served root: path relative to the root (with `/`) → the file. */
export type Overlay = Readonly<Record<string, OverlayFile>>

/**
 * Checks and normalises an overlay path: relative, `/`-separated, no `.`/`..` segments,
 * no empty segments. Returns the list of segments.
 */
export function overlayPathSegments(path: string): string[] {
  const bad = (why: string): never => {
    throw new SpecError(`overlay path ${JSON.stringify(path)}: ${why}`)
  }
  if (path === '') bad('empty')
  if (path.startsWith('/')) bad('must be relative to the served root (no leading /)')
  if (path.includes('\\') || path.includes('\0')) bad('use / between folders')
  const segs = path.split('/')
  if (segs.some(s => s === '')) bad('empty folder name (// or trailing /)')
  if (segs.some(s => s === '.' || s === '..')) bad('. and .. are not allowed')
  return segs
}

/** What {@link layOverlay} plans to put at one place of the tree. */
type Node = { kind: 'file'; file: OverlayFile } | { kind: 'dir'; children: Map<string, Node> }

/** Turns overlay paths into a tree; a path that is both a file and a folder is refused. */
export function overlayTree(overlay: Overlay): Map<string, Node> {
  const root = new Map<string, Node>()
  for (const [path, file] of Object.entries(overlay).sort(([a], [b]) => a.localeCompare(b))) {
    const segs = overlayPathSegments(path)
    let dir = root
    segs.forEach((seg, i) => {
      const last = i === segs.length - 1
      const existing = dir.get(seg)
      if (last) {
        if (existing) throw new SpecError(`overlay path ${JSON.stringify(path)}: also used as a folder by another overlay path`)
        dir.set(seg, { kind: 'file', file })
        return
      }
      if (existing?.kind === 'file') {
        throw new SpecError(`overlay path ${JSON.stringify(path)}: ${JSON.stringify(segs.slice(0, i + 1).join('/'))} is a file in the overlay`)
      }
      if (!existing) {
        const d: Node = { kind: 'dir', children: new Map() }
        dir.set(seg, d)
        dir = d.children
      } else dir = existing.children
    })
  }
  return root
}

/** Checks that `root` is an existing folder; `role` names it in the message. */
export async function checkServedRoot(root: string, role: string): Promise<string> {
  let st
  try {
    st = await stat(root)
  } catch {
    throw new MediumError(`The ${role} '${root}' does not exist.`)
  }
  if (!st.isDirectory()) throw new MediumError(`The ${role} '${root}' is not a folder.`)
  return realpath(root)
}

/**
 * Builds in `dest` (which must not exist yet) the union of the folder `root` and
 * `overlay`, made of symbolic links to the originals plus the overlay files. Returns
 * `dest`. The original is only read. Overlay entries replace originals of the same name;
 * a folder of the original that an overlay path goes through (even through a symbolic
 * link to a folder, as Debian's `pxelinux.cfg`) is mirrored one level deeper. An overlay
 * path that goes through an original *file* is refused.
 */
export async function layOverlay(root: string, overlay: Overlay, dest: string): Promise<string> {
  const tree = overlayTree(overlay)
  const realRoot = await checkServedRoot(root, 'served root')
  const walk = async (orig: string | undefined, out: string, nodes: Map<string, Node>, where: string): Promise<void> => {
    await mkdir(out, { recursive: false })
    const names = orig ? await readdir(orig) : []
    for (const name of names) {
      if (nodes.has(name)) continue
      // an absolute link to the resolved original: relative links would point elsewhere from here
      let target: string
      try {
        target = await realpath(join(orig!, name))
      } catch {
        continue // a dangling link in the original: nothing to serve
      }
      await symlink(target, join(out, name))
    }
    for (const [name, node] of nodes) {
      const rel = where ? `${where}/${name}` : name
      const o = orig ? join(orig, name) : undefined
      if (node.kind === 'dir') {
        let sub: string | undefined
        if (o) {
          const st = await stat(o).catch(() => undefined)
          if (st && !st.isDirectory()) throw new SpecError(`overlay: '${rel}' is a file in '${root}', not a folder`)
          sub = st ? await realpath(o) : undefined
        }
        await walk(sub, join(out, name), node.children, rel)
      } else {
        const file = node.file
        const p = join(out, name)
        if (typeof file === 'string' || file instanceof Uint8Array) await writeFile(p, file)
        else {
          const src = resolve(file.path)
          const st = await stat(src).catch(() => undefined)
          if (!st?.isFile()) throw new MediumError(`The overlay file for '${rel}' ('${file.path}') does not exist or is not a regular file.`)
          await symlink(await realpath(src), p)
        }
      }
    }
  }
  await walk(realRoot, dest, tree, '')
  return dest
}

/**
 * Resolves a path the guest asks for (TFTP file name or HTTP path) inside a served root the
 * way a careful server does: `/`-separated, leading `/` ignored, no `..`. Returns the host
 * path, or `undefined` when the request tries to leave the root.
 */
export function resolveServedPath(root: string, requested: string): string | undefined {
  const rel = requested.replace(/^\/+/, '')
  if (rel.split('/').some(s => s === '..') || rel.includes('\0') || rel.includes('\\')) return undefined
  return join(root, posix.normalize(`/${rel}`))
}

/** Whether `path` (following links) is a regular file. */
export async function isServedFile(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined)
  return !!st?.isFile()
}


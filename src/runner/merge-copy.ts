/**
 * Copying a shard's artifacts into the merged folder without trusting them: only regular
 * files and folders are copied (links, devices, FIFOs and sockets are left out), owners are
 * not kept, and modes become 0644/0755 (no setuid, setgid or sticky bits), so nothing in a
 * merged folder points outside it or runs as another user. Archives are unpacked the same
 * way: `tar --no-same-owner --no-same-permissions` into a private scratch folder first.
 * @module
 */
import { constants } from 'node:fs'
import { chmod, copyFile, lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** The tar arguments that unpack `archive` into `dir` with no owners or special modes kept. */
export function safeExtractArgs(archive: string, dir: string): string[] {
  return ['-xzf', archive, '-C', dir, '--no-same-owner', '--no-same-permissions', '--no-overwrite-dir', '--delay-directory-restore']
}

/** Copies the folder `from` to `to` (created): regular files and folders only, plain modes. Returns the files copied. */
export async function copyPlainTree(from: string, to: string, depth = 0): Promise<number> {
  if (depth > 64) return 0
  await mkdir(to, { recursive: true, mode: 0o755 })
  let files = 0
  for (const name of await readdir(from)) {
    const src = join(from, name)
    const st = await lstat(src)
    if (st.isDirectory()) files += await copyPlainTree(src, join(to, name), depth + 1)
    else if (st.isFile()) {
      // COPYFILE_EXCL: never write through something already there. copyFile keeps the
      // source's mode (setuid included), so the mode is set afterwards.
      await copyFile(src, join(to, name), constants.COPYFILE_EXCL)
      await chmod(join(to, name), st.mode & 0o111 ? 0o755 : 0o644)
      files++
    }
  }
  return files
}

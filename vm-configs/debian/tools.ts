/**
 * Guest tools from Debian packages (contract.ts GUEST_TOOLS) as store paths, the way
 * nixpkgs wraps a program: `<hash>-<name>-<version>-unwrapped` holds the binaries (libexec/)
 * and their shared-library closure except glibc (lib/); `<hash>-<name>-<version>` holds
 * bin/<program>, a script that runs the binary with glibc's dynamic loader and
 * `--library-path` set to both (no patchelf on the host: the loader is told instead of
 * the binary's RUNPATH).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { GuestTool } from './contract.js'
import { writeFileMode } from './helpers.js'
import { libraryClosure, type FoundLibrary, type LibraryClosure } from './libclosure.js'
import { addToStore } from './nixstore.js'

/** Where Debian puts shared libraries inside a package. */
const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu']

/** A lookup searching libc6 first, then `pkgs`, in their unpacked folders. */
export function packageLibraryLookup(unpack: (pkg: string) => string, pkgs: readonly string[]) {
  const order = ['libc6', ...pkgs.filter((p) => p !== 'libc6')]
  return async (soname: string): Promise<FoundLibrary | undefined> => {
    for (const pkg of order) {
      for (const d of LIB_DIRS) {
        const path = join(unpack(pkg), d, soname)
        if (existsSync(path)) return { pkg, path: `${pkg}:/${d}/${soname}`, data: await readFile(path) }
      }
    }
    return undefined
  }
}

/** One tool's binaries and the libraries they need (libc6's included, marked by pkg). */
export interface ToolClosure {
  tool: GuestTool
  bins: { name: string; data: Uint8Array }[]
  libs: LibraryClosure
}

/** Reads a tool's binaries and computes their library closure (throws naming a missing library). */
export async function toolClosure(tool: GuestTool, unpack: (pkg: string) => string): Promise<ToolClosure> {
  const searched = [tool.pkg, ...tool.libPackages]
  const lookup = packageLibraryLookup(unpack, searched)
  const libs: LibraryClosure = new Map()
  const bins: ToolClosure['bins'] = []
  for (const b of tool.bins) {
    const file = join(unpack(tool.pkg), b)
    if (!existsSync(file)) throw new Error(`${tool.pkg} has no ${b} (GUEST_TOOLS in vm-configs/debian/contract.ts)`)
    const data = await readFile(file)
    bins.push({ name: basename(b), data })
    for (const [k, v] of await libraryClosure(`${tool.pkg}:/${b}`, data, lookup, ['libc6', ...searched])) libs.set(k, v)
  }
  return { tool, bins, libs }
}

/** The wrapper bin/<program> of a tool (see the module comment). */
export function wrapperScript(glibc: string, unwrapped: string, program: string): string {
  return [
    '#!/bin/sh',
    `# ${program} from Debian, run by glibc's loader with its libraries (vm-configs/debian/tools.ts)`,
    `exec /nix/store/${glibc}/lib/ld-linux-x86-64.so.2 --argv0 "$0" --library-path /nix/store/${unwrapped}/lib:/nix/store/${glibc}/lib /nix/store/${unwrapped}/libexec/${program} "$@"`,
    '',
  ].join('\n')
}

/**
 * Adds a tool's two store paths (see the module comment).
 *
 * @param staging an empty scratch folder
 * @returns the wrapper's store path name and the program names in its bin/
 */
export async function addTool(
  storeDir: string,
  staging: string,
  c: ToolClosure,
  version: string,
  glibc: string,
): Promise<{ path: string; programs: string[] }> {
  const u = join(staging, `${c.tool.name}-unwrapped`)
  for (const b of c.bins) await writeFileMode(join(u, 'libexec', b.name), b.data, 0o755)
  for (const [soname, lib] of [...c.libs].sort(([a], [b]) => a.localeCompare(b))) {
    if (lib.pkg !== 'libc6') await writeFileMode(join(u, 'lib', soname), lib.data, 0o755)
  }
  const unwrapped = await addToStore(storeDir, u, `${c.tool.name}-${version}-unwrapped`)
  const w = join(staging, c.tool.name)
  for (const b of c.bins) await writeFileMode(join(w, 'bin', b.name), wrapperScript(glibc, unwrapped, b.name), 0o755)
  const path = await addToStore(storeDir, w, `${c.tool.name}-${version}`)
  return { path, programs: c.bins.map((b) => b.name) }
}

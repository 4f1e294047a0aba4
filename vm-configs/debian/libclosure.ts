/**
 * The shared-library closure of a Debian binary: its DT_NEEDED entries, followed through
 * the libraries found in the unpacked packages a tool lists (kept pure: the lookup of a
 * library by its soname is passed in, so it is unit-tested without packages).
 */
import { elfNeeded } from './kmod.js'

/** Where a library was found: the package that ships it and the file's bytes. */
export interface FoundLibrary {
  /** the Debian package (folder under unpack/) it came from */
  pkg: string
  /** its path in the unpacked package (for messages) */
  path: string
  data: Uint8Array
}

/** Finds a library by soname (`libz.so.1`) in the packages searched; undefined when none ships it. */
export type LibraryLookup = (soname: string) => Promise<FoundLibrary | undefined>

/** The closure of one binary: each soname it needs (directly or not) and where it was found. */
export type LibraryClosure = Map<string, FoundLibrary>

/**
 * Follows DT_NEEDED from `elf` (the binary `who`) through `lookup`, breadth first. The
 * dynamic loader is not a DT_NEEDED entry and is not included.
 *
 * @param searched the packages `lookup` searches, named in the error
 * @throws Error naming the missing library, which binary or library needs it and the
 *   packages searched (add the package that ships it to the tool's list in contract.ts)
 */
export async function libraryClosure(who: string, elf: Uint8Array, lookup: LibraryLookup, searched: readonly string[]): Promise<LibraryClosure> {
  const out: LibraryClosure = new Map()
  const queue: { soname: string; neededBy: string }[] = elfNeeded(elf).map((soname) => ({ soname, neededBy: who }))
  while (queue.length) {
    const { soname, neededBy } = queue.shift() as { soname: string; neededBy: string }
    if (out.has(soname)) continue
    const found = await lookup(soname)
    if (!found) {
      throw new Error(
        `${who}: ${neededBy} needs ${soname}, which none of the packages searched ships (${searched.join(', ')}); ` +
          'add the Debian package that has it to the tool in vm-configs/debian/contract.ts (GUEST_TOOLS)',
      )
    }
    out.set(soname, found)
    for (const next of elfNeeded(found.data)) queue.push({ soname: next, neededBy: soname })
  }
  return out
}

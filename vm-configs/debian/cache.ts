/**
 * The media cache: one folder per build, named by a key that hashes every input (the
 * exact .deb files, the builder's sources and init scripts, contract.json and the build
 * options), described by its `media.json`. Entries are built in a `.tmp-<key>-<pid>-…`
 * folder and renamed into place, so an interrupted build never leaves a half entry.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  CONTRACT,
  CONTRACT_FILE,
  INSTALLER_SCRIPT,
  MEDIUM_TIMEOUT,
  OPTIONAL_MODULES,
  REQUIRED_MODULES,
  SOURCE_DATE_EPOCH,
  sourceDir,
} from './contract.js'
import type { DebRef } from './debs.js'
import { sha256, sha256File, stableStringify } from './helpers.js'
import type { LiveMedia, Log } from './media.js'

/** Bump when the layout of a cache entry changes. */
const FORMAT_VERSION = 1

/** Everything a cache key hashes. */
export interface CacheKeyInputs {
  /** the exact .deb files (name + sha256) */
  debs: { file: string; sha256: string }[]
  /** builder source files and init scripts: file name → sha256 of contents */
  sources: Record<string, string>
  /** everything else that shapes the output */
  options: Record<string, unknown>
}

/** Cache key: 32 hex chars of sha256 over a canonical form of all inputs (order-insensitive for debs). */
export function cacheKey(inputs: CacheKeyInputs): string {
  const debs = [...inputs.debs].sort((a, b) => a.file.localeCompare(b.file))
  return sha256(stableStringify({ v: FORMAT_VERSION, debs, sources: inputs.sources, options: inputs.options })).slice(0, 32)
}

/**
 * sha256 of each builder source (every `*.ts` and `*.sh` next to the builder) and of
 * contract.json: editing any of them gives a new cache key.
 */
export async function sourceHashes(): Promise<Record<string, string>> {
  const dir = sourceDir()
  const hashes: Record<string, string> = {}
  for (const n of (await readdir(dir)).sort()) {
    if (/\.(ts|sh)$/.test(n)) hashes[n] = await sha256File(join(dir, n))
  }
  hashes['../contract.json'] = await sha256File(CONTRACT_FILE)
  hashes['../bootcheck-install.sh'] = await sha256File(INSTALLER_SCRIPT)
  return hashes
}

/** The cache key of a build from `debs` with the current sources and options. */
export async function mediaCacheKey(debs: Iterable<DebRef>): Promise<string> {
  return cacheKey({
    debs: [...debs].map((d) => ({ file: d.file, sha256: d.sha256 })),
    sources: await sourceHashes(),
    options: {
      contract: CONTRACT,
      requiredModules: REQUIRED_MODULES,
      optionalModules: OPTIONAL_MODULES,
      mediumTimeout: MEDIUM_TIMEOUT,
      sourceDateEpoch: SOURCE_DATE_EPOCH,
    },
  })
}

/** An entry's media.json: the {@link LiveMedia} fields that are not paths, and file names relative to the entry. */
export interface MediaManifest extends Omit<LiveMedia, 'dir' | 'iso' | 'kernel' | 'initrd' | 'persistDisk' | 'netboot'> {
  files: { iso: string; kernel: string; initrd: string; persistDisk: string; netboot: string }
  netbootKernelParams: string[]
  debs: string[]
  builtAt: string
  buildSeconds: number
}

/** The {@link LiveMedia} of the entry `dir` described by `m`. */
export function fromManifest(dir: string, m: MediaManifest): LiveMedia {
  return {
    dir,
    iso: join(dir, m.files.iso),
    kernel: join(dir, m.files.kernel),
    initrd: join(dir, m.files.initrd),
    kernelParams: m.kernelParams,
    squashfsSha256: m.squashfsSha256,
    persistDisk: join(dir, m.files.persistDisk),
    persistedPaths: m.persistedPaths,
    uefi: m.uefi,
    kernelVersion: m.kernelVersion,
    netboot: {
      dir: join(dir, m.files.netboot),
      kernel: join(dir, m.files.netboot, CONTRACT.netboot.kernel),
      initrd: join(dir, m.files.netboot, CONTRACT.netboot.initrd),
      ipxeScript: join(dir, m.files.netboot, CONTRACT.netboot.ipxeScript),
      kernelParams: m.netbootKernelParams,
    },
  }
}

async function readEntry(dir: string): Promise<LiveMedia | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'media.json'), 'utf8')) as MediaManifest
    const media = fromManifest(dir, m)
    const nb = media.netboot
    for (const f of [media.iso, media.kernel, media.initrd, media.persistDisk, nb.kernel, nb.initrd, nb.ipxeScript]) if (!existsSync(f)) return undefined
    return media
  } catch {
    return undefined
  }
}

/** The complete entry `entry`, marked as used (for pruning), or undefined when there is none. */
export async function useEntry(entry: string, log: Log, started: number): Promise<LiveMedia | undefined> {
  const hit = await readEntry(entry)
  if (!hit) return undefined
  const now = new Date()
  await utimes(join(entry, 'media.json'), now, now).catch(() => undefined)
  log(`cache hit: ${entry} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  return hit
}

/**
 * A new temp folder for building the entry `key` in `cacheDir` (after removing those of
 * interrupted builds), with an empty `work/` inside.
 */
export async function newTempEntry(cacheDir: string, key: string, log: Log): Promise<{ tmp: string; work: string }> {
  await removeStaleTemps(cacheDir, log)
  const tmp = join(cacheDir, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`)
  const work = join(tmp, 'work')
  await mkdir(work, { recursive: true })
  return { tmp, work }
}

/**
 * Writes media.json into the temp folder, drops its `work/` and renames it to `entry`.
 * When another process finished the same entry first, uses that one (`built` is false).
 */
export async function commitEntry(
  tmp: string,
  entry: string,
  manifest: MediaManifest,
  log: Log,
): Promise<{ media: LiveMedia; built: boolean }> {
  await writeFile(join(tmp, 'media.json'), JSON.stringify(manifest, null, 2) + '\n')
  await rm(join(tmp, 'work'), { recursive: true, force: true })
  const other = await renameIntoPlace(tmp, entry, readEntry, log)
  return other ? { media: other, built: false } : { media: fromManifest(entry, manifest), built: true }
}

/**
 * Renames a finished temp folder to `entry`. When another build of the same inputs got
 * there first, removes the temp folder and returns that entry as `read` finds it;
 * returns undefined when this one was put in place.
 */
export async function renameIntoPlace<T>(tmp: string, entry: string, read: (dir: string) => Promise<T | undefined>, log: Log): Promise<T | undefined> {
  try {
    await rename(tmp, entry)
    return undefined
  } catch (e) {
    const other = await read(entry)
    if (!other) throw e
    await rm(tmp, { recursive: true, force: true })
    log(`done (another process built ${entry} first)`)
    return other
  }
}

/**
 * Keep the cache small: drop entries beyond the newest `keep` that were not used for a day.
 * An entry is a folder named by a 32-digit key holding `manifest` (its mtime is its last use).
 */
export async function pruneOldEntries(cacheDir: string, current: string, log: Log, keep = 3, manifest = 'media.json'): Promise<void> {
  const entries: { dir: string; mtime: number }[] = []
  for (const n of await readdir(cacheDir)) {
    if (!/^[0-9a-f]{32}$/.test(n)) continue
    const dir = join(cacheDir, n)
    if (dir === current) continue
    try {
      entries.push({ dir, mtime: (await stat(join(dir, manifest))).mtimeMs })
    } catch {
      // not an entry of ours
    }
  }
  entries.sort((a, b) => b.mtime - a.mtime)
  const dayAgo = Date.now() - 24 * 3600 * 1000
  for (const e of entries.slice(Math.max(0, keep - 1))) {
    if (e.mtime > dayAgo) continue
    log(`pruning old cache entry ${e.dir}`)
    await rm(e.dir, { recursive: true, force: true })
  }
}

/** Remove temp folders (`.tmp-<key>-<pid>-…`) of builds whose process is gone (interrupted builds). */
async function removeStaleTemps(cacheDir: string, log: Log): Promise<void> {
  let names: string[] = []
  try {
    names = await readdir(cacheDir)
  } catch {
    return
  }
  for (const n of names) {
    const m = /^\.tmp-[0-9a-f]+-(\d+)-/.exec(n)
    if (!m) continue
    const pid = Number(m[1])
    let alive = pid === process.pid
    if (!alive) {
      try {
        process.kill(pid, 0)
        alive = true
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM'
      }
    }
    if (!alive) {
      log(`removing leftover of an interrupted build: ${n}`)
      await rm(join(cacheDir, n), { recursive: true, force: true })
    }
  }
}

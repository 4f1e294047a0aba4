/**
 * The snapshot cache of {@link bootOnce}: `<cache>/snapshots/<key>/` holds one snapshot,
 * `<key>.lock` says which process is making it. The key hashes what the saved state
 * depends on, so a changed medium, QEMU or setup makes a new entry instead of restoring a
 * stale one. Listed and pruned by `bootcheck snapshots`.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SHELL_PROTOCOL } from '../guest/protocol.js'
import { fileChecksum, treeChecksum } from '../media/checksum.js'
import { specMedia } from '../machine/origin.js'
import { readManifest, type SnapshotManifest } from '../machine/snapshot-manifest.js'
import type { QemuIdentity } from '../qemu/identity.js'
import type { MachineSpec } from '../spec/spec.js'
import { cacheRoot } from '../util/cache-root.js'
import { SnapshotError } from '../errors/errors.js'
import { lockOwner, tryLock, unlock } from '../util/lock.js'
import { sleep } from '../util/sleep.js'

/** The folder of cached snapshots: `$BOOTCHECK_SNAPSHOTS`, else `<cache>/snapshots` (see `cacheRoot`). */
export function snapshotCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BOOTCHECK_SNAPSHOTS ?? join(cacheRoot(env), 'snapshots'))
}

/** Spec fields that do not change the saved state (names, timeouts, failure patterns). */
const NOT_IN_KEY = new Set(['name', 'testFile', 'timeout', 'bootTimeout', 'failOn', 'syncClock'])

/**
 * The cache key of a boot-once snapshot: the spec (paths made absolute), the checksum of
 * every medium, kernel and served tree, the QEMU version, machine type and accelerator,
 * `setup` (the user's key, or the source text of the `until` function), and the version
 * of the guest shell's helper functions.
 */
export async function snapshotKey(spec: MachineSpec, qemu: QemuIdentity & { accel: string }, setup: string): Promise<string> {
  const media = await Promise.all(
    specMedia(spec, { cdrom: true }).map(async m => `${m.role}\0${m.path}\0${m.kind === 'tree' ? await treeChecksum(m.path) : await fileChecksum(m.path)}`),
  )
  const fields = Object.fromEntries(Object.entries(spec).filter(([k, v]) => v !== undefined && !NOT_IN_KEY.has(k)))
  const h = createHash('sha256')
  h.update(JSON.stringify({ fields, media, qemu: qemu.version, machine: qemu.aliases.q35 ?? 'q35', accel: qemu.accel, setup, shell: SHELL_PROTOCOL }))
  return h.digest('hex').slice(0, 24)
}

/** Options of {@link ensureCachedSnapshot}. */
export interface EnsureOptions {
  /** Entries made before this time (ms since the epoch) are made again (`bootcheck run --fresh`). */
  freshSince?: number
  /** Told once when another process is making the entry and this one waits. */
  onWait?: (ownerPid: number | undefined) => void
  /** How long to wait for another process making the entry before a SnapshotError (default 30 minutes). */
  maxWaitMs?: number
}

/**
 * The snapshot folder of `key`, made by `make(folder)` when it is missing or older than
 * `freshSince`. Across processes one makes it (holding `<key>.lock`) while the others
 * wait and then use it; a lock whose owner died is taken over.
 */
export async function ensureCachedSnapshot(root: string, key: string, make: (dir: string) => Promise<void>, options: EnsureOptions = {}): Promise<string> {
  const dir = join(root, key)
  const lock = join(root, `${key}.lock`)
  const usable = async (): Promise<boolean> => {
    const m = await readManifest(dir).catch(() => undefined)
    return m !== undefined && (options.freshSince === undefined || Date.parse(m.createdAt) >= options.freshSince)
  }
  let told = false
  const deadline = Date.now() + (options.maxWaitMs ?? 30 * 60_000)
  for (;;) {
    if (await usable()) {
      const now = new Date()
      await utimes(dir, now, now).catch(() => undefined)
      return dir
    }
    await mkdir(root, { recursive: true, mode: 0o700 })
    if (await tryLock(lock)) {
      const temp = join(root, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`)
      try {
        if (await usable()) return dir
        await make(temp)
        await rm(dir, { recursive: true, force: true })
        await rename(temp, dir)
        return dir
      } finally {
        await rm(temp, { recursive: true, force: true })
        await unlock(lock)
      }
    }
    if (!told) {
      told = true
      options.onWait?.(await lockOwner(lock))
    }
    if (Date.now() > deadline) {
      const owner = await lockOwner(lock)
      throw new SnapshotError(
        `The cached snapshot '${dir}' is still being made by ${owner === undefined ? 'another process' : `process ${owner}`} after ${Math.round((options.maxWaitMs ?? 30 * 60_000) / 1000)} s: ` +
          `if that process hangs, end it (or remove '${lock}') and run again`,
      )
    }
    await sleep(250)
  }
}

/** One cached snapshot, as `bootcheck snapshots list` shows it. */
export interface CachedSnapshot {
  /** The cache key: a hash of the spec, its media, the QEMU and the `until` step (or the `key` given). */
  key: string
  /** The snapshot's folder, `<cache>/snapshots/<key>/`. */
  dir: string
  /** The snapshot's name. */
  name: string
  /** The machine it was taken from. */
  machine: string
  /** When it was made (ISO time). */
  createdAt: string
  /** When a test last restored it. */
  usedAt: string
  /** Bytes on disk (the saved state and disk copies). */
  bytes: number
  /** The pid making or replacing it now, if any. */
  lockedBy?: number
}

/** The cached snapshots under `root`, newest use first; folders that are not complete snapshots are left out. */
export async function listCachedSnapshots(root: string = snapshotCacheDir()): Promise<CachedSnapshot[]> {
  const names = await readdir(root).catch(() => [] as string[])
  const out: CachedSnapshot[] = []
  for (const key of names) {
    if (key.startsWith('.') || key.endsWith('.lock')) continue
    const dir = join(root, key)
    let manifest: SnapshotManifest
    try {
      manifest = await readManifest(dir)
    } catch {
      continue
    }
    const st = await stat(dir)
    const lockedBy = await lockOwner(join(root, `${key}.lock`))
    out.push({
      key,
      dir,
      name: manifest.name,
      machine: manifest.machine,
      createdAt: manifest.createdAt,
      usedAt: st.mtime.toISOString(),
      bytes: await folderBytes(dir),
      ...(lockedBy !== undefined ? { lockedBy } : {}),
    })
  }
  return out.sort((a, b) => b.usedAt.localeCompare(a.usedAt))
}

/**
 * Removes cached snapshots (all, or those not used for `unusedForMs`), never one being
 * made, and leftovers of makers that died. Returns what was removed.
 */
export async function pruneCachedSnapshots(options: { root?: string; unusedForMs?: number } = {}): Promise<CachedSnapshot[]> {
  const root = options.root ?? snapshotCacheDir()
  const removed: CachedSnapshot[] = []
  for (const entry of await listCachedSnapshots(root)) {
    if (entry.lockedBy !== undefined) continue
    if (options.unusedForMs !== undefined && Date.now() - Date.parse(entry.usedAt) < options.unusedForMs) continue
    await rm(entry.dir, { recursive: true, force: true })
    removed.push(entry)
  }
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const m = /^\.tmp-(\w+)-(\d+)-/.exec(name)
    if (m && (await lockOwner(join(root, `${m[1]}.lock`))) === undefined) await rm(join(root, name), { recursive: true, force: true })
  }
  return removed
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size
  }
  return total
}

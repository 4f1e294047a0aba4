/**
 * The accelerator decision's cache across processes: a small JSON file keyed by host boot,
 * QEMU binary, `qemu --version` and probe image, and a lock file (`<cache>.lock`) so that
 * one process probes while the others wait for its result.
 */
import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { tmpdir, uptime } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { execa } from 'execa'
import { QemuStartError } from '../errors/errors.js'
import { KILL_GRACE_MS, type AccelDecision } from './accel-policy.js'
import { PROBE_IMAGE_SHA256 } from './probe/index.js'
import type { Accelerator } from './probe-run.js'
import { firstLine } from './text.js'
import { tryLock, unlock } from '../util/lock.js'

const CACHE_FORMAT = 1

/** What a cached decision depends on. */
export interface HostIdentity {
  bootId: string
  qemu: string
  qemuVersion: string
  probe: string
}

interface CacheEntry extends HostIdentity {
  accel: Accelerator
  reason: string
  decidedAt: string
}

interface CacheFileContent {
  format: number
  entries: Record<string, CacheEntry>
}

/** The default cache file: `<os.tmpdir()>/bootcheck-<uid>/accel.json`, in a folder only this user may use. */
export function defaultAccelCacheFile(): string {
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user'
  return join(tmpdir(), `bootcheck-${uid}`, 'accel.json')
}

/**
 * Whether `path` may be trusted as this user's own: it is not a link, belongs to this user
 * and no one else may write it. Another user could plant a cache file in a shared /tmp
 * that says 'kvm' where KVM hangs, or the reverse.
 */
async function ownedByMe(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined)
  const me = typeof process.getuid === 'function' ? process.getuid() : undefined
  return !!st && !st.isSymbolicLink() && (me === undefined || st.uid === me) && (st.mode & 0o022) === 0
}

/** Makes the cache's folder (0700) when missing; whether it is this user's own. */
async function privateFolder(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => undefined)
  return ownedByMe(dir)
}

/** This host boot, the QEMU binary (an absolute path) and its version, the probe image. */
export async function hostIdentity(qemu: string): Promise<HostIdentity> {
  const version = await execa(qemu, ['--version'], { stdin: 'ignore', reject: false, timeout: 15_000 })
  if (version.failed) {
    throw new QemuStartError(`'${qemu} --version' failed: ${firstLine(String(version.stderr)) || version.shortMessage}`, {
      cause: version.cause,
    })
  }
  return { bootId: await bootId(), qemu, qemuVersion: String(version.stdout).trim(), probe: PROBE_IMAGE_SHA256 }
}

async function bootId(): Promise<string> {
  try {
    const id = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()
    if (id) return id
  } catch {
    // not Linux
  }
  // Boot time to the minute.
  return `boot-${Math.round((Date.now() / 1000 - uptime()) / 60)}`
}

/** The cache key of an identity. */
export function cacheKey(identity: HostIdentity): string {
  return createHash('sha256')
    .update(JSON.stringify([identity.bootId, identity.qemu, identity.qemuVersion, identity.probe]))
    .digest('hex')
    .slice(0, 32)
}

async function readCache(file: string): Promise<CacheFileContent> {
  if (!(await ownedByMe(file))) return { format: CACHE_FORMAT, entries: {} }
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFileContent>
    if (parsed && parsed.format === CACHE_FORMAT && parsed.entries && typeof parsed.entries === 'object') {
      return { format: CACHE_FORMAT, entries: parsed.entries }
    }
  } catch {
    // missing or unreadable: start afresh
  }
  return { format: CACHE_FORMAT, entries: {} }
}

async function lookupCache(file: string, key: string): Promise<AccelDecision | undefined> {
  const entry = (await readCache(file)).entries[key]
  if (entry && (entry.accel === 'kvm' || entry.accel === 'tcg') && typeof entry.reason === 'string') {
    return { accel: entry.accel, reason: entry.reason, cached: true }
  }
  return undefined
}

/** Adds the entry (dropping entries of earlier boots) and replaces the file atomically. */
async function writeCache(file: string, key: string, entry: CacheEntry): Promise<void> {
  if (!(await privateFolder(dirname(file)))) return
  const content = await readCache(file)
  for (const [k, e] of Object.entries(content.entries)) if (e?.bootId !== entry.bootId) delete content.entries[k]
  content.entries[key] = entry
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`, { flag: 'wx' })
    await rename(temp, file)
  } catch {
    // The cache is an optimisation only.
    await unlink(temp).catch(() => undefined)
  }
}

/**
 * Cached decision, or a probe. Across processes a lock file (`<cache>.lock`) makes one
 * process probe while the others wait for its result to appear in the cache. A lock whose
 * owner is dead, or older than the wait limit, is taken over.
 */
export async function cachedDecision(
  file: string,
  identity: HostIdentity,
  timeoutMs: number,
  probe: () => Promise<AccelDecision>,
): Promise<AccelDecision> {
  const key = cacheKey(identity)
  // A folder that is not this user's own is not used at all: probe, remember nothing.
  if (!(await privateFolder(dirname(file)))) return probe()
  const hit = await lookupCache(file, key)
  if (hit) return hit

  const lockFile = `${file}.lock`
  // Long enough for a KVM probe plus a TCG comparison probe, and QEMU start-up.
  const waitLimit = 2 * (timeoutMs + KILL_GRACE_MS) + 10_000
  const deadline = Date.now() + waitLimit
  let locked = false
  while (!locked && Date.now() < deadline) {
    locked = await tryLock(lockFile, waitLimit)
    if (locked) break
    await new Promise(r => setTimeout(r, 100))
    const other = await lookupCache(file, key)
    if (other) return other
  }
  try {
    if (locked) {
      const other = await lookupCache(file, key)
      if (other) return other
    }
    const decision = await probe()
    await writeCache(file, key, {
      ...identity,
      accel: decision.accel,
      reason: decision.reason,
      decidedAt: new Date().toISOString(),
    })
    return decision
  } finally {
    if (locked) await unlock(lockFile)
  }
}

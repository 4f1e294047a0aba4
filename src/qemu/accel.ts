/**
 * Chooses QEMU's accelerator: KVM when it really works on this host, TCG otherwise.
 *
 * `/dev/kvm` existing is not enough: on some hosts (e.g. nested virtualisation without
 * hardware support) KVM starts guests but runs them orders of magnitude slower than TCG, so
 * a kernel seems to hang. The decision therefore boots a tiny probe guest (./probe/) with
 * `-accel kvm`: it goes real mode -> protected mode -> long mode, runs a short CPU loop and
 * prints an OK line on COM1. KVM is used only when that finishes within the probe timeout.
 *
 * The decision is cached per host boot, QEMU binary path and `qemu --version` (and probe
 * image) in a small JSON file, so parallel test processes do not each pay for the probe.
 * `BOOTCHECK_ACCEL=kvm|tcg` skips all of this.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { access, mkdtemp, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir, uptime } from 'node:os'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { execa } from 'execa'
import { BootcheckError, QemuStartError } from '../errors/errors.js'
import { track, untrack } from './registry.js'
import {
  PROBE_IMAGE_SHA256,
  PROBE_OK_TEXT,
  describeProbeProgress,
  probeImage,
  probeQemuArgs,
} from './probe/index.js'

export type Accelerator = 'kvm' | 'tcg'

/** Values accepted in `BOOTCHECK_ACCEL` ('auto' = detect, same as unset). */
export const ACCEL_ENV_VALUES = ['kvm', 'tcg', 'auto'] as const

export interface AccelDecision {
  accel: Accelerator
  /**
   * Why, in words, e.g. 'KVM probe booted to long mode in 120 ms',
   * '/dev/kvm present but the KVM probe did not finish within 5 s (got "RPL"): … falling back to TCG'
   * or 'BOOTCHECK_ACCEL=tcg'.
   */
  reason: string
  /** True when the decision came from the cache file (or another process's probe). */
  cached: boolean
  /** The probe boots this call ran (absent when none ran). */
  probes?: ProbeResult[]
}

export interface DetectOptions {
  /** QEMU binary, a name looked up in PATH or a path (default 'qemu-system-x86_64'). */
  qemu?: string
  /** Probe timeout in ms (default 5000). */
  timeoutMs?: number
  /** Cache file (default `<os.tmpdir()>/bootcheck-accel-<uid>.json`); null disables the cache. */
  cacheFile?: string | null
  /** Environment for BOOTCHECK_ACCEL and PATH (default process.env). */
  env?: NodeJS.ProcessEnv
  /** KVM device node (default '/dev/kvm'); for tests. */
  kvmDevice?: string
}

export interface ProbeOptions {
  /** QEMU binary (default 'qemu-system-x86_64'). */
  qemu?: string
  /** Kill the probe QEMU (by pid, SIGKILL) after this many ms (default 5000). */
  timeoutMs?: number
  /** Environment for PATH lookup and QEMU (default process.env). */
  env?: NodeJS.ProcessEnv
}

export interface ProbeResult {
  accel: Accelerator
  /** The probe printed its OK line. */
  ok: boolean
  /** What the probe printed on COM1, e.g. 'RPL....BOOTCHECK-PROBE-OK\n' or 'RP'. */
  output: string
  /** ms from starting QEMU until the OK line (or until QEMU ended / was killed). */
  ms: number
  /** QEMU's exit status when it exited by itself (33 after the probe's isa-debug-exit write). */
  exitCode?: number
  /** Signal that ended QEMU, e.g. 'SIGKILL' after the timeout. */
  signal?: string
  /** The probe was killed at the timeout. */
  timedOut: boolean
  /** Pid of the probe QEMU (it has exited when runProbe returns). */
  pid?: number
  /** QEMU's stderr (warnings, errors). */
  stderr: string
}

const DEFAULT_QEMU = 'qemu-system-x86_64'
const DEFAULT_TIMEOUT_MS = 5000
/** A KVM probe slower than this is compared against a TCG probe. */
const SLOW_KVM_MS = 1500
/** How long to wait for a killed probe QEMU to be reaped. */
const KILL_GRACE_MS = 5000
const CACHE_FORMAT = 1

/** The default cache file: `<os.tmpdir()>/bootcheck-accel-<uid>.json`. */
export function defaultAccelCacheFile(): string {
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user'
  return join(tmpdir(), `bootcheck-accel-${uid}.json`)
}

/**
 * Finds the QEMU binary: a name is looked up in PATH, a path is used as is (made absolute).
 * Throws {@link QemuStartError} with an install hint when there is none.
 */
export async function resolveQemuBinary(qemu: string = DEFAULT_QEMU, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates = qemu.includes('/')
    ? [resolve(qemu)]
    : (env.PATH ?? process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map(dir => join(dir, qemu))
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) {
        await access(candidate, fsConstants.X_OK)
        return candidate
      }
    } catch {
      // not this one
    }
  }
  throw missingQemu(qemu)
}

function missingQemu(qemu: string, cause?: unknown): QemuStartError {
  return new QemuStartError(
    `QEMU binary '${qemu}' not found: install it (Debian: apt-get install qemu-system-x86)`,
    cause === undefined ? undefined : { cause },
  )
}

/**
 * Boots the probe image with the given accelerator and reports whether it printed its OK
 * line from long mode in time. QEMU is killed by pid (SIGKILL) at the timeout and the
 * temporary disk image is removed; when this resolves QEMU has been reaped.
 */
export async function runProbe(accel: Accelerator, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const env = opts.env ?? process.env
  const qemuName = opts.qemu ?? DEFAULT_QEMU
  const qemu = await resolveQemuBinary(qemuName, env)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-probe-'))
  try {
    const image = join(dir, 'probe.img')
    await writeFile(image, probeImage())

    const started = performance.now()
    const sub = execa(qemu, probeQemuArgs(accel, image), {
      env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
    })
    const pid = sub.pid
    if (pid !== undefined) track(pid, `accelerator probe (${accel})`)

    let output = ''
    let stderr = ''
    let okMs: number | undefined
    sub.stdout?.setEncoding('utf8')
    sub.stderr?.setEncoding('utf8')
    sub.stdout?.on('data', (chunk: string) => {
      output += chunk
      if (okMs === undefined && output.includes(PROBE_OK_TEXT)) okMs = performance.now() - started
    })
    sub.stderr?.on('data', (chunk: string) => {
      stderr += chunk
    })

    let timedOut = false
    let graceTimer: NodeJS.Timeout | undefined
    const gaveUp = new Promise<'gave-up'>(resolveGaveUp => {
      graceTimer = setTimeout(() => resolveGaveUp('gave-up'), timeoutMs + KILL_GRACE_MS)
    })
    const killTimer = setTimeout(() => {
      timedOut = true
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }, timeoutMs)

    let outcome: Awaited<typeof sub> | 'gave-up'
    try {
      outcome = await Promise.race([sub, gaveUp])
    } finally {
      clearTimeout(killTimer)
      clearTimeout(graceTimer)
    }
    const endMs = performance.now() - started

    if (outcome === 'gave-up') {
      // Still not reaped after SIGKILL: leave it registered so it is killed again at exit.
      return { accel, ok: false, output, ms: Math.round(endMs), timedOut: true, signal: 'SIGKILL', stderr, ...(pid === undefined ? {} : { pid }) }
    }
    if (pid !== undefined) untrack(pid)
    if ((outcome.failed && (outcome as { code?: string }).code === 'ENOENT') || pid === undefined) {
      throw missingQemu(qemuName, outcome.cause)
    }

    const ok = output.includes(PROBE_OK_TEXT)
    const result: ProbeResult = { accel, ok, output, ms: Math.round(okMs ?? endMs), timedOut: timedOut && !ok, pid, stderr }
    if (typeof outcome.exitCode === 'number') result.exitCode = outcome.exitCode
    if (outcome.signal) result.signal = outcome.signal
    return result
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Decides between KVM and TCG:
 * `BOOTCHECK_ACCEL` if set; TCG when /dev/kvm is missing or not read/writable; otherwise
 * the cached probe result for this boot + QEMU binary, or a fresh KVM probe boot.
 */
export async function detectAccelerator(opts: DetectOptions = {}): Promise<AccelDecision> {
  const env = opts.env ?? process.env
  const override = accelFromEnv(env)
  if (override) return { accel: override, reason: `BOOTCHECK_ACCEL=${override}`, cached: false }

  const qemuName = opts.qemu ?? DEFAULT_QEMU
  const qemu = await resolveQemuBinary(qemuName, env)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS

  const kvmDevice = opts.kvmDevice ?? '/dev/kvm'
  const unusable = await kvmUnusable(kvmDevice)
  if (unusable) return { accel: 'tcg', reason: `${unusable}: using TCG`, cached: false }

  const cacheFile = opts.cacheFile === undefined ? defaultAccelCacheFile() : opts.cacheFile
  const identity = await hostIdentity(qemu)
  const key = cacheKey(identity)
  const flightKey = `${cacheFile ?? ''}\0${key}\0${kvmDevice}`
  let flight = inFlight.get(flightKey)
  if (!flight) {
    const probe = () => probeDecision(qemu, { timeoutMs, env })
    flight = (cacheFile === null ? probe() : cachedDecision(cacheFile, key, identity, timeoutMs, probe)).finally(() =>
      inFlight.delete(flightKey),
    )
    inFlight.set(flightKey, flight)
  }
  return flight
}

/** Probes in progress in this process, so concurrent callers share one. */
const inFlight = new Map<string, Promise<AccelDecision>>()

function accelFromEnv(env: NodeJS.ProcessEnv): Accelerator | undefined {
  const raw = env.BOOTCHECK_ACCEL
  if (raw === undefined || raw.trim() === '') return undefined
  const value = raw.trim().toLowerCase()
  if (value === 'kvm' || value === 'tcg') return value
  if (value === 'auto') return undefined
  throw new BootcheckError(
    `Invalid BOOTCHECK_ACCEL=${JSON.stringify(raw)}: valid values are ${ACCEL_ENV_VALUES.join(', ')} (auto or unset = detect)`,
  )
}

/** Why KVM cannot be used at all, or undefined when the device is there and usable. */
async function kvmUnusable(device: string): Promise<string | undefined> {
  try {
    await access(device, fsConstants.R_OK | fsConstants.W_OK)
    return undefined
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return `no ${device} (KVM not available on this host)`
    const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : ''
    return `${device} is not readable and writable by this user${uid}; add the user to the group owning it (usually 'kvm') to use KVM`
  }
}

async function probeDecision(qemu: string, opts: { timeoutMs: number; env: NodeJS.ProcessEnv }): Promise<AccelDecision> {
  const kvm = await runProbe('kvm', { qemu, timeoutMs: opts.timeoutMs, env: opts.env })
  if (!kvm.ok) {
    const how = kvm.timedOut
      ? `did not finish within ${seconds(opts.timeoutMs)}`
      : `ended early (${kvm.exitCode !== undefined ? `exit status ${kvm.exitCode}` : (kvm.signal ?? 'unknown')})`
    const qemuSaid = !kvm.timedOut && firstLine(kvm.stderr) ? `, QEMU said: ${firstLine(kvm.stderr)}` : ''
    return {
      accel: 'tcg',
      reason:
        `/dev/kvm present but the KVM probe ${how} (got ${JSON.stringify(visible(kvm.output))}): ` +
        `it ${describeProbeProgress(kvm.output)}${qemuSaid}; falling back to TCG`,
      cached: false,
      probes: [kvm],
    }
  }
  if (kvm.ms <= SLOW_KVM_MS) {
    return { accel: 'kvm', reason: `KVM probe booted to long mode in ${kvm.ms} ms`, cached: false, probes: [kvm] }
  }
  // Finished, but slowly: only worth it if it beats emulation.
  const tcg = await runProbe('tcg', { qemu, timeoutMs: opts.timeoutMs, env: opts.env })
  if (tcg.ok && tcg.ms < kvm.ms) {
    return {
      accel: 'tcg',
      reason: `the KVM probe booted to long mode but took ${kvm.ms} ms, the TCG probe only ${tcg.ms} ms: KVM is too slow here, falling back to TCG`,
      cached: false,
      probes: [kvm, tcg],
    }
  }
  return {
    accel: 'kvm',
    reason: `KVM probe booted to long mode in ${kvm.ms} ms (slow, but TCG ${tcg.ok ? `took ${tcg.ms} ms` : 'failed'})`,
    cached: false,
    probes: [kvm, tcg],
  }
}

// ---------------------------------------------------------------------------------------
// Cache

interface HostIdentity {
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

async function hostIdentity(qemu: string): Promise<HostIdentity> {
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

function cacheKey(identity: HostIdentity): string {
  return createHash('sha256')
    .update(JSON.stringify([identity.bootId, identity.qemu, identity.qemuVersion, identity.probe]))
    .digest('hex')
    .slice(0, 32)
}

async function readCache(file: string): Promise<CacheFileContent> {
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
 * process probe while the others wait for its result to appear in the cache.
 */
async function cachedDecision(
  file: string,
  key: string,
  identity: HostIdentity,
  timeoutMs: number,
  probe: () => Promise<AccelDecision>,
): Promise<AccelDecision> {
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
    if (locked) await unlink(lockFile).catch(() => undefined)
  }
}

/** Creates the lock file exclusively; removes a stale one (dead owner, or too old) first. */
async function tryLock(lockFile: string, maxAgeMs: number): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx')
    try {
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }))
    } finally {
      await handle.close()
    }
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false
  }
  try {
    const [text, st] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile)])
    let pid: number | undefined
    try {
      pid = (JSON.parse(text) as { pid?: number }).pid
    } catch {
      // being written, or garbage: judged by age
    }
    const tooOld = Date.now() - st.mtimeMs > maxAgeMs
    const ownerDead = typeof pid === 'number' && pid !== process.pid && !processAlive(pid)
    if (tooOld || ownerDead) await unlink(lockFile).catch(() => undefined)
  } catch {
    // vanished meanwhile
  }
  return false
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// ---------------------------------------------------------------------------------------
// Text helpers

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`
}

function firstLine(text: string): string {
  return text.split('\n').map(l => l.trim()).find(Boolean) ?? ''
}

/** Probe output without control characters, for quoting in a reason. */
function visible(output: string): string {
  return output.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '').trim()
}

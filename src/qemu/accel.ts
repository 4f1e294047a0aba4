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
 *
 * The parts: binary.ts (finding QEMU), probe-run.ts (one probe boot), accel-policy.ts (the
 * decision, given a probe), accel-cache.ts (the cache file and its lock).
 */
import { BootcheckError } from '../errors/errors.js'
import { cachedDecision, defaultAccelCacheFile, hostIdentity, cacheKey } from './accel-cache.js'
import { decideFromProbes, kvmUnusable, noKvmDecision, type AccelDecision } from './accel-policy.js'
import { DEFAULT_QEMU, resolveQemuBinary } from './binary.js'
import { DEFAULT_PROBE_TIMEOUT_MS, runProbe, type Accelerator } from './probe-run.js'

export { defaultAccelCacheFile } from './accel-cache.js'
export type { AccelDecision } from './accel-policy.js'
export { resolveQemuBinary } from './binary.js'
export { runProbe, type Accelerator, type ProbeOptions, type ProbeResult } from './probe-run.js'

/** Values accepted in `BOOTCHECK_ACCEL` ('auto' = detect, same as unset). */
export const ACCEL_ENV_VALUES = ['kvm', 'tcg', 'auto'] as const

export interface DetectOptions {
  /** QEMU binary, a name looked up in PATH or a path (default 'qemu-system-x86_64'). */
  qemu?: string
  /** Probe timeout in ms (default 5000). */
  timeoutMs?: number
  /** Cache file (default `<os.tmpdir()>/bootcheck-<uid>/accel.json`, a 0700 folder of this user); null disables the cache. */
  cacheFile?: string | null
  /** Environment for BOOTCHECK_ACCEL and PATH (default process.env). */
  env?: NodeJS.ProcessEnv
  /** KVM device node (default '/dev/kvm'); for tests. */
  kvmDevice?: string
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
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS

  const kvmDevice = opts.kvmDevice ?? '/dev/kvm'
  const unusable = await kvmUnusable(kvmDevice)
  if (unusable) return noKvmDecision(unusable)

  const cacheFile = opts.cacheFile === undefined ? defaultAccelCacheFile() : opts.cacheFile
  const identity = await hostIdentity(qemu)
  const flightKey = `${cacheFile ?? ''}\0${cacheKey(identity)}\0${kvmDevice}`
  let flight = inFlight.get(flightKey)
  if (!flight) {
    const probe = () =>
      decideFromProbes({ timeoutMs, probe: (accel, ms) => runProbe(accel, { qemu, timeoutMs: ms, env }) })
    flight = (cacheFile === null ? probe() : cachedDecision(cacheFile, identity, timeoutMs, probe)).finally(() =>
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

/**
 * The accelerator decision itself, given a way to boot the probe: TCG when the KVM device
 * is missing or unusable, KVM when the KVM probe reaches long mode quickly, and when it is
 * slow, whichever of KVM and TCG boots the probe faster. The probe is an argument, so the
 * policy can be exercised with a fake one.
 */
import { constants as fsConstants } from 'node:fs'
import { access } from 'node:fs/promises'
import { describeProbeProgress } from './probe/index.js'
import type { Accelerator, ProbeResult } from './probe-run.js'
import { firstLine, seconds, visible } from './text.js'

export interface AccelDecision {
  /** The accelerator chosen: `kvm` or `tcg`. */
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

/** Boots the probe with `accel`, killing it after `timeoutMs`. */
export type ProbeRunner = (accel: Accelerator, timeoutMs: number) => Promise<ProbeResult>

export interface PolicyOptions {
  /** Runs one probe boot. */
  probe: ProbeRunner
  /** The probe timeout in ms. */
  timeoutMs: number
  /** KVM device node (default '/dev/kvm'). */
  kvmDevice?: string
  /**
   * How long after `timeoutMs` a probe that has not returned is given up on (its QEMU was
   * killed at the timeout but not reaped); default 5000.
   */
  hangGraceMs?: number
}

/** A KVM probe slower than this is compared against a TCG probe. */
export const SLOW_KVM_MS = 1500
/** How long to wait for a killed probe QEMU to be reaped. */
export const KILL_GRACE_MS = 5000

/** Why KVM cannot be used at all, or undefined when the device is there and usable. */
export async function kvmUnusable(device: string): Promise<string | undefined> {
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

/** The decision when the KVM device cannot be used (`why` from {@link kvmUnusable}). */
export function noKvmDecision(why: string): AccelDecision {
  return { accel: 'tcg', reason: `${why}: using TCG`, cached: false }
}

/** Checks the KVM device, then boots the probe (see the module comment). */
export async function decideAccelerator(opts: PolicyOptions): Promise<AccelDecision> {
  const device = opts.kvmDevice ?? '/dev/kvm'
  const unusable = await kvmUnusable(device)
  if (unusable) return noKvmDecision(unusable)
  return decideFromProbes(opts)
}

/** The decision from probe boots alone (the KVM device is known to be usable). */
export async function decideFromProbes(opts: PolicyOptions): Promise<AccelDecision> {
  const { timeoutMs } = opts
  const grace = opts.hangGraceMs ?? KILL_GRACE_MS
  const kvm = await probeWithin(opts.probe, 'kvm', timeoutMs, grace)
  if (!kvm.ok) {
    const how = kvm.timedOut
      ? `did not finish within ${seconds(timeoutMs)}`
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
  const tcg = await probeWithin(opts.probe, 'tcg', timeoutMs, grace)
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

/**
 * Runs the probe; one that has not returned `graceMs` after its timeout (QEMU killed but
 * never reaped, say) counts as timed out. Errors of the probe (a missing QEMU) propagate.
 */
async function probeWithin(probe: ProbeRunner, accel: Accelerator, timeoutMs: number, graceMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined
  const limit = timeoutMs + graceMs
  const hung = new Promise<ProbeResult>(resolve => {
    timer = setTimeout(() => resolve({ accel, ok: false, output: '', ms: limit, timedOut: true, stderr: '' }), limit)
  })
  const running = probe(accel, timeoutMs)
  running.catch(() => undefined) // a late failure after giving up is not an unhandled rejection
  try {
    return await Promise.race([running, hung])
  } finally {
    clearTimeout(timer)
  }
}

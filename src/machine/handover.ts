/**
 * A handover: the system under test replaces itself (kexec into a new kernel, switch-root
 * into a new root, or a reset into a new boot) and a new shell comes up. The facts read
 * before and after (the kernel's boot id, PID 1's program, the root's identity) and QEMU's
 * `RESET` events say which of the three it was. The classification is pure.
 * @module
 */

/** How a system replaced itself. */
export type HandoverKind = 'kexec' | 'switch-root' | 'reset'

/** What the guest shell reports about the running system. */
export interface SystemFacts {
  /** `/proc/sys/kernel/random/boot_id`: new with every kernel start (a reset or a kexec). */
  bootId: string
  /** PID 1's command line. */
  init: string
  /** The root directory's device and inode (`stat -c %d:%i /`). */
  root: string
}

/** The result of `vm.handover()`. */
export interface HandoverResult {
  /** How the next system came: `kexec`, `switch-root` or `reset`. */
  kind: HandoverKind
  /** The running system's facts before the trigger. */
  before: SystemFacts
  /** The next system's facts once its shell answered. */
  after: SystemFacts
  /** Milliseconds from the trigger to the new system's shell. */
  durationMs: number
}

/** The shell command that prints {@link SystemFacts}, one per line. */
export const FACTS_COMMAND = `cat /proc/sys/kernel/random/boot_id; tr '\\0' ' ' </proc/1/cmdline; echo; stat -c %d:%i /`

/** Parses {@link FACTS_COMMAND}'s output. Pure. */
export function parseFacts(output: string): SystemFacts {
  const [bootId = '', init = '', root = ''] = output.split('\n').map(l => l.trim())
  return { bootId, init, root }
}

/**
 * Which handover happened: QEMU reported a reset (firmware ran again) → `reset`; no reset
 * but a new kernel boot id → `kexec` (Linux started the next kernel itself); the same
 * kernel → `switch-root`. Pure.
 */
export function classifyHandover(resetSeen: boolean, before: SystemFacts, after: SystemFacts): HandoverKind {
  if (resetSeen) return 'reset'
  return before.bootId !== after.bootId ? 'kexec' : 'switch-root'
}

/**
 * Mounting a machine's 9p shares in the guest: the command (pure) and what its failure
 * means. The machine runs it before its first command in each boot.
 * @module
 */
import { ShareError } from '../errors/errors.js'
import { shQuote } from '../guest/protocol.js'
import type { PlannedShare } from './plan.js'

/** The exit status of {@link mountCommand} when the guest kernel has no 9p. */
export const NO_9P_STATUS = 3

/**
 * Mounts `share` at its guest path unless it is mounted there already; exits
 * {@link NO_9P_STATUS} when the kernel has no 9p file system (after trying `modprobe`).
 */
export function mountCommand(share: PlannedShare): string {
  const guest = shQuote(share.guest)
  const options = `trans=virtio,version=9p2000.L,msize=262144${share.readOnly ? ',ro' : ''}`
  return (
    `grep -qw 9p /proc/filesystems || modprobe -q 9pnet_virtio 9p 2>/dev/null; ` +
    `grep -qw 9p /proc/filesystems || exit ${NO_9P_STATUS}; ` +
    // Every part quoted: a guest path is never shell text (a fixed-string search, no $()).
    `grep -qF ${shQuote(`${share.tag} ${share.guest} 9p `)} /proc/mounts || { mkdir -p ${guest} && mount -t 9p -o ${options} ${share.tag} ${guest}; }`
  )
}

/** The error for a failed {@link mountCommand}. */
export function mountError(machine: string, share: PlannedShare, status: number, output: string): ShareError {
  if (status === NO_9P_STATUS) {
    return new ShareError(
      `${machine}: the guest kernel has no 9p file system, so the share '${share.host}' cannot be mounted at ${share.guest}: ` +
        'build 9p and 9pnet_virtio into its kernel or initrd (the demo media list them in vm-configs/debian/contract.ts OPTIONAL_MODULES), or drop shares from the spec.',
    )
  }
  return new ShareError(`${machine}: mounting the share '${share.host}' at ${share.guest} failed (status ${status}):\n${output.trim().split('\n').map(l => `  | ${l}`).join('\n')}`)
}

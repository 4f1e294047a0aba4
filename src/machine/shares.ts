/**
 * Mounting a machine's 9p shares in the guest: the command (pure) and what its failure
 * means. The machine runs it before its first command in each boot.
 * @module
 */
import { ShareError } from '../errors/errors.js'
import { shQuote } from '../guest/protocol.js'
import type { PlannedShare } from './plan.js'
import { quoteLines } from '../util/quote.js'

/** The exit status of {@link mountCommand} when the guest kernel has no 9p. */
export const NO_9P_STATUS = 3

/** The kernel modules 9p needs, loaded in this order when the file system is missing. */
export const NINE_P_MODULES = ['9pnet_virtio', '9p'] as const

/**
 * Mounts `share` at its guest path unless it is mounted there already. When the kernel
 * has no 9p file system it loads {@link NINE_P_MODULES} one `modprobe` each (one call with
 * two names would take the second for a parameter of the first), and when 9p is still
 * missing prints what each `modprobe` answered and whether the running kernel has a modules
 * folder, then exits {@link NO_9P_STATUS}.
 */
export function mountCommand(share: PlannedShare): string {
  const guest = shQuote(share.guest)
  const options = `trans=virtio,version=9p2000.L,msize=262144${share.readOnly ? ',ro' : ''}`
  const load = NINE_P_MODULES.map(m => `echo "modprobe ${m}: $(modprobe ${m} 2>&1 && echo loaded)"`).join('; ')
  const modules = 'k=$(uname -r); echo "kernel $k, /lib/modules/$k: $([ -d /lib/modules/$k ] && echo present || echo missing)"'
  return (
    `if ! grep -qw 9p /proc/filesystems; then ${load}; grep -qw 9p /proc/filesystems || { ${modules}; exit ${NO_9P_STATUS}; }; fi; ` +
    // Every part quoted: a guest path is never shell text (a fixed-string search, no $()).
    `grep -qF ${shQuote(`${share.tag} ${share.guest} 9p `)} /proc/mounts || { mkdir -p ${guest} && mount -t 9p -o ${options} ${share.tag} ${guest}; }`
  )
}

/** The error for a failed {@link mountCommand}. */
export function mountError(machine: string, share: PlannedShare, status: number, output: string): ShareError {
  if (status === NO_9P_STATUS) {
    return new ShareError(
      `${machine}: the guest kernel has no 9p file system, so the share '${share.host}' cannot be mounted at ${share.guest}. ` +
        `Tried: ${NINE_P_MODULES.map(m => `modprobe ${m}`).join(', ')}; the guest answered:\n${quoteOutput(output)}\n` +
        'Build 9p and 9pnet_virtio into its kernel or initrd, or ship them as modules (the demo media list them in vm-configs/debian/contract.ts OPTIONAL_MODULES), or drop shares from the spec.',
    )
  }
  return new ShareError(`${machine}: mounting the share '${share.host}' at ${share.guest} failed (status ${status}):\n${quoteOutput(output)}`)
}

/** Guest output quoted line by line under an error message. */
function quoteOutput(output: string): string {
  return quoteLines((output.trim() || '(nothing)').split('\n'))
}

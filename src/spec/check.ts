import { totalmem } from 'node:os'
import { SpecError } from '../errors/errors.js'
import { checkArchSpec } from './check-arch.js'
import { fieldProblem } from './fields.js'
import { DEFAULT_MEMORY, parseMemory, RESTORE_FIELDS, type MachineSpec } from './spec.js'

/** What {@link checkSpec} read out of a spec on its way, for the launch plan to use as it is. */
export interface CheckedSpec {
  /** The memory in MiB (`memory` parsed, or the default); undefined for a restore, which has its snapshot's. */
  memoryMiB: number | undefined
}

/**
 * Checks a machine spec for contradictions and bad values before anything starts: throws a
 * {@link SpecError} naming the field. Pure; files are checked later, when they are opened.
 * Returns what it parsed (the memory), so nothing is parsed twice.
 */
export function checkSpec(spec: MachineSpec): CheckedSpec {
  // Every field's type, enum and bounds first (fields.ts), so the checks below see sound values.
  const problem = fieldProblem(spec)
  if (problem) throw new SpecError(`boot: ${problem}`)
  if (spec.from !== undefined) {
    checkRestoreSpec(spec)
    return { memoryMiB: undefined }
  }
  if (spec.syncClock) throw new SpecError('boot: syncClock is for a machine restored from a snapshot (with from)')
  const memoryMiB = parseMemory(spec.memory ?? DEFAULT_MEMORY)
  checkArchSpec(spec, memoryMiB)
  checkNics(spec)
  const netNics = (spec.nics ?? []).filter(n => n !== 'user')
  const netBootsFromNic = spec.bootFrom === 'net' && netNics.length > 0 && !spec.pxe && !spec.ipxe
  if (!spec.cdrom && !spec.usb && !spec.sd && !spec.disks?.length && !spec.kernel && !spec.pxe && !spec.ipxe && !netBootsFromNic) {
    throw new SpecError("boot: nothing to boot; give cdrom, usb, disks, kernel, pxe or ipxe (or nics with bootFrom: 'net')")
  }
  if (spec.pxe && spec.ipxe) throw new SpecError('boot: give pxe or ipxe, not both (one NIC boots one way)')
  if ((spec.pxe || spec.ipxe) && spec.kernel) {
    throw new SpecError(`boot: kernel (a direct kernel boot) and ${spec.pxe ? 'pxe' : 'ipxe'} (a network boot) exclude each other`)
  }
  if (spec.pxe && spec.kernelParams?.length && !spec.cdrom && !spec.usb) {
    throw new SpecError(
      'boot: with pxe the kernel command line comes from the boot loader fetched over TFTP; ' +
        "lay your own configuration over the root, e.g. overlay: { 'pxelinux.cfg/default': … }",
    )
  }
  if (spec.bootFrom === 'net' && !spec.pxe && !spec.ipxe && netNics.length === 0) throw new SpecError("boot: bootFrom 'net' needs pxe, ipxe or a network in nics")
  if (spec.initrd && !spec.kernel) throw new SpecError('boot: initrd given without kernel')
  if ((spec.kernelParams?.length || spec.bootEntry) && !spec.kernel && !spec.cdrom && !spec.usb && !spec.ipxe) {
    throw new SpecError('boot: kernelParams need a kernel, or an ISO (cdrom or usb) whose boot entry they extend')
  }
  if (spec.cpus !== undefined && (!Number.isInteger(spec.cpus) || spec.cpus < 1)) {
    throw new SpecError(`boot: cpus must be a positive integer, got ${spec.cpus}`)
  }
  if (spec.memory !== undefined) {
    const host = Math.floor(totalmem() / 2 ** 20)
    if (memoryMiB > host) throw new SpecError(`boot: memory ${JSON.stringify(spec.memory)} is more than this host has (${host} MiB)`)
  }
  const ids = new Set<string>()
  spec.disks?.forEach((d, i) => {
    if (typeof d === 'string') return
    if (d.id !== undefined && ids.has(d.id)) throw new SpecError(`boot: disks[${i}].id '${d.id}' is used twice; device ids must be unique`)
    if (d.id !== undefined) ids.add(d.id)
    if ((d.image === undefined) === (d.size === undefined)) throw new SpecError(`boot: disks[${i}] needs image (a disk image) or size (a blank disk), not ${d.image === undefined ? 'neither' : 'both'}`)
    if (d.size !== undefined && !/^\d+(\.\d+)?[KMGT]$/.test(d.size)) throw new SpecError(`boot: disks[${i}].size: write it like '2G' or '512M', got ${JSON.stringify(d.size)}`)
  })
  checkShares(spec)
  checkNameAndTimeouts(spec)
  return { memoryMiB }
}

/** Shares: a host folder each, an absolute and distinct guest path. */
function checkShares(spec: MachineSpec): void {
  const seen = new Set<string>()
  spec.shares?.forEach((share, i) => {
    if (typeof share?.host !== 'string' || share.host.length === 0) throw new SpecError(`boot: shares[${i}].host must be a host folder, got ${JSON.stringify(share?.host)}`)
    const guest = share.guest
    if (typeof guest !== 'string' || !guest.startsWith('/')) {
      throw new SpecError(`boot: shares[${i}].guest must be an absolute path in the guest (where the share is mounted), got ${JSON.stringify(guest)}`)
    }
    if (guest === '/' || !/^[\w./+@:=-]+$/.test(guest) || guest.split('/').includes('..')) {
      throw new SpecError(`boot: shares[${i}].guest: ${JSON.stringify(guest)} cannot be a mount point (not '/', no '..', no spaces, quotes or shell characters such as $ \` ; |)`)
    }
    const norm = guest.replace(/\/+$/, '')
    if (seen.has(norm)) throw new SpecError(`boot: shares[${i}].guest: two shares are mounted at ${norm}`)
    seen.add(norm)
  })
}

/** A spec with `from`: only the fields a restored machine may set. */
function checkRestoreSpec(spec: MachineSpec): void {
  const dir = typeof spec.from === 'string' ? spec.from : spec.from?.dir
  if (typeof dir !== 'string' || dir.length === 0) throw new SpecError('boot: from must be a snapshot (as vm.snapshot() returns it) or its folder')
  const allowed: readonly string[] = RESTORE_FIELDS
  const extra = Object.entries(spec)
    .filter(([k, v]) => v !== undefined && !allowed.includes(k))
    .map(([k]) => k)
  if (extra.length) {
    throw new SpecError(
      `boot: ${extra.join(', ')} cannot be given with from: a restored machine has the media, memory and devices of its snapshot (allowed besides: ${RESTORE_FIELDS.filter(f => f !== 'from').join(', ')})`,
    )
  }
  // A failure capsule's networks and shared folders, given again (see docs/capsules.md).
  checkNics(spec)
  checkShares(spec)
  checkNameAndTimeouts(spec)
}

/** `nics`: networks or `'user'`, each at most once. */
function checkNics(spec: MachineSpec): void {
  if (spec.nics === undefined) return
  if (!Array.isArray(spec.nics)) throw new SpecError('boot: nics must be an array of networks (from network(t, …)) or \'user\'')
  const seen = new Set<string>()
  spec.nics.forEach((n, i) => {
    if (n !== 'user' && (typeof n !== 'object' || n === null || typeof n.name !== 'string' || typeof n.socketDir !== 'string')) {
      throw new SpecError(`boot: nics[${i}] is neither a network from network(t, …) nor 'user': ${JSON.stringify(n)}`)
    }
    const key = n === 'user' ? 'user' : n.name
    if (seen.has(key)) throw new SpecError(`boot: nics names ${n === 'user' ? "'user'" : `network '${key}'`} twice; a machine joins a network once`)
    seen.add(key)
  })
  if ((spec.pxe || spec.ipxe) && spec.nics.includes('user')) throw new SpecError(`boot: ${spec.pxe ? 'pxe' : 'ipxe'} already gives the machine a user-network NIC (net0); leave 'user' out of nics`)
}

function checkNameAndTimeouts(spec: MachineSpec): void {
  if (spec.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(spec.name)) {
    throw new SpecError(`boot: name may hold letters, digits, '.', '_' and '-' only, got ${JSON.stringify(spec.name)}`)
  }
  for (const [field, value] of [['timeout', spec.timeout], ['bootTimeout', spec.bootTimeout]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new SpecError(`boot: ${field} must be a positive number of milliseconds, got ${value}`)
  }
}

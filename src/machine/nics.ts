/**
 * A running machine's network cards: pulling and plugging their cables (QMP `set_link`)
 * and forwarding a host port to the guest through QEMU's user network (`hostfwd_add`).
 * @module
 */
import { createServer } from 'node:net'
import { NetworkError } from '../errors/errors.js'
import type { PlanNic } from '../qemu/argv.js'
import type { QmpClient } from '../qmp/client.js'

/** A machine's network card, as `vm.nics` lists it. */
export interface NicInfo {
  /** QEMU's device id: `nic-<network>` or `nic-user`. */
  id: string
  /** The network's name, or `'user'`. */
  network: string
  /** Its MAC address, `stableMac(machine, network)` (the same in every run). */
  mac: string
}

/** What a plan's NICs look like to a test. */
export function nicInfos(nics: readonly PlanNic[] | undefined): NicInfo[] {
  return (nics ?? []).map(n => ({ id: n.id, network: n.id.replace(/^nic-/, ''), mac: n.mac }))
}

/** Finds a NIC by network name or device id; a {@link NetworkError} naming the NICs there are otherwise. */
export function findNic(machine: string, nics: readonly NicInfo[], nameOrId: string): NicInfo {
  const nic = nics.find(n => n.network === nameOrId || n.id === nameOrId)
  if (nic) return nic
  const have = nics.map(n => `'${n.network}'`).join(', ') || 'none'
  const hint = nameOrId === 'user' ? "; add 'user' to its nics for QEMU's user network" : ''
  throw new NetworkError(`${machine} has no NIC on '${nameOrId}' (its NICs: ${have})${hint}`)
}

/**
 * The guest shell command that lists its network interfaces, one `name mac` line each
 * (from `/sys/class/net`, which every Linux has; no `ip` needed).
 */
export const LIST_INTERFACES = 'for i in /sys/class/net/*; do echo "${i##*/} $(cat $i/address)"; done'

/**
 * The guest's interface for `nic`, from the output of {@link LIST_INTERFACES}: the one with
 * its MAC address. A {@link NetworkError} naming the interfaces there are otherwise (the
 * guest's kernel has no driver for the card, or it was renamed away).
 */
export function interfaceOf(machine: string, nic: NicInfo, listing: string): string {
  const interfaces = listing
    .split('\n')
    .map(l => l.trim().split(/\s+/))
    .filter(f => f.length === 2) as Array<[string, string]>
  const found = interfaces.find(([, mac]) => mac.toLowerCase() === nic.mac.toLowerCase())
  if (found) return found[0]
  const have = interfaces.map(([name, mac]) => `${name} ${mac}`).join(', ') || 'none'
  throw new NetworkError(
    `${machine} has no interface with MAC ${nic.mac}, its NIC on '${nic.network}' (the guest has: ${have}): does its kernel have the card's driver (virtio_net) loaded?`,
  )
}

/** Sets a NIC's link up or down (the guest sees its carrier change). */
export async function setLink(qmp: QmpClient, nic: NicInfo, up: boolean): Promise<void> {
  await qmp.execute('set_link', { name: nic.id, up })
}

/** Options of `vm.forwardPort`. */
export interface ForwardPortOptions {
  /** The guest's port. */
  guest: number
  /** The host port on 127.0.0.1. Default: a free one. */
  host?: number
  /** Default `'tcp'`. */
  protocol?: 'tcp' | 'udp'
}

/** A free TCP port on 127.0.0.1 (the kernel's pick; free when this returns). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/**
 * Forwards 127.0.0.1:`host` to the guest's `guest` port through the user-network NIC
 * (HMP `hostfwd_add`, which QMP lacks). Returns the host port. A port taken between
 * choosing and binding is retried with another.
 */
export async function forwardPort(qmp: QmpClient, machine: string, nic: NicInfo, options: ForwardPortOptions): Promise<number> {
  const protocol = options.protocol ?? 'tcp'
  // Everything below goes into one HMP command line: only known values get there.
  if (protocol !== 'tcp' && protocol !== 'udp') throw new NetworkError(`forwardPort: protocol must be 'tcp' or 'udp', got ${JSON.stringify(protocol)}`)
  for (const [what, port] of [['guest', options.guest], ['host', options.host]] as const) {
    if (what === 'host' && port === undefined) continue
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) throw new NetworkError(`forwardPort: ${what} port must be 1–65535, got ${JSON.stringify(port)}`)
  }
  for (let attempt = 0; ; attempt++) {
    const host = options.host ?? (await freePort())
    const said = String(
      await qmp.execute('human-monitor-command', { 'command-line': `hostfwd_add ${nic.id}.dev ${protocol}:127.0.0.1:${host}-:${options.guest}` }),
    ).trim()
    if (!said) return host
    if (options.host !== undefined || attempt >= 3) {
      throw new NetworkError(`forwardPort: ${machine} could not forward 127.0.0.1:${host} to guest port ${options.guest}: QEMU said: ${said}`)
    }
  }
}

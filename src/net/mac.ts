/**
 * Stable MAC addresses: a NIC's address is derived from its machine's and its network's
 * names, so DHCP leases, server logs and captures are the same in every run.
 * @module
 */
import { createHash } from 'node:crypto'

/**
 * The MAC address of machine `machine`'s NIC on network `network`: QEMU's locally
 * administered prefix `52:54:00` and three bytes of SHA-256 of the two names. Pure.
 *
 * ```ts
 * stableMac('client', 'lan') // '52:54:00:…', the same in every run
 * ```
 */
export function stableMac(machine: string, network: string): string {
  const h = createHash('sha256').update(`${machine}\0${network}`).digest()
  return ['52', '54', '00', ...[...h.subarray(0, 3)].map(b => b.toString(16).padStart(2, '0'))].join(':')
}

/**
 * The resource budget of a run: machines ask for their memory and vCPUs before QEMU starts,
 * and wait while the sum of what running machines hold would exceed the budget.
 *
 * Pure bookkeeping, no I/O: the runner's server feeds it requests and releases and starts
 * the machines {@link Budget.admit} returns. Rules:
 * - requests are served first come, first served (a big machine is not starved by small ones);
 * - a request larger than the whole budget runs alone, once nothing else holds a lease;
 * - deadlock breaker: when every client that holds a lease is itself waiting for another
 *   (a test booting two machines while another test does the same), the oldest request is
 *   admitted even though it overcommits.
 */

/** What one machine needs. */
export interface Need {
  memoryMiB: number
  cpus: number
}

/** A lease request: `client` identifies the test process, `id` the machine. */
export interface Request extends Need {
  id: string
  client: string
}

/** The limits; both must hold for a machine to start. */
export interface Limits {
  memoryMiB: number
  cpus: number
}

export class Budget {
  private readonly queue: Request[] = []
  private readonly held = new Map<string, Request>()

  constructor(readonly limits: Limits) {
    if (!(limits.memoryMiB > 0) || !(limits.cpus > 0)) throw new RangeError(`budget limits must be positive: ${JSON.stringify(limits)}`)
  }

  /** Memory and vCPUs held by running machines. */
  get used(): Need {
    let memoryMiB = 0
    let cpus = 0
    for (const r of this.held.values()) {
      memoryMiB += r.memoryMiB
      cpus += r.cpus
    }
    return { memoryMiB, cpus }
  }

  /** Requests still waiting, oldest first. */
  get waiting(): readonly Request[] {
    return this.queue
  }

  /** Adds a request; returns the requests admitted now (possibly including it). */
  request(r: Request): Request[] {
    if (this.held.has(r.id) || this.queue.some(q => q.id === r.id)) throw new Error(`lease '${r.id}' requested twice`)
    this.queue.push(r)
    return this.admit()
  }

  /** Ends a lease (or withdraws a waiting request); returns the requests admitted now. */
  release(id: string): Request[] {
    this.held.delete(id)
    const i = this.queue.findIndex(q => q.id === id)
    if (i >= 0) this.queue.splice(i, 1)
    return this.admit()
  }

  /** Drops everything a client held or asked for (its process ended); returns the requests admitted now. */
  dropClient(client: string): Request[] {
    for (const [id, r] of this.held) if (r.client === client) this.held.delete(id)
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.client === client) this.queue.splice(i, 1)
    return this.admit()
  }

  private admit(): Request[] {
    const admitted: Request[] = []
    while (this.queue.length > 0) {
      const next = this.queue[0]!
      if (!this.fits(next) && !this.deadlocked()) break
      this.queue.shift()
      this.held.set(next.id, next)
      admitted.push(next)
    }
    return admitted
  }

  private fits(r: Need): boolean {
    if (this.held.size === 0) return true
    const u = this.used
    return u.memoryMiB + r.memoryMiB <= this.limits.memoryMiB && u.cpus + r.cpus <= this.limits.cpus
  }

  /** Every client holding a lease also waits: nobody will release until someone is admitted. */
  private deadlocked(): boolean {
    if (this.held.size === 0) return false
    const waitingClients = new Set(this.queue.map(q => q.client))
    for (const r of this.held.values()) if (!waitingClients.has(r.client)) return false
    return true
  }
}

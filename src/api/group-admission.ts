/**
 * One admission for a group of machines: each machine's request is held until every
 * machine of the group has asked, then one request for their sum goes to the budget, so
 * the machines of a test start together or wait together (two tests each holding half of
 * what they need cannot happen). Pure coordination over an {@link Admit}.
 * @module
 */
import type { Admission, AdmissionRequest, Admit } from '../machine/start.js'

/** Coordinates the admissions of `size` machines; hand {@link GroupAdmission.admit} to each. */
export class GroupAdmission {
  private readonly asked: AdmissionRequest[] = []
  private readonly waiters: Array<{ resolve: (a: Admission) => void; reject: (e: unknown) => void }> = []
  private failure: unknown
  private outstanding: number

  constructor(
    private readonly size: number,
    private readonly admitAll: Admit,
  ) {
    this.outstanding = size
  }

  /** The {@link Admit} of each member: resolves when the whole group is admitted. */
  readonly admit: Admit = request =>
    new Promise<Admission>((resolve, reject) => {
      if (this.failure !== undefined) return reject(this.failure)
      this.asked.push(request)
      this.waiters.push({ resolve, reject })
      if (this.asked.length === this.size) void this.requestAll()
    })

  /**
   * A member failed before it asked (a bad spec, a missing file): the others stop waiting
   * with `error`, and nothing is requested.
   */
  fail(error: unknown): void {
    if (this.failure !== undefined || this.asked.length === this.size) return
    this.failure = error
    for (const w of this.waiters.splice(0)) w.reject(error)
  }

  private async requestAll(): Promise<void> {
    const sum = this.asked.reduce((s, r) => ({ memoryMiB: s.memoryMiB + r.memoryMiB, cpus: s.cpus + r.cpus }), { memoryMiB: 0, cpus: 0 })
    let lease: Admission
    try {
      lease = await this.admitAll({ machine: this.asked.map(r => r.machine).join('+'), test: this.asked[0]!.test, ...sum })
    } catch (e) {
      for (const w of this.waiters.splice(0)) w.reject(e)
      return
    }
    for (const w of this.waiters.splice(0)) {
      let released = false
      w.resolve({
        status: update => lease.status(update),
        release: () => {
          if (released) return
          released = true
          if (--this.outstanding === 0) lease.release()
        },
      })
    }
  }
}

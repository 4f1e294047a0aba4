/**
 * `bootAll(t, { name: spec, … })`: the machines of one test, admitted by the run's budget
 * together and started at the same time.
 * @module
 */
import { acquireLease } from '../lease/client.js'
import type { Machine } from '../machine/machine.js'
import type { MachineSpec } from '../spec/spec.js'
import { startInTest, type TestContext } from './boot.js'
import { GroupAdmission } from './group-admission.js'

/**
 * Boots several machines for test `t` at once, named by the keys (a spec's own `name`
 * wins), and returns them by the same keys once each QEMU runs. Under `bootcheck run` they
 * ask the budget for their memory and vCPUs as one request, so they start together or
 * wait together; a group larger than the whole budget starts once nothing else runs.
 * When one fails to start, the others are stopped and its error is thrown.
 *
 * ```ts
 * const lan = await network(t, { name: 'lan' })
 * const { server, client } = await bootAll(t, {
 *   server: { cdrom: iso, nics: [lan] },
 *   client: { nics: [lan], bootFrom: 'net' },
 * })
 * ```
 */
export async function bootAll<K extends string>(t: TestContext, specs: Record<K, MachineSpec>): Promise<Record<K, Machine>> {
  const keys = Object.keys(specs) as K[]
  const group = new GroupAdmission(keys.length, need => acquireLease(need))
  const results = await Promise.allSettled(
    keys.map(k =>
      startInTest(t, { ...specs[k], name: specs[k].name ?? k }, group.admit).catch(e => {
        group.fail(e)
        throw e
      }),
    ),
  )
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    await Promise.all(results.map(r => (r.status === 'fulfilled' ? r.value.dispose() : undefined)))
    throw failed.reason
  }
  return Object.fromEntries(keys.map((k, i) => [k, (results[i] as PromiseFulfilledResult<Machine>).value])) as Record<K, Machine>
}

/**
 * QEMU's migration as bootcheck uses it: the whole machine state streamed into a file
 * (`migrate exec:cat > file`) and back (`migrate-incoming exec:cat file`), with QMP
 * `query-migrate` polled until it completes or fails.
 * @module
 */
import { SnapshotError } from '../errors/errors.js'
import { shellQuote } from '../qemu/argv.js'
import type { QmpClient } from '../qmp/client.js'
import type { QmpMigrationInfo } from '../qmp/types.js'
import { sleep } from '../util/sleep.js'

/** The URI that makes QEMU write its migration stream into `file` (run by `/bin/sh`). */
export function saveUri(file: string): string {
  return `exec:cat > ${shellQuote([file])}`
}

/** The URI that makes QEMU read a migration stream from `file`. */
export function loadUri(file: string): string {
  return `exec:cat ${shellQuote([file])}`
}

/**
 * A device that cannot be migrated, from QEMU's refusal (`State blocked by non-migratable
 * device '0000:00:03.0/nvme'`), or undefined for other errors. Pure.
 */
export function blockingDevice(message: string): string | undefined {
  return /non-migratable device '([^']+)'/.exec(message)?.[1]
}

/**
 * Polls `query-migrate` until the migration is `completed`; throws {@link SnapshotError}
 * when it fails, QEMU ends (`alive` turns false), or `timeoutMs` passes.
 */
export async function waitForMigration(qmp: QmpClient, what: string, timeoutMs: number, alive: () => boolean): Promise<QmpMigrationInfo> {
  const deadline = Date.now() + timeoutMs
  let pause = 5
  for (;;) {
    if (!alive()) throw new SnapshotError(`QEMU ended while ${what}`)
    const info = await qmp.execute('query-migrate').catch(e => {
      if (!alive()) throw new SnapshotError(`QEMU ended while ${what}`, { cause: e })
      throw e
    })
    if (info.status === 'completed') return info
    if (info.status === 'failed' || info.status === 'cancelled') {
      throw new SnapshotError(`QEMU failed ${what}: ${info['error-desc'] ?? info.status}`)
    }
    if (Date.now() > deadline) throw new SnapshotError(`QEMU did not finish ${what} within ${Math.round(timeoutMs / 1000)} s (status ${info.status ?? 'none'})`)
    await sleep(pause)
    // at most 20 ms between polls: a restore's load takes 0.3–0.5 s, and a 100 ms step
    // noticed its end up to 100 ms late (query-migrate costs QEMU next to nothing)
    pause = Math.min(pause * 2, 20)
  }
}

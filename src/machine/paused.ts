/**
 * Work done on a paused guest: QMP `stop` (which flushes every write to the disk images),
 * the work, then `cont` when the guest ran before and QEMU still runs.
 * @module
 */
import type { QmpClient } from '../qmp/client.js'

/** Runs `work` with the guest paused, and resumes it after (also when `work` fails). */
export async function whilePaused<T>(qmp: QmpClient, work: () => Promise<T>, alive: () => boolean = () => true): Promise<T> {
  const wasRunning = (await qmp.execute('query-status')).running
  if (wasRunning) await qmp.execute('stop')
  try {
    return await work()
  } finally {
    if (wasRunning && alive()) await qmp.execute('cont')
  }
}

/**
 * Disks written out of a running machine: its overlay and the base under it flattened into
 * one qcow2 file while the guest is paused (QMP `stop` flushes every write to the overlay
 * first), then the guest resumed.
 * @module
 */
import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { execa } from 'execa'
import { MediumError } from '../errors/errors.js'
import type { QmpClient } from '../qmp/client.js'

/** Writes the disk whose top file is `file` (the overlay QEMU writes) to `dest` as one qcow2. */
export async function flattenDisk(qmp: QmpClient, file: string, dest: string): Promise<void> {
  dest = resolve(dest)
  await mkdir(dirname(dest), { recursive: true })
  const temp = `${dest}.${process.pid}.tmp`
  const wasRunning = (await qmp.execute('query-status')).running
  if (wasRunning) await qmp.execute('stop')
  try {
    // -U: QEMU holds the image's lock; the paused guest writes nothing meanwhile.
    const r = await execa('qemu-img', ['convert', '-U', '-O', 'qcow2', file, temp], { reject: false })
    if (r.exitCode !== 0) throw new MediumError(`Could not write the disk to '${dest}': ${r.stderr.trim() || r.shortMessage}`)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  } finally {
    if (wasRunning) await qmp.execute('cont')
  }
  await rename(temp, dest)
}

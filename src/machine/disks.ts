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
import { whilePaused } from './paused.js'

/** Writes the disk whose top file is `file` (the overlay QEMU writes) to `dest` as one qcow2. */
export async function flattenDisk(qmp: QmpClient, file: string, dest: string): Promise<void> {
  dest = resolve(dest)
  await mkdir(dirname(dest), { recursive: true })
  const temp = `${dest}.${process.pid}.tmp`
  // -U: QEMU holds the image's lock; the paused guest writes nothing meanwhile.
  const r = await whilePaused(qmp, () => execa('qemu-img', ['convert', '-U', '-O', 'qcow2', file, temp], { reject: false }))
  if (r.exitCode !== 0) {
    await rm(temp, { force: true })
    throw new MediumError(`Could not write the disk to '${dest}': ${r.stderr.trim() || r.shortMessage}`)
  }
  await rename(temp, dest)
}

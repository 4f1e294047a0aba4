import { resolve } from 'node:path'
import { execa } from 'execa'
import { inspectImage, type ImageTrust } from './image.js'
import { MediumError } from '../errors/errors.js'

/** Creates a blank qcow2 disk of `size` (qemu-img's syntax, e.g. `2G`) at `dest`; returns its path. */
export async function createBlankDisk(dest: string, size: string, role: string, qemuImg = 'qemu-img'): Promise<string> {
  const r = await execa(qemuImg, ['create', '-q', '-f', 'qcow2', dest, size], { reject: false })
  if (r.exitCode !== 0) throw new MediumError(`Could not create the ${role} of ${size}: ${(r.stderr || r.message || '').trim()}`)
  return dest
}

/**
 * Creates a qcow2 overlay at `dest` backed by the base image, so the guest writes to the
 * overlay and the base image is never written. Returns the overlay's path.
 */
export async function createOverlay(base: string, dest: string, role: string, qemuImg = 'qemu-img', trust: ImageTrust = {}): Promise<string> {
  const info = await inspectImage(base, role, qemuImg, trust)
  const r = await execa(qemuImg, ['create', '-q', '-f', 'qcow2', '-F', info.format, '-b', resolve(base), dest], {
    reject: false,
  })
  if (r.exitCode !== 0) {
    throw new MediumError(`Could not create an overlay for the ${role} '${base}': ${(r.stderr || r.message || '').trim()}`)
  }
  return dest
}

import { access, stat } from 'node:fs/promises'
import { constants } from 'node:fs'
import { execa } from 'execa'
import { MediumError } from '../errors/errors.js'

/** What `qemu-img info` says of an image. */
export interface ImageInfo {
  path: string
  format: string
  virtualSize: number
}

/**
 * Checks that a file the machine needs exists and is a readable, non-empty regular file.
 * `role` names it in the message, e.g. `cdrom image` or `kernel`.
 */
export async function checkFile(path: string, role: string): Promise<void> {
  let st
  try {
    st = await stat(path)
  } catch {
    throw new MediumError(`The ${role} '${path}' does not exist.`)
  }
  if (!st.isFile()) throw new MediumError(`The ${role} '${path}' is not a regular file.`)
  if (st.size === 0) throw new MediumError(`The ${role} '${path}' is empty.`)
  try {
    await access(path, constants.R_OK)
  } catch {
    throw new MediumError(`The ${role} '${path}' is not readable.`)
  }
}

/**
 * Reads an image's format and size with `qemu-img info`. A corrupt or truncated image fails
 * here with qemu-img's own explanation, before any machine starts.
 */
export async function inspectImage(path: string, role: string, qemuImg = 'qemu-img'): Promise<ImageInfo> {
  await checkFile(path, role)
  const r = await execa(qemuImg, ['info', '--output=json', path], { reject: false })
  if (r.failed || r.exitCode !== 0) {
    const why = (r.stderr || r.message || '').trim()
    throw new MediumError(`The ${role} '${path}' cannot be read as a disk image: ${why}`)
  }
  const info = JSON.parse(r.stdout) as { format: string; 'virtual-size': number }
  return { path, format: info.format, virtualSize: info['virtual-size'] }
}

/** Finding the QEMU binary. */
import { constants as fsConstants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { QemuStartError } from '../errors/errors.js'

export const DEFAULT_QEMU = 'qemu-system-x86_64'

/**
 * Finds the QEMU binary: a name is looked up in PATH, a path is used as is (made absolute).
 * Throws {@link QemuStartError} with an install hint (the Debian package `debianPackage`)
 * when there is none.
 */
export async function resolveQemuBinary(qemu: string = DEFAULT_QEMU, env: NodeJS.ProcessEnv = process.env, debianPackage = 'qemu-system-x86'): Promise<string> {
  const candidates = qemu.includes('/')
    ? [resolve(qemu)]
    : (env.PATH ?? process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map(dir => join(dir, qemu))
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) {
        await access(candidate, fsConstants.X_OK)
        return candidate
      }
    } catch {
      // not this one
    }
  }
  throw missingQemu(qemu, undefined, debianPackage)
}

/** The error for a QEMU binary that is not there (or could not be started). */
export function missingQemu(qemu: string, cause?: unknown, debianPackage = 'qemu-system-x86'): QemuStartError {
  return new QemuStartError(
    `QEMU binary '${qemu}' not found: install it (Debian: apt-get install ${debianPackage})`,
    cause === undefined ? undefined : { cause },
  )
}

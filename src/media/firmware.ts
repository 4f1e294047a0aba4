import { copyFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { MediumError } from '../errors/errors.js'

/** A firmware file and the Debian package that installs it. */
export interface FirmwareFile {
  path: string
  debianPackage: string
}

/**
 * Finds a UEFI firmware (the first of `candidates` whose code and variables store both exist) and makes a private copy of its variables store in `workDir` (the
 * guest writes boot entries there; the system's copy stays untouched).
 */
export async function prepareUefi(workDir: string, candidates: ReadonlyArray<{ code: FirmwareFile; vars: FirmwareFile }>): Promise<{ code: string; vars: string }> {
  const found = candidates.find(({ code, vars }) => existsSync(code.path) && existsSync(vars.path))
  if (!found) {
    const looked = candidates.map(c => c.code.path).join(', ')
    const pkgs = [...new Set(candidates.map(c => c.code.debianPackage))].join(' ')
    throw new MediumError(`UEFI firmware not found (looked for ${looked}): install it with apt-get install ${pkgs}`)
  }
  const vars = join(workDir, basename(found.vars.path))
  await copyFile(found.vars.path, vars)
  return { code: found.code.path, vars }
}

/** Throws a {@link MediumError} naming the Debian package when a firmware file is not installed. */
export function checkFirmwareFile(file: FirmwareFile, what: string): string {
  if (!existsSync(file.path)) throw new MediumError(`${what} not found at ${file.path}: install it with apt-get install ${file.debianPackage}`)
  return file.path
}

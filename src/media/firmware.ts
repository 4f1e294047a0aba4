import { copyFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { MediumError } from '../errors/errors.js'

// Debian's ovmf package: the 4 MiB builds first, then the older 2 MiB ones.
/** Where Debian's OVMF builds live (code, variables): the only firmware a restored snapshot may name. */
export const UEFI_CANDIDATES = [
  ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
] as const

/**
 * Finds OVMF and makes a private copy of its variables store in `workDir` (the guest writes
 * boot entries there; the system's copy stays untouched).
 */
export async function prepareUefi(workDir: string): Promise<{ code: string; vars: string }> {
  const found = UEFI_CANDIDATES.find(([code, vars]) => existsSync(code) && existsSync(vars))
  if (!found) {
    throw new MediumError('UEFI firmware not found (looked for OVMF in /usr/share/OVMF): install it with apt-get install ovmf')
  }
  const vars = join(workDir, 'OVMF_VARS.fd')
  await copyFile(found[1], vars)
  return { code: found[0], vars }
}

import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'

/** The folder under which each machine gets its artifacts folder. */
export function artifactsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BOOTCHECK_ARTIFACTS ?? join(process.cwd(), '.bootcheck', 'artifacts'))
}

/** Turns a test or machine name into a safe folder name. */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'unnamed'
}

/**
 * Creates a fresh artifacts folder for one machine of one test:
 * `<root>/<test>/<machine>` (with `-2`, `-3`, … when the name is taken in this run).
 */
export async function createArtifactsDir(testName: string, machineName: string): Promise<string> {
  const base = join(artifactsRoot(), slug(testName), slug(machineName))
  await mkdir(dirname(base), { recursive: true })
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`
    try {
      await mkdir(dir)
      return dir
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
}

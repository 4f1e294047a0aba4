import { join, resolve } from 'node:path'

/**
 * The folder of bootcheck's caches in a project (snapshots, checksums): `$BOOTCHECK_CACHE`,
 * else `.bootcheck/cache` in the working folder.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BOOTCHECK_CACHE ?? join(process.cwd(), '.bootcheck', 'cache'))
}

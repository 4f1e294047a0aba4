import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { RunnerError } from '../errors/errors.js'

/**
 * The environment without tap's own variables, so `bootcheck run` acts as a top-level
 * runner (with its summary) even when started from inside another tap run.
 */
export function topLevelEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(env)) {
    if (k === 'TAP' || k.startsWith('TAP_') || k.startsWith('_TAPJS_')) continue
    if (k === 'NODE_OPTIONS' && v?.includes('@tapjs/')) continue
    out[k] = v
  }
  return out
}

/** The path of tap's command-line entry. */
export function tapBin(): string {
  const require = createRequire(import.meta.url)
  const pkg = require.resolve('tap/package.json')
  return join(dirname(pkg), (require(pkg) as { bin: { tap: string } }).bin.tap)
}

let preloadFile: string | undefined

/** `bin/tap-preload.mjs` of this package: the nearest `bin/` above this module (src/runner/ or dist/src/runner/). */
export function tapPreload(): string {
  preloadFile ??= findUp(dirname(fileURLToPath(import.meta.url)), join('bin', 'tap-preload.mjs'))
  return preloadFile
}

function findUp(dir: string, file: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, file))) return join(d, file)
    if (dirname(d) === d) throw new RunnerError(`bootcheck's ${file} is missing above ${dir}: the installed package is incomplete (reinstall bootcheck).`)
  }
}

/**
 * `NODE_OPTIONS` for a tap run: `existing` with `bin/tap-preload.mjs` preloaded, which
 * makes tap's test processes load TypeScript with tsx instead of ts-node (see that file).
 */
export function tapNodeOptions(existing: string | undefined, preload = tapPreload()): string {
  const option = `--import=${JSON.stringify(pathToFileURL(preload).href)}`
  if (existing?.includes(option)) return existing
  return [existing?.trim(), option].filter(Boolean).join(' ')
}

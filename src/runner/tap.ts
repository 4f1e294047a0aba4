import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

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

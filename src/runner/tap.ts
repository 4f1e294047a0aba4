import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

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

/**
 * tap's arguments that load TypeScript test files with tsx (esbuild, transforms cached on
 * disk) instead of tap's default TypeScript plugin, which starts ts-node and with it the
 * TypeScript compiler in every test process, uncached: 1.6 s of CPU a test process
 * against 2.4 s (`npm run bench -- tap-loader`), in a suite of some 180 test processes.
 * tsx is bootcheck's own dependency, named by its path so a project need not have it.
 * tap builds its plugin set once for this list.
 */
export function tapLoaderArgs(): string[] {
  const tsx = createRequire(import.meta.url).resolve('tsx')
  return ['--plugin=!@tapjs/typescript', `--node-arg=--import=${pathToFileURL(tsx).href}`]
}

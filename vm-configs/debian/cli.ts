/**
 * The builder's command line:
 *
 *   node --import tsx vm-configs/debian/build.ts [--cache-dir DIR] [--deb-cache-dir DIR]
 *
 * prints the LiveMedia JSON on stdout (progress on stderr). build.ts is the entry
 * module: it calls {@link runCli} when it is the script node runs.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { LiveMedia, LiveMediaOptions } from './media.js'

async function main(argv: string[], build: (opts: LiveMediaOptions) => Promise<LiveMedia>): Promise<void> {
  const opts: LiveMediaOptions = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--cache-dir') opts.cacheDir = argv[++i]
    else if (a === '--deb-cache-dir') opts.debCacheDir = argv[++i]
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node --import tsx vm-configs/debian/build.ts [--cache-dir DIR] [--deb-cache-dir DIR]\n')
      return
    } else throw new Error(`unknown argument: ${a}`)
  }
  const media = await build(opts)
  process.stdout.write(JSON.stringify(media, null, 2) + '\n')
}

/** Whether the module at `moduleUrl` (its `import.meta.url`) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const arg = process.argv[1]
  if (!arg) return false
  try {
    return pathToFileURL(realpathSync(arg)).href === pathToFileURL(realpathSync(fileURLToPath(moduleUrl))).href
  } catch {
    return false
  }
}

/**
 * Runs the command line `argv` with `build` (buildLiveMedia); on an error, prints it and
 * exits with status 1.
 */
export function runCli(argv: string[], build: (opts: LiveMediaOptions) => Promise<LiveMedia>): void {
  main(argv, build).catch((e: unknown) => {
    process.stderr.write(`bootcheck-media: error: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
}

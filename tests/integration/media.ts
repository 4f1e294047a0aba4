// The demo live media every integration test boots: built from Debian packages by
// vm-configs/ (a cache hit after the first build).
import { buildLiveMedia, type LiveMedia } from '../../vm-configs/debian/build.js'

let cached: Promise<LiveMedia> | undefined

/** Builds (or reuses) the demo media. */
export function demoMedia(): Promise<LiveMedia> {
  cached ??= buildLiveMedia({ log: line => process.stderr.write(`media: ${line}\n`) })
  return cached
}

/** The default command line plus extra parameters. */
export function params(media: LiveMedia, ...extra: string[]): string[] {
  return [...media.kernelParams, ...extra]
}

// The demo live media every integration test boots: built from Debian packages by
// vm-configs/ (a cache hit after the first build).
import { buildLiveMedia, type LiveMedia } from '../../vm-configs/debian/build.js'
import type { PxeSpec } from '../../src/index.js'

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

/**
 * PXE of the demo netboot image with pxelinux: the host's pxelinux laid over the netboot
 * folder, with a configuration that boots its kernel on the serial console, plus `extra`
 * kernel parameters.
 */
export function pxelinuxNetboot(media: LiveMedia, ...extra: string[]): PxeSpec {
  const nb = media.netboot
  return {
    tftpRoot: nb.dir,
    bootfile: 'pxelinux.0',
    overlay: {
      'pxelinux.0': { path: '/usr/lib/PXELINUX/pxelinux.0' },
      'ldlinux.c32': { path: '/usr/lib/syslinux/modules/bios/ldlinux.c32' },
      'pxelinux.cfg/default': ['serial 0 115200', 'default netboot', 'prompt 0', 'timeout 0', 'label netboot', '  kernel bzImage', `  append ${[...nb.kernelParams, ...extra].join(' ')}`, ''].join('\n'),
    },
  }
}

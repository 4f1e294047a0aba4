/**
 * The demo live media: the one place the `bootcheck media` command, the integration
 * tests, the benches and the examples find it.
 *
 * - {@link demoMedia}: builds it with the Debian builder (debian/build.ts), or takes the
 *   cache entry of an earlier build (about 1 s); for tests and benches.
 * - {@link readDemoMediaJson}: reads what `bootcheck media` printed, saved by
 *   scripts/demo.sh and scripts/test.sh in {@link DEMO_MEDIA_JSON}; for the examples,
 *   which read like user code (a NixOS user points at `result/iso/*.iso` and friends
 *   rather than running a builder) and must not start builds from inside a test run.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { PxeSpec } from '../src/index.js'
import { buildLiveMedia, type LiveMedia } from './debian/build.js'
import { repoRoot } from './debian/contract.js'
import { buildBoardMedia, type BoardMedia } from './debian/boards/build.js'
import type { BoardArch } from './debian/boards/boards.js'

export { buildLiveMedia }
export type { LiveMedia, LiveMediaOptions, NetbootMedia } from './debian/build.js'
export { buildBoardMedia, type BoardMedia, type BoardMediaOptions } from './debian/boards/build.js'

let cached: Promise<LiveMedia> | undefined

/** Builds (or reuses) the demo media; one build per process. */
export function demoMedia(): Promise<LiveMedia> {
  cached ??= buildLiveMedia({ log: line => process.stderr.write(`media: ${line}\n`) })
  return cached
}

const boards = new Map<BoardArch, Promise<BoardMedia>>()

/** Builds (or reuses) the demo media of a board (`aarch64`: kernel, initramfs, TFTP root); one build per process. */
export function boardMedia(arch: BoardArch = 'aarch64'): Promise<BoardMedia> {
  let m = boards.get(arch)
  if (!m) boards.set(arch, (m = buildBoardMedia(arch, { log: line => process.stderr.write(`board media: ${line}\n`) })))
  return m
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

/** Where scripts/demo.sh and scripts/test.sh save `bootcheck media`'s output, in the repo. */
export const DEMO_MEDIA_JSON = join(repoRoot(), '.bootcheck', 'demo-media.json')

/**
 * The demo media as `bootcheck media` printed it, from `path`: `$BOOTCHECK_DEMO_MEDIA`
 * (relative to the working folder) or else {@link DEMO_MEDIA_JSON}. Does not build.
 */
export function readDemoMediaJson(path: string = process.env.BOOTCHECK_DEMO_MEDIA ?? DEMO_MEDIA_JSON): LiveMedia {
  const file = resolve(path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new Error(`no demo media at ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}): run \`bootcheck media > .bootcheck/demo-media.json\` first, as scripts/demo.sh does`)
  }
  return JSON.parse(text) as LiveMedia
}

export { netbootServerDisk, serveScript, type NetbootServerOptions } from './netboot-server.js'

/** Where scripts/demo.sh saves the aarch64 board media (`vm-configs/debian/boards/build.ts aarch64`), in the repo. */
export const BOARD_MEDIA_JSON = join(repoRoot(), '.bootcheck', 'board-media-aarch64.json')

/** The aarch64 board media as the boards' builder printed it (`$BOOTCHECK_BOARD_MEDIA` or {@link BOARD_MEDIA_JSON}). Does not build. */
export function readBoardMediaJson(path: string = process.env.BOOTCHECK_BOARD_MEDIA ?? BOARD_MEDIA_JSON): BoardMedia {
  const file = resolve(path)
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BoardMedia
  } catch (e) {
    throw new Error(`no board media at ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}): run \`node --import tsx vm-configs/debian/boards/build.ts aarch64 > .bootcheck/board-media-aarch64.json\` first, as scripts/demo.sh does`)
  }
}

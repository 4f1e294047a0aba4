/**
 * Demo media for the other architectures, from Debian packages of that architecture:
 *
 *   node --import tsx vm-configs/debian/boards/build.ts [aarch64]
 *
 * prints the {@link BoardMedia} JSON. A board gets the distribution kernel (arm64: its
 * `vmlinuz` is the uncompressed arm64 `Image`), an initramfs of busybox-static and the
 * board init, and a TFTP folder for U-Boot (kernel, initramfs, `pxelinux.cfg/default`).
 * Cached like the x86 media: one entry per hash of every input, built in a temp folder and
 * renamed into place. Steps: debs.ts (foreign .debs), initrd.ts (the tree and initramfs),
 * tftp.ts (the network boot folder), sd-image.ts (the SD card).
 */
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { cacheKey, newTempEntry, renameIntoPlace } from '../cache.js'
import { isMain } from '../cli.js'
import { repoRoot, sourceDir } from '../contract.js'
import { unpackDebs } from '../debs.js'
import { sha256File } from '../helpers.js'
import type { Log } from '../media.js'
import { selectModules } from '../modules.js'
import { boardDebs } from './debs.js'
import { boardInitrd, boardTree } from './initrd.js'
import { BOARD_MODULES, BOARDS, type BoardArch } from './boards.js'
import { buildTftpRoot } from './tftp.js'
import { buildSdImage, SD_ROOT_LABEL } from './sd-image.js'
import { buildBoardIso } from './iso.js'

/** A board's media: files in one cache entry, and how to boot them. */
export interface BoardMedia {
  arch: BoardArch
  /** the cache entry folder */
  dir: string
  /** the kernel as the board boots it (arm64: `Image`) */
  kernel: string
  /** the initramfs (gzipped newc cpio) */
  initrd: string
  /** the kernel command line of a direct boot (the console) */
  kernelParams: string[]
  kernelVersion: string
  /** a TFTP root for U-Boot: the kernel, the initramfs and `pxelinux.cfg/default` */
  tftpRoot: string
  /** aarch64: the SD card image (MBR: FAT firmware partition, bootable ext4 root with /boot/extlinux/extlinux.conf) */
  sdImage?: string
  /** aarch64: the kernel command line of a direct boot with the root on the SD card */
  sdKernelParams?: string[]
  /** aarch64: the Raspberry Pi 3B's device tree (from the kernel package), for `board: 'raspi3b'` */
  raspiDtb?: string
  /** aarch64: a live ISO booted by UEFI (GRUB EFI; entries `live` and `live-copytoram`) */
  iso?: string
}

/** Options of {@link buildBoardMedia}. */
export interface BoardMediaOptions {
  cacheDir?: string
  debCacheDir?: string
  log?: Log
}

const MANIFEST = 'board.json'

/** Builds the media of `arch`, or returns the cache entry of an earlier build of the same inputs. */
export async function buildBoardMedia(arch: BoardArch, opts: BoardMediaOptions = {}): Promise<BoardMedia> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`bootcheck-board: ${l}\n`))
  const root = repoRoot()
  const cacheDir = resolve(opts.cacheDir ?? join(root, '.bootcheck', 'cache', 'boards'))
  const debDir = resolve(opts.debCacheDir ?? join(root, '.bootcheck', 'cache', 'debs'))
  await mkdir(cacheDir, { recursive: true })
  const board = BOARDS[arch]
  const debs = await boardDebs(board.debArch, board.kernelMeta, ['busybox-static', ...(board.grubEfi ? [board.grubEfi.pkg] : [])], debDir, log)
  const key = cacheKey({
    debs: [...debs.values()].map(d => ({ file: d.file, sha256: d.sha256 })),
    sources: await boardSources(),
    options: { arch, board, modules: BOARD_MODULES },
  })
  const entry = join(cacheDir, key)
  const hit = await readEntry(entry)
  if (hit) return hit
  const { tmp, work } = await newTempEntry(cacheDir, key, log)
  try {
    const { unpack, vmlinuz, kernelVersion, modDir } = await unpackDebs(debs, debDir, work)
    const modules = await selectModules(modDir, kernelVersion, log, BOARD_MODULES)
    const tree = await boardTree({ arch, busybox: join(unpack('busybox-static'), 'bin', 'busybox'), modules, modDir, kernelVersion })
    await writeFile(join(tmp, 'initrd'), boardInitrd(tree))
    await copyFile(join(unpack('kernel'), 'boot', vmlinuz), join(tmp, board.kernelFile))
    await buildTftpRoot(join(tmp, 'tftp'), { kernel: join(tmp, board.kernelFile), kernelName: board.kernelFile, initrd: join(tmp, 'initrd'), params: [`console=${board.console}`] })
    if (board.raspi) {
      // the SD card boots on the Raspberry Pi (U-Boot reads its extlinux.conf): the Pi's console last, /dev/console is the last that exists
      await buildSdImage(work, join(tmp, 'sd.img'), { tree, kernel: join(tmp, board.kernelFile), kernelFile: board.kernelFile, initrd: join(tmp, 'initrd'), params: [`console=${board.console}`, `console=${board.raspi.console},115200`] }, log)
      await copyFile(join(unpack('kernel'), 'usr', 'lib', `linux-image-${kernelVersion}`, board.raspi.dtb), join(tmp, 'raspi.dtb'))
    }
    if (board.grubEfi) {
      const grubDir = join(unpack(board.grubEfi.pkg), 'usr', 'lib', 'grub', board.grubEfi.format)
      await buildBoardIso(work, join(tmp, 'live.iso'), { kernel: join(tmp, board.kernelFile), kernelFile: board.kernelFile, initrd: join(tmp, 'initrd'), params: [`console=${board.console}`], grubDir }, log)
    }
    const manifest = { arch, kernelFile: board.kernelFile, kernelParams: [`console=${board.console}`], kernelVersion }
    await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n')
    await rm(work, { recursive: true, force: true })
    const other = await renameIntoPlace(tmp, entry, readEntry, log)
    log(`built ${entry}`)
    return other ?? (await readEntry(entry))!
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
}

async function readEntry(dir: string): Promise<BoardMedia | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as { arch: BoardArch; kernelFile: string; kernelParams: string[]; kernelVersion: string }
    const sd = BOARDS[m.arch].raspi
      ? { sdImage: join(dir, 'sd.img'), sdKernelParams: [...m.kernelParams, `root=LABEL=${SD_ROOT_LABEL}`], raspiDtb: join(dir, 'raspi.dtb') }
      : undefined
    const iso = BOARDS[m.arch].grubEfi ? { iso: join(dir, 'live.iso') } : undefined
    const media: BoardMedia = {
      arch: m.arch,
      dir,
      kernel: join(dir, m.kernelFile),
      initrd: join(dir, 'initrd'),
      kernelParams: m.kernelParams,
      kernelVersion: m.kernelVersion,
      tftpRoot: join(dir, 'tftp'),
      ...sd,
      ...iso,
    }
    return [media.kernel, media.initrd, media.tftpRoot, ...(sd ? [sd.sdImage, sd.raspiDtb] : []), ...(iso ? [iso.iso] : [])].every(f => existsSync(f)) ? media : undefined
  } catch {
    return undefined
  }
}

/** sha256 of every source of the boards' builder and of the x86 builder's parts it uses. */
async function boardSources(): Promise<Record<string, string>> {
  const dir = join(sourceDir(), 'boards')
  const out: Record<string, string> = {}
  for (const n of (await readdir(dir)).sort()) out[`boards/${n}`] = await sha256File(join(dir, n))
  for (const n of ['cpio.ts', 'kmod.ts', 'modules.ts', 'debs.ts']) out[n] = await sha256File(join(sourceDir(), n))
  return out
}

if (isMain(import.meta.url)) {
  const arch = (process.argv[2] ?? 'aarch64') as BoardArch
  buildBoardMedia(arch).then(
    m => process.stdout.write(JSON.stringify(m, null, 2) + '\n'),
    (e: unknown) => {
      process.stderr.write(`bootcheck-board: error: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(1)
    },
  )
}

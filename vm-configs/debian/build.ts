/**
 * Build small NixOS-shaped live media from Debian packages only.
 *
 *   node --import tsx vm-configs/debian/build.ts [--cache-dir DIR] [--deb-cache-dir DIR]
 *
 * prints the LiveMedia JSON on stdout (progress on stderr). See
 * vm-configs/README.md for the contract shared with vm-configs/nixos/.
 *
 * Inputs: .deb files fetched with `apt-get download` (never installed on the
 * host) and unpacked with `dpkg-deb -x`. Outputs live in a cache entry keyed by
 * a hash of every input; entries are built in a temp folder and renamed into
 * place, so an interrupted build never leaves a half entry.
 *
 * This module is the entry point and the order of the steps; each step lives in a
 * module of its own: contract.ts (shared values, inputs), debs.ts (apt, dpkg-deb),
 * modules.ts (kernel modules), store.ts (store + squashfs), initrd.ts, netboot.ts,
 * bootloaders.ts + iso.ts, persist.ts, cache.ts (key, entries), cli.ts.
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { commitEntry, mediaCacheKey, newTempEntry, pruneOldEntries, useEntry, type MediaManifest } from './cache.js'
import { isMain, runCli } from './cli.js'
import { BASE_KERNEL_PARAMS, PERSISTED_PATHS, repoRoot, sourceDir } from './contract.js'
import { ensureDownloaded, resolveDebs, unpackDebs, type DebRef } from './debs.js'
import { buildInitrd } from './initrd.js'
import { buildIso, makeIsoRoot } from './iso.js'
import type { LiveMedia, LiveMediaOptions, Log } from './media.js'
import { selectModules } from './modules.js'
import { buildNetboot } from './netboot.js'
import { buildPersistDisk } from './persist.js'
import { buildSquashfs, buildStore } from './store.js'

export type { LiveMedia, LiveMediaOptions, NetbootMedia } from './media.js'

/**
 * Builds the live media (ISO, kernel, initrd, persist disk, netboot folder), or returns
 * the cache entry of an earlier build of the same inputs.
 */
export async function buildLiveMedia(opts: LiveMediaOptions = {}): Promise<LiveMedia> {
  const started = Date.now()
  const log = opts.log ?? ((l: string) => process.stderr.write(`bootcheck-media: ${l}\n`))
  const root = repoRoot()
  const cacheDir = resolve(opts.cacheDir ?? join(root, '.bootcheck', 'cache', 'media'))
  const debDir = resolve(opts.debCacheDir ?? join(root, '.bootcheck', 'cache', 'debs'))
  await mkdir(cacheDir, { recursive: true })

  log('resolving Debian packages')
  const debs = await resolveDebs(debDir, log)
  const key = await mediaCacheKey(debs.values())
  const entry = join(cacheDir, key)
  const hit = await useEntry(entry, log, started)
  if (hit) return hit

  const { tmp, work } = await newTempEntry(cacheDir, key, log)
  try {
    const manifest = await buildEntry({ tmp, work, key, debs, debDir, started, log })
    const { media, built } = await commitEntry(tmp, entry, manifest, log)
    if (!built) return media
    await pruneOldEntries(cacheDir, entry, log).catch(() => undefined)
    const mib = (n: number) => (n / 1048576).toFixed(1)
    log(
      `done in ${manifest.buildSeconds} s: ${entry} (iso ${mib((await stat(media.iso)).size)} MiB, initrd ${mib((await stat(media.initrd)).size)} MiB)`,
    )
    return media
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
}

/** What {@link buildEntry} needs. */
interface EntryBuild {
  /** the temp entry folder: outputs go here */
  tmp: string
  /** scratch space inside tmp (removed before the entry is committed) */
  work: string
  key: string
  debs: Map<string, DebRef>
  debDir: string
  started: number
  log: Log
}

/** The build steps: every output file into `tmp`; returns the entry's manifest (not written yet). */
async function buildEntry({ tmp, work, key, debs, debDir, started, log }: EntryBuild): Promise<MediaManifest> {
  await ensureDownloaded([...debs.values()], debDir, log)
  log('unpacking')
  const { unpack, vmlinuz, kernelVersion, modDir } = await unpackDebs(debs, debDir, work)
  const modules = await selectModules(modDir, kernelVersion, log)

  log('building the store')
  const scripts = sourceDir()
  const stage1Script = await readFile(join(scripts, 'stage-1-init.sh'), 'utf8')
  const stage2Script = await readFile(join(scripts, 'stage-2-init.sh'), 'utf8')
  const { storeDir, paths } = await buildStore(work, unpack, debs, stage2Script, log)
  const kernelParams = [...BASE_KERNEL_PARAMS, `init=/nix/store/${paths.system}/init`, 'loglevel=4']
  const isoRoot = await makeIsoRoot(work)
  const squashfsSha256 = await buildSquashfs(storeDir, isoRoot.squashfs, log)

  log('initrd: busybox, stage 1, modules')
  const busybox = join(unpack('busybox-static'), 'bin', 'busybox')
  const initrdData = await buildInitrd({ busybox, stage1Script, modules, modDir, kernelVersion, system: paths.system })
  const initrd = join(tmp, 'initrd')
  await writeFile(initrd, initrdData)
  const kernel = join(tmp, 'bzImage')
  await copyFile(join(unpack('kernel'), 'boot', vmlinuz), kernel)

  const netbootParams = await buildNetboot(join(tmp, 'netboot'), { kernel, initrd: initrdData, squashfs: isoRoot.squashfs }, kernelParams, log)
  const uefi = await buildIso(work, isoRoot, join(tmp, 'live.iso'), {
    kernel,
    initrd,
    kernelParams,
    isolinux: unpack('isolinux'),
    syslinuxCommon: unpack('syslinux-common'),
    version: { key, kernelVersion, system: paths.system },
  }, log)
  await buildPersistDisk(work, join(tmp, 'persist.img'), log)

  await writeFile(join(tmp, 'modules.txt'), modules.order.map((m) => `${m.name} ${m.path}`).join('\n') + '\n')
  return {
    kernelParams,
    squashfsSha256,
    persistedPaths: [...PERSISTED_PATHS],
    uefi,
    kernelVersion,
    files: { iso: 'live.iso', kernel: 'bzImage', initrd: 'initrd', persistDisk: 'persist.img', netboot: 'netboot' },
    netbootKernelParams: netbootParams,
    debs: [...debs.values()].map((d) => d.file).sort(),
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
  }
}

if (isMain(import.meta.url)) runCli(process.argv.slice(2), buildLiveMedia)

/**
 * Boot entries from an ISO's own boot loader configuration (isolinux/syslinux and GRUB),
 * and extraction of an entry's kernel and initrd, so an unmodified ISO can be booted
 * directly (`-kernel`/`-initrd`/`-append`) with extra kernel parameters.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { MediumError } from '../errors/errors.js'
import { IsoImage } from './iso9660.js'
import { type BootEntry, type IncludeReader } from './bootentry.js'
import { parseGrubConfig } from './grub.js'
import { parseSyslinuxConfig } from './syslinux.js'

export { splitCommandLine, type BootEntry, type IncludeReader } from './bootentry.js'
export { parseGrubConfig, type GrubParseOptions } from './grub.js'
export { parseSyslinuxConfig, type SyslinuxParseOptions } from './syslinux.js'

/** Where boot loader configurations usually live on live media, in the order they are read. */
export const BOOT_CONFIG_PATHS: readonly string[] = [
  '/isolinux/isolinux.cfg',
  '/boot/isolinux/isolinux.cfg',
  '/syslinux/syslinux.cfg',
  '/boot/syslinux/syslinux.cfg',
  '/boot/grub/grub.cfg',
  '/EFI/BOOT/grub.cfg',
  '/boot/grub/loopback.cfg',
]

export interface BootConfigSearch {
  entries: BootEntry[]
  /** config files that exist in the ISO (real paths) */
  found: string[]
  /** every path looked at */
  looked: string[]
}

const isGrubConfig = (path: string) => /grub|loopback/i.test(path)

/** Reads the ISO's boot configurations (and their includes) and collects their entries. */
export async function searchBootConfigs(iso: IsoImage): Promise<BootConfigSearch> {
  const entries: BootEntry[] = []
  const found: string[] = []
  const standard = new Set(BOOT_CONFIG_PATHS.map(p => p.toLowerCase()))
  const files = new Map<string, string | undefined>()
  const load = async (p: string): Promise<string | undefined> => {
    const key = posix.normalize(p)
    if (!files.has(key)) {
      let text: string | undefined
      try {
        text = (await iso.exists(key)) && (await iso.stat(key)).type === 'file' ? (await iso.readFile(key)).toString('utf8').replace(/^\uFEFF/, '') : undefined
      } catch (e) {
        if (!(e instanceof MediumError)) throw e
        text = undefined
      }
      files.set(key, text)
    }
    return files.get(key)
  }

  for (const path of BOOT_CONFIG_PATHS) {
    if (!(await iso.exists(path))) continue
    const real = (await iso.stat(path)).path
    if (found.includes(real)) continue // e.g. a symbolic link to a config already read
    const text = await load(path)
    if (text === undefined) continue
    found.push(real)
    const grub = isGrubConfig(path)
    // parse, load what the parse asked for, parse again until nothing new is asked for
    let result: BootEntry[] = []
    for (let round = 0; round < 32; round++) {
      const wanted: string[] = []
      const include: IncludeReader = p => {
        const key = posix.normalize(p)
        if (grub && standard.has(key.toLowerCase())) return undefined // read on its own
        if (!files.has(key)) {
          wanted.push(key)
          return undefined
        }
        return files.get(key)
      }
      result = grub ? parseGrubConfig(text, { source: real, include }) : parseSyslinuxConfig(text, { source: real, include })
      if (wanted.length === 0) break
      for (const w of wanted) await load(w)
    }
    entries.push(...result)
  }
  return { entries, found, looked: [...BOOT_CONFIG_PATHS] }
}

/** Boot entries of all the ISO's usual boot configurations, syslinux ones first. */
export async function findBootEntries(iso: IsoImage): Promise<BootEntry[]> {
  return (await searchBootConfigs(iso)).entries
}

export interface ExtractOptions {
  /** an entry's label or title (exact, then ignoring case), or a predicate; default: the default entry */
  entry?: string | ((e: BootEntry) => boolean)
}

export interface ExtractedBootFiles {
  entry: BootEntry
  /** path of the kernel written into destDir (`kernel`) */
  kernel: string
  /** path of the initrd written into destDir (`initrd`; several initrds concatenated); absent when the entry has none */
  initrd?: string
  /** the entry's kernel command line */
  params: string[]
}

/** Picks the boot entry `opts.entry` names, or the default one. */
export function chooseBootEntry(entries: BootEntry[], which?: ExtractOptions['entry']): BootEntry | undefined {
  if (which === undefined) return entries.find(e => e.isDefault) ?? entries[0]
  if (typeof which === 'function') return entries.find(which)
  const lower = which.toLowerCase()
  return (
    entries.find(e => e.label === which) ??
    entries.find(e => e.title === which) ??
    entries.find(e => e.label.toLowerCase() === lower) ??
    entries.find(e => e.title?.toLowerCase() === lower)
  )
}

/**
 * Writes the kernel and initrd(s) of one boot entry of an ISO into `destDir` (as `kernel`
 * and `initrd`; several initrds are concatenated, each padded to 4 bytes, as boot loaders
 * do). Reads the ISO in place: it is never mounted or modified.
 */
export async function extractBootFiles(isoPath: string, destDir: string, opts: ExtractOptions = {}): Promise<ExtractedBootFiles> {
  const iso = await IsoImage.open(isoPath)
  try {
    const search = await searchBootConfigs(iso)
    if (search.entries.length === 0) {
      const found = search.found.length ? `; found ${search.found.join(', ')} but no Linux entries in them` : '; none of them exists'
      throw new MediumError(`No boot entries found in ISO '${isoPath}': looked at ${search.looked.join(', ')}${found}.`)
    }
    const entry = chooseBootEntry(search.entries, opts.entry)
    if (!entry) {
      const what = typeof opts.entry === 'function' ? 'matches the given predicate' : `is named '${opts.entry}'`
      const labels = [...new Set(search.entries.map(e => (e.title && e.title !== e.label ? `${e.label} (${e.title})` : e.label)))]
      throw new MediumError(`No boot entry of ISO '${isoPath}' ${what}; available: ${labels.join(', ')}.`)
    }
    await mkdir(destDir, { recursive: true })
    const where = `boot entry '${entry.label}' (from ${entry.source})`
    for (const [role, p] of [['kernel', entry.kernel], ...entry.initrds.map(i => ['initrd', i] as const)] as const) {
      if (!(await iso.exists(p))) throw new MediumError(`The ${role} '${p}' of ${where} is not in ISO '${isoPath}'.`)
    }
    const kernel = join(destDir, 'kernel')
    await writeFrom(iso, [entry.kernel], kernel)
    const out: ExtractedBootFiles = { entry, kernel, params: [...entry.params] }
    if (entry.initrds.length) {
      out.initrd = join(destDir, 'initrd')
      await writeFrom(iso, entry.initrds, out.initrd)
    }
    return out
  } finally {
    await iso.close()
  }
}

/** Writes the files one after the other into `dest` (through a temp file, renamed at the end). */
async function writeFrom(iso: IsoImage, paths: string[], dest: string): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`
  const fh = await open(tmp, 'w')
  try {
    let written = 0
    for (const [n, p] of paths.entries()) {
      if (n > 0 && written % 4 !== 0) {
        const pad = Buffer.alloc(4 - (written % 4))
        await fh.write(pad)
        written += pad.length
      }
      for await (const chunk of iso.readChunks(p)) {
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten
        written += chunk.length
      }
    }
    await fh.close()
    await rename(tmp, dest)
  } catch (e) {
    await fh.close().catch(() => undefined)
    await rm(tmp, { force: true })
    throw e
  }
}

/**
 * What the boot loader configuration parsers (syslinux.ts, grub.ts) produce and share: the
 * boot entry, the include reader, and command line / path helpers.
 */
import { posix } from 'node:path'

/** One bootable Linux entry of a boot menu. */
export interface BootEntry {
  /** syslinux LABEL; GRUB `--id`, else the title */
  label: string
  /** syslinux MENU LABEL ('^' hotkey marks removed); GRUB menuentry title */
  title?: string
  /** absolute path of the kernel in the ISO */
  kernel: string
  /** absolute paths of the initrds in the ISO, in load order */
  initrds: string[]
  /** kernel command line, initrd= removed */
  params: string[]
  /** whether the boot loader boots this entry by default (one per config file at most) */
  isDefault: boolean
  /** the configuration file the entry was defined in */
  source: string
}

/** Reads an included file; `undefined` when it does not exist. */
export type IncludeReader = (path: string) => string | undefined

/** How deeply INCLUDE / `source` may nest. */
export const MAX_INCLUDE_DEPTH = 16
/** How many files INCLUDE / `source` / CONFIG may read in one parse, in all. */
export const MAX_INCLUDES = 256

/** Splits a kernel command line on blanks, keeping double-quoted parts (and their quotes) together. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let inQuote = false
  let has = false
  for (const ch of line) {
    if (ch === '"') {
      inQuote = !inQuote
      cur += ch
      has = true
    } else if (!inQuote && /\s/.test(ch)) {
      if (has) out.push(cur)
      cur = ''
      has = false
    } else {
      cur += ch
      has = true
    }
  }
  if (has) out.push(cur)
  return out
}

export function resolveIn(baseDir: string | undefined, p: string): string {
  if (p.startsWith('/')) return posix.normalize(p)
  if (baseDir) return posix.normalize(posix.join(baseDir.startsWith('/') ? baseDir : `/${baseDir}`, p))
  return p
}

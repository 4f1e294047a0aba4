/**
 * isolinux/syslinux/extlinux configuration parser: the Linux boot entries of a menu.
 */
import { posix } from 'node:path'
import { MediumError } from '../errors/errors.js'
import { MAX_INCLUDE_DEPTH, MAX_INCLUDES, resolveIn, splitCommandLine, type BootEntry, type IncludeReader } from './bootentry.js'

export interface SyslinuxParseOptions {
  /** the config file's path, stored as each entry's `source` (default: 'syslinux.cfg') */
  source?: string
  /**
   * folder relative paths are resolved against (the config file's folder, as syslinux
   * does); default: the folder of `source` when it is absolute, else paths stay as written
   */
  baseDir?: string
  /** reads files named by INCLUDE, MENU INCLUDE and CONFIG (absolute, resolved paths) */
  include?: IncludeReader
}

interface SysLabel {
  label: string
  title?: string
  kernel?: string
  /** false for COM32 modules, chain loaders, CONFIG, LOCALBOOT ... */
  linux: boolean
  /** text after the file name on the KERNEL/LINUX line (syslinux passes it on) */
  kernelArgs?: string
  append?: string
  initrd?: string
  menuDefault: boolean
  source: string
  baseDir: string | undefined
}

const NON_LINUX_KEYWORDS = new Set(['com32', 'comboot', 'boot', 'bss', 'pxe', 'fdimage', 'config', 'localboot'])
const NON_LINUX_EXT = /\.(c32|cbt|com|bs|bss|bin|0|img)$/i

/**
 * Boot entries of an isolinux/syslinux/extlinux configuration: LABEL, MENU LABEL,
 * KERNEL/LINUX, INITRD, APPEND (with `initrd=a,b`), DEFAULT, MENU DEFAULT, ONTIMEOUT,
 * INCLUDE / MENU INCLUDE / CONFIG (through `opts.include`), MENU BEGIN ... MENU END
 * (flattened). Keywords are case-insensitive. Entries that do not boot Linux (COM32
 * modules, chain loading, LOCALBOOT, CONFIG) are left out.
 */
export function parseSyslinuxConfig(text: string, opts: SyslinuxParseOptions = {}): BootEntry[] {
  return parseSyslinux(text, opts, { includes: 0, configs: [] })
}

/** `budget`: files read so far (INCLUDE and CONFIG) and the chain of CONFIG restarts. */
function parseSyslinux(text: string, opts: SyslinuxParseOptions, budget: { includes: number; configs: string[] }): BootEntry[] {
  const source = opts.source ?? 'syslinux.cfg'
  const baseDir = opts.baseDir ?? (source.startsWith('/') ? posix.dirname(source) : undefined)
  const labels: SysLabel[] = []
  const st = { defaultCmd: undefined as string | undefined, onTimeout: undefined as string | undefined, globalAppend: undefined as string | undefined }
  const restart = { text: undefined as string | undefined, source: '', baseDir: undefined as string | undefined }

  let current: SysLabel | undefined // the LABEL being defined (it carries on across INCLUDEs, as in syslinux)
  const stack: string[] = [source] // the files being read, outermost first
  // A file already being read (or, for CONFIG, already started over from) is not read
  // again: include loops end there.
  const read = (path: string): string | undefined => {
    if (stack.includes(path)) return undefined
    const text = opts.include?.(path)
    if (text === undefined) return undefined
    if (++budget.includes > MAX_INCLUDES) {
      throw new MediumError(`syslinux configuration '${stack[0]}' reads more than ${MAX_INCLUDES} files through INCLUDE and CONFIG.`)
    }
    return text
  }
  const walk = (text: string, source: string, baseDir: string | undefined, depth: number): boolean => {
    let inText = false
    for (const rawLine of text.split(/\r?\n/)) {
      const line = rawLine.trim()
      if (inText) {
        if (/^endtext\b/i.test(line)) inText = false
        continue
      }
      if (line === '' || line.startsWith('#')) continue
      const m = /^(\S+)\s*(.*)$/.exec(line)
      if (!m) continue
      let kw = m[1]!.toLowerCase()
      let rest = m[2]!.trim()
      if (kw === 'menu') {
        const m2 = /^(\S+)\s*(.*)$/.exec(rest)
        if (!m2) continue
        kw = `menu ${m2[1]!.toLowerCase()}`
        rest = m2[2]!.trim()
      }
      const firstWord = rest.split(/\s+/)[0] ?? ''
      switch (kw) {
        case 'label':
          current = { label: rest, linux: true, menuDefault: false, source, baseDir }
          labels.push(current)
          break
        case 'menu label':
          if (current) current.title = rest.replace(/\^/g, '')
          break
        case 'menu default':
          if (current) current.menuDefault = true
          break
        case 'kernel':
        case 'linux':
          if (current) {
            current.kernel = firstWord
            const extra = rest.slice(firstWord.length).trim()
            if (extra) current.kernelArgs = extra
            else delete current.kernelArgs
            if (kw === 'kernel' && NON_LINUX_EXT.test(firstWord)) current.linux = false
          }
          break
        case 'initrd':
          if (current) current.initrd = rest
          break
        case 'append':
          if (current) current.append = rest
          else st.globalAppend = rest
          break
        case 'default':
          st.defaultCmd = rest
          break
        case 'ontimeout':
          st.onTimeout = rest
          break
        case 'text':
          inText = true
          break
        case 'include':
        case 'menu include': {
          if (!opts.include || depth >= MAX_INCLUDE_DEPTH || !firstWord) break
          const path = resolveIn(baseDir, firstWord)
          const inc = read(path)
          if (inc === undefined) break
          stack.push(path)
          const restarted = walk(inc, path, baseDir, depth + 1)
          stack.pop()
          if (restarted) return true
          break
        }
        case 'config': {
          if (current) {
            current.linux = false
            break
          }
          if (!opts.include || depth >= MAX_INCLUDE_DEPTH || !firstWord) break
          const path = resolveIn(baseDir, firstWord)
          const inc = budget.configs.includes(path) ? undefined : read(path)
          if (inc === undefined) break
          const dir = rest.split(/\s+/)[1]
          restart.text = inc
          restart.source = path
          restart.baseDir = dir ? resolveIn(baseDir, dir) : posix.dirname(path)
          return true
        }
        default:
          if (NON_LINUX_KEYWORDS.has(kw) && current) current.linux = false
      }
    }
    return false
  }

  if (walk(text, source, baseDir, 0) && restart.text !== undefined) {
    // CONFIG replaces the whole configuration
    return parseSyslinux(restart.text, { ...opts, source: restart.source, baseDir: restart.baseDir }, {
      includes: budget.includes,
      configs: [...budget.configs, source],
    })
  }

  const entries: BootEntry[] = []
  const byLabel = new Map<SysLabel, BootEntry>()
  for (const l of labels) {
    if (!l.linux || !l.kernel) continue
    let append = l.append ?? st.globalAppend ?? ''
    if (append.trim() === '-') append = '' // APPEND - : no options
    const words = splitCommandLine(`${l.kernelArgs ?? ''} ${append}`)
    const params: string[] = []
    const initrds: string[] = []
    for (const w of words) {
      if (w.startsWith('initrd=')) {
        for (const p of w.slice('initrd='.length).split(',')) if (p) initrds.push(resolveIn(l.baseDir, p))
      } else params.push(w)
    }
    if (l.initrd) for (const p of l.initrd.split(/[,\s]+/)) if (p) initrds.push(resolveIn(l.baseDir, p))
    const e: BootEntry = {
      label: l.label,
      kernel: resolveIn(l.baseDir, l.kernel),
      initrds,
      params,
      isDefault: false,
      source: l.source,
    }
    if (l.title !== undefined) e.title = l.title
    entries.push(e)
    byLabel.set(l, e)
  }

  const find = (name: string | undefined): BootEntry | undefined => {
    if (!name) return undefined
    const exact = labels.find(l => l.label === name && byLabel.has(l))
    if (exact) return byLabel.get(exact)
    const lower = name.toLowerCase()
    const ci = labels.find(l => l.label.toLowerCase() === lower && byLabel.has(l))
    return ci ? byLabel.get(ci) : undefined
  }
  const menuDefault = labels.find(l => l.menuDefault && byLabel.has(l))
  const def =
    (menuDefault && byLabel.get(menuDefault)) ??
    find(st.defaultCmd?.split(/\s+/)[0]) ??
    find(st.onTimeout?.split(/\s+/)[0]) ??
    entries[0]
  if (def) def.isDefault = true

  // no LABEL at all, but `DEFAULT /vmlinuz initrd=... args`: the default command line
  if (entries.length === 0 && st.defaultCmd) {
    const [kernel, ...args] = splitCommandLine(st.defaultCmd)
    if (kernel && !NON_LINUX_EXT.test(kernel)) {
      const initrds: string[] = []
      const params: string[] = []
      for (const w of [...args, ...(args.length ? [] : splitCommandLine(st.globalAppend ?? ''))]) {
        if (w.startsWith('initrd=')) {
          for (const p of w.slice('initrd='.length).split(',')) if (p) initrds.push(resolveIn(baseDir, p))
        } else params.push(w)
      }
      entries.push({ label: 'default', kernel: resolveIn(baseDir, kernel), initrds, params, isDefault: true, source })
    }
  }
  return entries
}

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

/** Files read so far (INCLUDE and CONFIG) and the chain of CONFIG restarts. */
interface Budget {
  includes: number
  configs: string[]
}

/** What reading a configuration (with its INCLUDEs) collects, and where CONFIG restarts it. */
interface SyslinuxRead {
  opts: SyslinuxParseOptions
  budget: Budget
  labels: SysLabel[]
  defaultCmd?: string
  onTimeout?: string
  globalAppend?: string
  restart?: { text: string; source: string; baseDir: string | undefined }
  /** The LABEL being defined (it carries on across INCLUDEs, as in syslinux). */
  current?: SysLabel
  /** The files being read, outermost first. */
  stack: string[]
}

/**
 * The phases: read the configuration and its INCLUDEs into labels ({@link walkSyslinux}),
 * start over from a CONFIG target, turn the Linux labels into entries
 * ({@link labelEntries}), mark the default ({@link markDefault}), and fall back to a
 * `DEFAULT` command line when there is no label ({@link defaultCommandEntry}).
 */
function parseSyslinux(text: string, opts: SyslinuxParseOptions, budget: Budget): BootEntry[] {
  const source = opts.source ?? 'syslinux.cfg'
  const baseDir = opts.baseDir ?? (source.startsWith('/') ? posix.dirname(source) : undefined)
  const read: SyslinuxRead = { opts, budget, labels: [], stack: [source] }
  if (walkSyslinux(read, text, source, baseDir, 0) && read.restart) {
    // CONFIG replaces the whole configuration
    const { restart } = read
    return parseSyslinux(restart.text, { ...opts, source: restart.source, baseDir: restart.baseDir }, {
      includes: budget.includes,
      configs: [...budget.configs, source],
    })
  }
  const { entries, byLabel } = labelEntries(read.labels, read.globalAppend)
  markDefault(read, entries, byLabel)
  if (entries.length === 0 && read.defaultCmd) {
    const entry = defaultCommandEntry(read.defaultCmd, read.globalAppend, baseDir, source)
    if (entry) entries.push(entry)
  }
  return entries
}

/**
 * Reads `path` for INCLUDE or CONFIG through the include reader, counting it against
 * {@link MAX_INCLUDES}. A file already being read (or, for CONFIG, already started over
 * from) is not read again: include loops end there.
 */
function readIncluded(read: SyslinuxRead, path: string): string | undefined {
  if (read.stack.includes(path)) return undefined
  const text = read.opts.include?.(path)
  if (text === undefined) return undefined
  if (++read.budget.includes > MAX_INCLUDES) {
    throw new MediumError(`syslinux configuration '${read.stack[0]}' reads more than ${MAX_INCLUDES} files through INCLUDE and CONFIG.`)
  }
  return text
}

/** Reads one file's lines into `read`; true when a CONFIG line restarts the configuration. */
function walkSyslinux(read: SyslinuxRead, text: string, source: string, baseDir: string | undefined, depth: number): boolean {
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
    if (kw === 'text') inText = true
    else if (kw === 'include' || kw === 'menu include' || kw === 'config') {
      if (followFile(read, kw, rest, baseDir, depth)) return true
    } else applyKeyword(read, kw, rest, source, baseDir)
  }
  return false
}

/** A keyword that sets a label's or the menu's field. */
function applyKeyword(read: SyslinuxRead, kw: string, rest: string, source: string, baseDir: string | undefined): void {
  const current = read.current
  const firstWord = rest.split(/\s+/)[0] ?? ''
  switch (kw) {
    case 'label':
      read.current = { label: rest, linux: true, menuDefault: false, source, baseDir }
      read.labels.push(read.current)
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
      else read.globalAppend = rest
      break
    case 'default':
      read.defaultCmd = rest
      break
    case 'ontimeout':
      read.onTimeout = rest
      break
    default:
      if (NON_LINUX_KEYWORDS.has(kw) && current) current.linux = false
  }
}

/**
 * INCLUDE and MENU INCLUDE read another file in place; CONFIG (outside a label) starts the
 * configuration over from another file. True when CONFIG restarts it.
 */
function followFile(read: SyslinuxRead, kw: string, rest: string, baseDir: string | undefined, depth: number): boolean {
  const firstWord = rest.split(/\s+/)[0] ?? ''
  if (kw === 'config' && read.current) {
    read.current.linux = false // a label that CONFIGs boots no Linux of its own
    return false
  }
  if (!read.opts.include || depth >= MAX_INCLUDE_DEPTH || !firstWord) return false
  const path = resolveIn(baseDir, firstWord)
  if (kw === 'config') {
    const inc = read.budget.configs.includes(path) ? undefined : readIncluded(read, path)
    if (inc === undefined) return false
    const dir = rest.split(/\s+/)[1]
    read.restart = { text: inc, source: path, baseDir: dir ? resolveIn(baseDir, dir) : posix.dirname(path) }
    return true
  }
  const inc = readIncluded(read, path)
  if (inc === undefined) return false
  read.stack.push(path)
  const restarted = walkSyslinux(read, inc, path, baseDir, depth + 1)
  read.stack.pop()
  return restarted
}

/** `initrd=a,b` words of a command line as initrd paths, the others as parameters. */
function splitInitrdWords(words: string[], baseDir: string | undefined): { initrds: string[]; params: string[] } {
  const initrds: string[] = []
  const params: string[] = []
  for (const w of words) {
    if (w.startsWith('initrd=')) {
      for (const p of w.slice('initrd='.length).split(',')) if (p) initrds.push(resolveIn(baseDir, p))
    } else params.push(w)
  }
  return { initrds, params }
}

/** The boot entries of the labels that boot Linux, and which label made which. */
function labelEntries(labels: SysLabel[], globalAppend: string | undefined): { entries: BootEntry[]; byLabel: Map<SysLabel, BootEntry> } {
  const entries: BootEntry[] = []
  const byLabel = new Map<SysLabel, BootEntry>()
  for (const l of labels) {
    if (!l.linux || !l.kernel) continue
    let append = l.append ?? globalAppend ?? ''
    if (append.trim() === '-') append = '' // APPEND - : no options
    const { initrds, params } = splitInitrdWords(splitCommandLine(`${l.kernelArgs ?? ''} ${append}`), l.baseDir)
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
  return { entries, byLabel }
}

/** Marks the default entry: MENU DEFAULT, else DEFAULT's label, else ONTIMEOUT's, else the first. */
function markDefault(read: SyslinuxRead, entries: BootEntry[], byLabel: Map<SysLabel, BootEntry>): void {
  const { labels } = read
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
    find(read.defaultCmd?.split(/\s+/)[0]) ??
    find(read.onTimeout?.split(/\s+/)[0]) ??
    entries[0]
  if (def) def.isDefault = true
}

/** No LABEL at all, but `DEFAULT /vmlinuz initrd=... args`: the default command line as the one entry. */
function defaultCommandEntry(defaultCmd: string, globalAppend: string | undefined, baseDir: string | undefined, source: string): BootEntry | undefined {
  const [kernel, ...args] = splitCommandLine(defaultCmd)
  if (!kernel || NON_LINUX_EXT.test(kernel)) return undefined
  const { initrds, params } = splitInitrdWords([...args, ...(args.length ? [] : splitCommandLine(globalAppend ?? ''))], baseDir)
  return { label: 'default', kernel: resolveIn(baseDir, kernel), initrds, params, isDefault: true, source }
}

/**
 * Boot entries from an ISO's own boot loader configuration (isolinux/syslinux and GRUB),
 * and extraction of an entry's kernel and initrd, so an unmodified ISO can be booted
 * directly (`-kernel`/`-initrd`/`-append`) with extra kernel parameters.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { MediumError } from '../errors/errors.js'
import { IsoImage } from './iso9660.js'

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

/** Reads an included file; `undefined` when it does not exist. */
export type IncludeReader = (path: string) => string | undefined

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

export interface GrubParseOptions {
  /** the config file's path, stored as each entry's `source` (default: 'grub.cfg') */
  source?: string
  /** reads files named by `source` (absolute paths) */
  include?: IncludeReader
}

const MAX_INCLUDE_DEPTH = 16

// ---------------------------------------------------------------------------
// helpers

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

function resolveIn(baseDir: string | undefined, p: string): string {
  if (p.startsWith('/')) return posix.normalize(p)
  if (baseDir) return posix.normalize(posix.join(baseDir.startsWith('/') ? baseDir : `/${baseDir}`, p))
  return p
}

// ---------------------------------------------------------------------------
// syslinux / isolinux

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
  const source = opts.source ?? 'syslinux.cfg'
  const baseDir = opts.baseDir ?? (source.startsWith('/') ? posix.dirname(source) : undefined)
  const labels: SysLabel[] = []
  const st = { defaultCmd: undefined as string | undefined, onTimeout: undefined as string | undefined, globalAppend: undefined as string | undefined }
  const restart = { text: undefined as string | undefined, source: '', baseDir: undefined as string | undefined }

  let current: SysLabel | undefined // the LABEL being defined (it carries on across INCLUDEs, as in syslinux)
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
          const inc = opts.include(path)
          if (inc !== undefined && walk(inc, path, baseDir, depth + 1)) return true
          break
        }
        case 'config': {
          if (current) {
            current.linux = false
            break
          }
          if (!opts.include || depth >= MAX_INCLUDE_DEPTH || !firstWord) break
          const path = resolveIn(baseDir, firstWord)
          const inc = opts.include(path)
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
    return parseSyslinuxConfig(restart.text, { ...opts, source: restart.source, baseDir: restart.baseDir })
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

// ---------------------------------------------------------------------------
// GRUB

type WordPart = { t: 'lit'; s: string; quoted: boolean } | { t: 'var'; name: string; quoted: boolean }
interface RawWord {
  parts: WordPart[]
  quoted: boolean
}
type Token = { t: 'word'; w: RawWord } | { t: 'eol' } | { t: 'lb' } | { t: 'rb' }

/** GRUB script lexer: quotes, escapes, comments, `$var`/`${var}`, `;`, `{`, `}`. */
function lexGrub(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let word: RawWord | undefined
  const lit = (s: string, quoted: boolean) => {
    word ??= { parts: [], quoted: false }
    if (quoted) word.quoted = true
    const last = word.parts.at(-1)
    if (last && last.t === 'lit' && last.quoted === quoted) last.s += s
    else word.parts.push({ t: 'lit', s, quoted })
  }
  const endWord = () => {
    if (word) tokens.push({ t: 'word', w: word })
    word = undefined
  }
  const readVar = (quoted: boolean): boolean => {
    // at text[i] === '$'
    const next = text[i + 1]
    if (next === '{') {
      const close = text.indexOf('}', i + 2)
      if (close < 0) return false
      word ??= { parts: [], quoted: false }
      word.parts.push({ t: 'var', name: text.slice(i + 2, close), quoted })
      i = close + 1
      return true
    }
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?#@*])/.exec(text.slice(i + 1, i + 64))
    if (!m) return false
    word ??= { parts: [], quoted: false }
    word.parts.push({ t: 'var', name: m[0], quoted })
    i += 1 + m[0].length
    return true
  }
  while (i < text.length) {
    const c = text[i]!
    if (c === '\\') {
      if (text[i + 1] === '\n') i += 2
      else if (text[i + 1] === '\r' && text[i + 2] === '\n') i += 3
      else {
        lit(text[i + 1] ?? '', false)
        i += 2
      }
      continue
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1)
      const end = close < 0 ? text.length : close
      lit(text.slice(i + 1, end), true)
      i = end + 1
      continue
    }
    if (c === '"') {
      i++
      let s = ''
      word ??= { parts: [], quoted: true }
      word.quoted = true
      while (i < text.length && text[i] !== '"') {
        const d = text[i]!
        if (d === '\\' && /[$"\\\n]/.test(text[i + 1] ?? '')) {
          if (text[i + 1] !== '\n') s += text[i + 1]
          i += 2
        } else if (d === '$') {
          if (s) lit(s, true)
          s = ''
          if (!readVar(true)) {
            s += '$'
            i++
          }
        } else {
          s += d
          i++
        }
      }
      lit(s, true)
      i++
      continue
    }
    if (c === '$') {
      if (!readVar(false)) {
        lit('$', false)
        i++
      }
      continue
    }
    if (c === '\n' || c === ';' || c === '|' || c === '&') {
      endWord()
      tokens.push({ t: 'eol' })
      i++
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord()
      i++
      continue
    }
    if (c === '#' && !word) {
      while (i < text.length && text[i] !== '\n') i++
      continue
    }
    if ((c === '{' || c === '}') && !word && /^[\s;]?$/.test(text[i + 1] ?? '')) {
      tokens.push({ t: c === '{' ? 'lb' : 'rb' })
      i++
      continue
    }
    lit(c, false)
    i++
  }
  endWord()
  return tokens
}

type Stmt =
  | { kind: 'cmd'; words: RawWord[]; cond: number }
  | { kind: 'menuentry' | 'submenu'; words: RawWord[]; body: Stmt[]; cond: number }

function literalOf(w: RawWord | undefined): string {
  if (!w || w.quoted) return ''
  return w.parts.every(p => p.t === 'lit') ? w.parts.map(p => (p as { s: string }).s).join('') : ''
}

/** Parses tokens into statements until a closing brace (or the end). */
function parseGrubBlock(tokens: Token[], pos: { i: number }, baseCond: number): Stmt[] {
  const out: Stmt[] = []
  let cond = baseCond
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i]!
    if (tok.t === 'eol') {
      pos.i++
      continue
    }
    if (tok.t === 'rb') {
      pos.i++
      return out
    }
    if (tok.t === 'lb') {
      pos.i++
      out.push(...parseGrubBlock(tokens, pos, cond))
      continue
    }
    const words: RawWord[] = []
    while (pos.i < tokens.length) {
      const t = tokens[pos.i]!
      if (t.t !== 'word') break
      words.push(t.w)
      pos.i++
    }
    while (['then', 'else', 'do'].includes(literalOf(words[0]))) words.shift()
    const kw = literalOf(words[0])
    if (kw === 'menuentry' || kw === 'submenu' || kw === 'function') {
      while (tokens[pos.i]?.t === 'eol') pos.i++
      let body: Stmt[] = []
      if (tokens[pos.i]?.t === 'lb') {
        pos.i++
        body = parseGrubBlock(tokens, pos, 0)
      }
      if (kw !== 'function') out.push({ kind: kw, words: words.slice(1), body, cond })
      continue
    }
    if (kw === 'if' || kw === 'while' || kw === 'until' || kw === 'for') {
      cond++
      continue
    }
    if (kw === 'fi' || kw === 'done') {
      cond = Math.max(baseCond, cond - 1)
      continue
    }
    if (kw === 'elif' || words.length === 0) continue
    out.push({ kind: 'cmd', words, cond })
  }
  return out
}

/** Expands a word with GRUB's rules: unknown variables are empty, unquoted expansions split on blanks. */
function expandWord(w: RawWord, vars: Map<string, string>): string[] {
  const out: string[] = []
  let cur = ''
  let has = w.quoted
  for (const p of w.parts) {
    if (p.t === 'lit') {
      cur += p.s
      if (p.s) has = true
      continue
    }
    const value = vars.get(p.name) ?? ''
    if (p.quoted) {
      cur += value
      continue
    }
    value.split(/[ \t\n]+/).forEach((f, i) => {
      if (i > 0) {
        if (has || cur) out.push(cur)
        cur = ''
        has = false
      }
      cur += f
      if (f) has = true
    })
  }
  if (has || cur) out.push(cur)
  return out
}

const expandAll = (words: RawWord[], vars: Map<string, string>): string[] => words.flatMap(w => expandWord(w, vars))

interface GrubItem {
  title: string
  id?: string
  entry?: BootEntry
  items?: GrubItem[]
}

const GRUB_VALUE_OPTIONS = new Set(['--class', '--users', '--hotkey', '--id', '--source'])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/
const LINUX_CMDS = new Set(['linux', 'linuxefi', 'linux16', 'linux32', 'linux64', 'linuxx64'])
const INITRD_CMDS = new Set(['initrd', 'initrdefi', 'initrd16', 'initrd32', 'initrd64', 'initrdx64'])

function grubPath(p: string): string {
  const s = p.replace(/^\([^)]*\)/, '')
  return s.startsWith('/') ? posix.normalize(s) : `/${s}`
}

function grubParam(p: string): string {
  if (!/\s/.test(p) || p.includes('"')) return p
  const eq = p.indexOf('=')
  return eq > 0 ? `${p.slice(0, eq + 1)}"${p.slice(eq + 1)}"` : `"${p}"`
}

/**
 * Boot entries of a GRUB configuration: `menuentry 'Title' [--id x] { linux /k args; initrd /a /b }`,
 * submenus (flattened), `set default=` (index, `N>M`, title or id) and variables set
 * unconditionally at the top level. Best effort: commands inside `if` blocks are not
 * evaluated, unknown variables expand to nothing, only the first `linux`/`initrd` of an
 * entry counts. Entries without a `linux` command are left out.
 */
export function parseGrubConfig(text: string, opts: GrubParseOptions = {}): BootEntry[] {
  const source = opts.source ?? 'grub.cfg'
  const vars = new Map<string, string>()
  const top: GrubItem[] = []

  const set = (words: string[], scope: Map<string, string>) => {
    for (const w of words) {
      const eq = w.indexOf('=')
      if (eq > 0) scope.set(w.slice(0, eq), w.slice(eq + 1))
    }
  }

  const runEntry = (body: Stmt[], scope: Map<string, string>, item: GrubItem, src: string) => {
    let kernel: string | undefined
    let params: string[] = []
    let initrds: string[] | undefined
    const walk = (stmts: Stmt[]) => {
      for (const s of stmts) {
        if (s.kind !== 'cmd') continue
        const words = expandAll(s.words, scope)
        const kw = words[0] ?? ''
        if (kw === 'set' && s.cond === 0) set(words.slice(1), scope)
        else if (words.length === 1 && ASSIGNMENT.test(kw) && s.cond === 0) set(words, scope)
        else if (LINUX_CMDS.has(kw) && kernel === undefined && words[1]) {
          kernel = grubPath(words[1])
          params = words.slice(2).filter(w => w !== '').map(grubParam)
        } else if (INITRD_CMDS.has(kw) && initrds === undefined) {
          initrds = words.slice(1).filter(w => w !== '').map(grubPath)
        }
      }
    }
    walk(body)
    if (kernel === undefined) return
    const e: BootEntry = {
      label: item.id ?? item.title,
      title: item.title,
      kernel,
      initrds: initrds ?? [],
      params,
      isDefault: false,
      source: src,
    }
    item.entry = e
  }

  const header = (words: string[]): { title: string; id?: string } => {
    const positional: string[] = []
    let id: string | undefined
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!
      if (w === '--') {
        positional.push(...words.slice(i + 1))
        break
      }
      if (w.startsWith('--')) {
        const eq = w.indexOf('=')
        const key = eq > 0 ? w.slice(0, eq) : w
        const value = eq > 0 ? w.slice(eq + 1) : GRUB_VALUE_OPTIONS.has(w) ? words[++i] : undefined
        if (key === '--id' && value) id = value
        continue
      }
      positional.push(w)
    }
    return id ? { title: positional[0] ?? '', id } : { title: positional[0] ?? '' }
  }

  const run = (stmts: Stmt[], into: GrubItem[], src: string, depth: number, topLevel: boolean) => {
    for (const s of stmts) {
      if (s.kind === 'cmd') {
        if (!topLevel) continue
        const words = expandAll(s.words, vars)
        const kw = words[0] ?? ''
        if (kw === 'set' && s.cond === 0) set(words.slice(1), vars)
        else if (words.length === 1 && ASSIGNMENT.test(kw) && s.cond === 0) set(words, vars)
        else if ((kw === 'source' || kw === '.') && words[1] && opts.include && depth < MAX_INCLUDE_DEPTH) {
          const path = grubPath(words[1])
          const inc = opts.include(path)
          if (inc !== undefined) run(parseGrubBlock(lexGrub(inc), { i: 0 }, 0), into, path, depth + 1, true)
        }
        continue
      }
      const h = header(expandAll(s.words, vars))
      const item: GrubItem = h.id ? { title: h.title, id: h.id } : { title: h.title }
      into.push(item)
      if (s.kind === 'submenu') {
        item.items = []
        run(s.body, item.items, src, depth, false)
      } else runEntry(s.body, new Map(vars), item, src)
    }
  }
  run(parseGrubBlock(lexGrub(text), { i: 0 }, 0), top, source, 0, true)

  // default: index, title or id, with '>' stepping into submenus
  let items: GrubItem[] | undefined = top
  let chosen: GrubItem | undefined
  const def = vars.get('default') ?? ''
  for (const part of (def === '' ? '0' : def).split('>')) {
    if (!items) {
      chosen = undefined
      break
    }
    chosen = /^\d+$/.test(part) ? items[Number(part)] : (items.find(it => it.id === part) ?? items.find(it => it.title === part))
    items = chosen?.items
  }
  if (!chosen && def !== '') chosen = top[0] // an unresolvable default boots the first entry
  if (chosen?.entry) chosen.entry.isDefault = true

  const entries: BootEntry[] = []
  const flatten = (list: GrubItem[]) => {
    for (const it of list) {
      if (it.entry) entries.push(it.entry)
      if (it.items) flatten(it.items)
    }
  }
  flatten(top)
  return entries
}

// ---------------------------------------------------------------------------
// ISO

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

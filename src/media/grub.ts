/**
 * GRUB configuration parser: the Linux boot entries of `menuentry`/`submenu` blocks and
 * the default entry.
 */
import { posix } from 'node:path'
import { MediumError } from '../errors/errors.js'
import { MAX_INCLUDE_DEPTH, MAX_INCLUDES, type BootEntry, type IncludeReader } from './bootentry.js'
import { expandAll, lexGrub, parseGrubBlock, type Stmt } from './grub-script.js'

export interface GrubParseOptions {
  /** the config file's path, stored as each entry's `source` (default: 'grub.cfg') */
  source?: string
  /** reads files named by `source` (absolute paths) */
  include?: IncludeReader
}


interface GrubItem {
  title: string
  id?: string
  entry?: BootEntry
  items?: GrubItem[]
}

/** The longest variable value kept (`set a="$a$a"` repeated doubles it each time). */
const MAX_VALUE = 64 * 1024

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

/** The state of reading one configuration: its variables and the files read through `source`. */
interface GrubRead {
  opts: GrubParseOptions
  /** The configuration's own path, for messages. */
  source: string
  /** Variables set unconditionally at the top level. */
  vars: Map<string, string>
  /** The files being read through `source`, outermost first. */
  stack: string[]
  includes: number
}

/**
 * Boot entries of a GRUB configuration: `menuentry 'Title' [--id x] { linux /k args; initrd /a /b }`,
 * submenus (flattened), `set default=` (index, `N>M`, title or id) and variables set
 * unconditionally at the top level. Best effort: commands inside `if` blocks are not
 * evaluated, unknown variables expand to nothing, only the first `linux`/`initrd` of an
 * entry counts. Entries without a `linux` command are left out.
 *
 * The phases: lex and parse the script, run its top level into menu items
 * ({@link runBlock}, following `source`), mark the default ({@link markGrubDefault}), and
 * list the entries in menu order.
 */
export function parseGrubConfig(text: string, opts: GrubParseOptions = {}): BootEntry[] {
  const source = opts.source ?? 'grub.cfg'
  const read: GrubRead = { opts, source, vars: new Map(), stack: [source], includes: 0 }
  const top: GrubItem[] = []
  runBlock(read, parseGrubBlock(lexGrub(text), { i: 0 }, 0, source), top, source, 0, true)
  markGrubDefault(top, read.vars.get('default') ?? '')
  return flattenItems(top)
}

/** `name=value` words into `scope`; a value beyond {@link MAX_VALUE} is a {@link MediumError}. */
function setVars(read: GrubRead, words: string[], scope: Map<string, string>): void {
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq <= 0) continue
    if (w.length - eq - 1 > MAX_VALUE) {
      throw new MediumError(`GRUB configuration '${read.source}': variable '${w.slice(0, eq)}' grows beyond ${MAX_VALUE} characters.`)
    }
    scope.set(w.slice(0, eq), w.slice(eq + 1))
  }
}

/** Runs a block's statements: top-level commands set variables and `source` files; menu entries and submenus become items. */
function runBlock(read: GrubRead, stmts: Stmt[], into: GrubItem[], src: string, depth: number, topLevel: boolean): void {
  for (const s of stmts) {
    if (s.kind === 'cmd') {
      if (!topLevel) continue
      const words = expandAll(s.words, read.vars)
      const kw = words[0] ?? ''
      if (kw === 'set' && s.cond === 0) setVars(read, words.slice(1), read.vars)
      else if (words.length === 1 && ASSIGNMENT.test(kw) && s.cond === 0) setVars(read, words, read.vars)
      else if ((kw === 'source' || kw === '.') && words[1] && read.opts.include && depth < MAX_INCLUDE_DEPTH) sourceFile(read, words[1], into, depth)
      continue
    }
    const h = entryHeader(expandAll(s.words, read.vars))
    const item: GrubItem = h.id ? { title: h.title, id: h.id } : { title: h.title }
    into.push(item)
    if (s.kind === 'submenu') {
      item.items = []
      runBlock(read, s.body, item.items, src, depth, false)
    } else runEntry(read, s.body, new Map(read.vars), item, src)
  }
}

/** `source FILE`: runs the file's top level in place (a file already being read is skipped: a loop ends there). */
function sourceFile(read: GrubRead, file: string, into: GrubItem[], depth: number): void {
  const path = grubPath(file)
  if (read.stack.includes(path)) return
  const inc = read.opts.include!(path)
  if (inc === undefined) return
  if (++read.includes > MAX_INCLUDES) {
    throw new MediumError(`GRUB configuration '${read.source}' reads more than ${MAX_INCLUDES} files through 'source'.`)
  }
  read.stack.push(path)
  runBlock(read, parseGrubBlock(lexGrub(inc), { i: 0 }, 0, path), into, path, depth + 1, true)
  read.stack.pop()
}

/** A menu entry's body: its variables, its first `linux` and first `initrd`; sets `item.entry` when it boots Linux. */
function runEntry(read: GrubRead, body: Stmt[], scope: Map<string, string>, item: GrubItem, src: string): void {
  let kernel: string | undefined
  let params: string[] = []
  let initrds: string[] | undefined
  for (const s of body) {
    if (s.kind !== 'cmd') continue
    const words = expandAll(s.words, scope)
    const kw = words[0] ?? ''
    if (kw === 'set' && s.cond === 0) setVars(read, words.slice(1), scope)
    else if (words.length === 1 && ASSIGNMENT.test(kw) && s.cond === 0) setVars(read, words, scope)
    else if (LINUX_CMDS.has(kw) && kernel === undefined && words[1]) {
      kernel = grubPath(words[1])
      params = words.slice(2).filter(w => w !== '').map(grubParam)
    } else if (INITRD_CMDS.has(kw) && initrds === undefined) {
      initrds = words.slice(1).filter(w => w !== '').map(grubPath)
    }
  }
  if (kernel === undefined) return
  item.entry = { label: item.id ?? item.title, title: item.title, kernel, initrds: initrds ?? [], params, isDefault: false, source: src }
}

/** A `menuentry`/`submenu` line's title (its first positional word) and `--id`. */
function entryHeader(words: string[]): { title: string; id?: string } {
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

/** Marks `set default=`'s entry: an index, title or id, with '>' stepping into submenus; an unresolvable one boots the first. */
function markGrubDefault(top: GrubItem[], def: string): void {
  let items: GrubItem[] | undefined = top
  let chosen: GrubItem | undefined
  for (const part of (def === '' ? '0' : def).split('>')) {
    if (!items) {
      chosen = undefined
      break
    }
    chosen = /^\d+$/.test(part) ? items[Number(part)] : (items.find(it => it.id === part) ?? items.find(it => it.title === part))
    items = chosen?.items
  }
  if (!chosen && def !== '') chosen = top[0]
  if (chosen?.entry) chosen.entry.isDefault = true
}

/** The entries of the menu and its submenus, in menu order. */
function flattenItems(list: GrubItem[], out: BootEntry[] = []): BootEntry[] {
  for (const it of list) {
    if (it.entry) out.push(it.entry)
    if (it.items) flattenItems(it.items, out)
  }
  return out
}

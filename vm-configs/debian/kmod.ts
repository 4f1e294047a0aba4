/**
 * Kernel module helpers for the live-media builder.
 *
 * The Debian kernel .deb ships no modules.dep and the host has no depmod, so
 * the dependency closure is computed here from each module's `.modinfo`
 * section (NUL-separated `key=value` strings such as `depends=a,b`).
 *
 * Everything in this file is pure (no I/O) so it can be unit tested on fake
 * data.
 */

/** What the builder needs to know about one module. */
export interface ModuleInfo {
  /** canonical name: underscores, no extension (`xhci_hcd`) */
  name: string
  /** hard dependencies (`depends=`), canonical names */
  depends: string[]
  /** `softdep=pre: ...` entries: module names or aliases, loaded before when available */
  softdepPre: string[]
  /** `alias=` entries without wildcards (e.g. `crypto-crc32c`, `fs-ext4`) */
  aliases: string[]
}

/** A module found in the kernel tree: its info plus where the file lives. */
export interface ModuleEntry extends ModuleInfo {
  /** path relative to /lib/modules/<kver>/, e.g. `kernel/fs/ext4/ext4.ko` (may end in .xz/.zst) */
  path: string
}

/** `xhci-hcd`, `kernel/drivers/usb/host/xhci-hcd.ko.xz` → `xhci_hcd` */
export function canonicalModuleName(nameOrPath: string): string {
  const base = nameOrPath.slice(nameOrPath.lastIndexOf('/') + 1)
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_')
}

/** Split a `.modinfo` section into key → values (a key may repeat, e.g. `alias`). */
export function parseModinfoStrings(section: Uint8Array): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const text = Buffer.from(section.buffer, section.byteOffset, section.byteLength).toString('latin1')
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=')
    if (eq <= 0) continue
    const key = entry.slice(0, eq)
    const value = entry.slice(eq + 1)
    const list = out.get(key)
    if (list) list.push(value)
    else out.set(key, [value])
  }
  return out
}

function splitList(v: string | undefined): string[] {
  if (!v) return []
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}

/**
 * Turn a `.modinfo` section into ModuleInfo. `fallbackName` (usually the file
 * name) is used when the section has no `name=` (older kernels).
 */
export function parseModinfo(section: Uint8Array, fallbackName: string): ModuleInfo {
  const kv = parseModinfoStrings(section)
  const name = canonicalModuleName(kv.get('name')?.[0] ?? fallbackName)
  const depends = (kv.get('depends') ?? []).flatMap(splitList).map(canonicalModuleName)
  const softdepPre: string[] = []
  for (const sd of kv.get('softdep') ?? []) {
    // format: "pre: a b post: c"
    let mode: 'pre' | 'post' | undefined
    for (const tok of sd.split(/\s+/).filter(Boolean)) {
      if (tok === 'pre:') mode = 'pre'
      else if (tok === 'post:') mode = 'post'
      else if (mode === 'pre') softdepPre.push(tok)
    }
  }
  const aliases = (kv.get('alias') ?? []).filter((a) => !/[*?[]/.test(a))
  return { name, depends: [...new Set(depends)], softdepPre, aliases }
}

/** Minimal ELF64/ELF32 little/big-endian section lookup. Returns the section bytes or undefined. */
export function elfSection(elf: Uint8Array, wanted: string): Uint8Array | undefined {
  const buf = Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength)
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined
  const is64 = buf[4] === 2
  const le = buf[5] === 1
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o))
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o))
  const uN = (o: number) => (is64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o))
  const shoff = is64 ? uN(0x28) : u32(0x20)
  const shentsize = u16(is64 ? 0x3a : 0x2e)
  const shnum = u16(is64 ? 0x3c : 0x30)
  const shstrndx = u16(is64 ? 0x3e : 0x32)
  if (shoff === 0 || shnum === 0 || shoff + shnum * shentsize > buf.length) return undefined
  const sh = (i: number) => {
    const b = shoff + i * shentsize
    return is64
      ? { name: u32(b), offset: uN(b + 0x18), size: uN(b + 0x20), type: u32(b + 4) }
      : { name: u32(b), offset: u32(b + 0x10), size: u32(b + 0x14), type: u32(b + 4) }
  }
  const strtab = sh(shstrndx)
  for (let i = 0; i < shnum; i++) {
    const s = sh(i)
    const nameStart = strtab.offset + s.name
    const nameEnd = buf.indexOf(0, nameStart)
    if (nameEnd < 0) continue
    if (buf.toString('latin1', nameStart, nameEnd) === wanted) {
      if (s.type === 8 /* SHT_NOBITS */ || s.offset + s.size > buf.length) return undefined
      return buf.subarray(s.offset, s.offset + s.size)
    }
  }
  return undefined
}

/** DT_NEEDED entries of an ELF64 little-endian shared object / executable (for the glibc closure). */
export function elfNeeded(elf: Uint8Array): string[] {
  const dyn = elfSection(elf, '.dynamic')
  const dynstr = elfSection(elf, '.dynstr')
  if (!dyn || !dynstr) return []
  const d = Buffer.from(dyn.buffer, dyn.byteOffset, dyn.byteLength)
  const s = Buffer.from(dynstr.buffer, dynstr.byteOffset, dynstr.byteLength)
  const out: string[] = []
  for (let o = 0; o + 16 <= d.length; o += 16) {
    const tag = Number(d.readBigInt64LE(o))
    if (tag === 0) break
    if (tag === 1 /* DT_NEEDED */) {
      const off = Number(d.readBigUInt64LE(o + 8))
      const end = s.indexOf(0, off)
      out.push(s.toString('latin1', off, end < 0 ? s.length : end))
    }
  }
  return out
}

/** `modules.builtin` text (one `kernel/.../foo.ko` per line) → set of canonical names. */
export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map(canonicalModuleName),
  )
}

export interface ClosureRequest {
  /** modules that must be present (unless built in) */
  required: string[]
  /** modules loaded when present; silently skipped when missing */
  optional?: string[]
}

export interface ClosureResult {
  /** load order: every module after all its dependencies */
  order: ModuleEntry[]
  /** requested or depended-on names that are built into the kernel (nothing to load) */
  builtin: string[]
  /** optional modules (or soft dependencies) not found */
  missingOptional: string[]
}

/**
 * Dependency closure of the requested modules, in load order (dependencies
 * first; soft `pre:` dependencies before the module when they can be found by
 * name or alias, all providers of an alias like modprobe does). Built-in
 * modules are skipped. Throws when a required module or a hard dependency is
 * missing, or on a dependency cycle.
 */
export function moduleClosure(
  modules: Iterable<ModuleEntry>,
  builtinNames: Set<string>,
  req: ClosureRequest,
): ClosureResult {
  const byName = new Map<string, ModuleEntry>()
  const byAlias = new Map<string, ModuleEntry[]>()
  for (const m of modules) {
    byName.set(m.name, m)
    for (const a of m.aliases) {
      const key = canonicalModuleName(a)
      const list = byAlias.get(key) ?? []
      list.push(m)
      byAlias.set(key, list)
    }
  }
  for (const list of byAlias.values()) list.sort((a, b) => a.name.localeCompare(b.name))

  const order: ModuleEntry[] = []
  const done = new Set<string>()
  const visiting = new Set<string>()
  const builtin = new Set<string>()
  const missingOptional = new Set<string>()

  const visit = (rawName: string, chain: string[], mode: 'required' | 'optional' | 'soft'): void => {
    const name = canonicalModuleName(rawName)
    if (builtinNames.has(name)) {
      builtin.add(name)
      return
    }
    let targets: ModuleEntry[]
    const direct = byName.get(name)
    if (direct) targets = [direct]
    else if (mode === 'soft') targets = byAlias.get(name) ?? []
    else targets = []
    if (targets.length === 0) {
      if (mode === 'required') {
        throw new Error(`kernel module not found: ${name}${chain.length ? ` (needed by ${chain.join(' <- ')})` : ''}`)
      }
      missingOptional.add(name)
      return
    }
    for (const m of targets) {
      if (done.has(m.name)) continue
      if (visiting.has(m.name)) {
        throw new Error(`kernel module dependency cycle: ${[...chain, m.name].join(' -> ')}`)
      }
      visiting.add(m.name)
      for (const s of m.softdepPre) visit(s, [m.name, ...chain], 'soft')
      for (const d of m.depends) visit(d, [m.name, ...chain], 'required')
      visiting.delete(m.name)
      done.add(m.name)
      order.push(m)
    }
  }

  for (const r of req.required) visit(r, [], 'required')
  for (const o of req.optional ?? []) visit(o, [], 'optional')
  return { order, builtin: [...builtin].sort(), missingOptional: [...missingOptional].sort() }
}

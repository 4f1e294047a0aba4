/**
 * The kernel modules stage 1 loads: an index of the kernel package's modules (read from
 * each module's `.modinfo`, see kmod.ts) and the load order of the required and
 * optional modules with their dependencies.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { execa } from 'execa'
import { OPTIONAL_MODULES, REQUIRED_MODULES } from './contract.js'
import {
  canonicalModuleName,
  elfSection,
  moduleClosure,
  parseModinfo,
  parseModulesBuiltin,
  type ClosureResult,
  type ModuleEntry,
} from './kmod.js'
import type { Log } from './media.js'

async function walkFiles(dir: string, re: RegExp): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string) => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name)
      if (ent.isDirectory()) await walk(p)
      else if (ent.isFile() && re.test(ent.name)) out.push(p)
    }
  }
  await walk(dir)
  return out.sort()
}

/** A module file's contents, decompressed (`.ko.xz`, `.ko.zst`, `.ko.gz`). */
export async function readModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path)
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : 'gzip'
  const r = await execa(tool, ['-dc', path], { encoding: 'buffer', stdin: 'ignore' })
  return Buffer.from(r.stdout)
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

async function indexModules(modDir: string): Promise<ModuleEntry[]> {
  const files = await walkFiles(join(modDir, 'kernel'), /\.ko(\.(xz|zst|gz))?$/)
  return mapLimit(files, 16, async (f) => {
    const rel = relative(modDir, f)
    const data = await readModule(f)
    const section = elfSection(data, '.modinfo')
    const info = parseModinfo(section ?? new Uint8Array(), rel)
    return { ...info, name: info.name || canonicalModuleName(rel), path: rel }
  })
}

/**
 * The modules to put in the initrd, in load order: {@link REQUIRED_MODULES} and the
 * available {@link OPTIONAL_MODULES} with their dependencies (or the lists of `wanted`, for
 * the boards' initrds in boards/), minus those built in.
 *
 * @param modDir the kernel's /lib/modules/<release> (unpacked)
 */
export async function selectModules(
  modDir: string,
  kernelVersion: string,
  log: Log,
  wanted: { required: readonly string[]; optional: readonly string[] } = { required: REQUIRED_MODULES, optional: OPTIONAL_MODULES },
): Promise<ClosureResult> {
  log(`kernel ${kernelVersion}: reading module info`)
  const builtinFile = join(modDir, 'modules.builtin')
  const builtin = existsSync(builtinFile) ? parseModulesBuiltin(await readFile(builtinFile, 'utf8')) : new Set<string>()
  const index = await indexModules(modDir)
  const closure = moduleClosure(index, builtin, { required: [...wanted.required], optional: [...wanted.optional] })
  log(
    `modules: ${closure.order.length} to load (${closure.order.map((m) => m.name).join(' ')})` +
      (closure.builtin.length ? `; built in: ${closure.builtin.join(' ')}` : '') +
      (closure.missingOptional.length ? `; not available: ${closure.missingOptional.join(' ')}` : ''),
  )
  return closure
}

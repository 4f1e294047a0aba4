/**
 * apt's answers remembered between builds. `apt-get download --print-uris` costs 3–4 s of
 * CPU (apt loads all its package lists) and gives the same answer until apt's lists, its
 * configuration or dpkg's state change; every test process that asks for the demo media
 * asked it again (about fifty times in bootcheck's own suite, on a host whose two cores
 * the suite keeps busy). The answer is kept in the deb cache with a fingerprint of that
 * state (names, sizes and times of the files apt reads) and reused while it holds.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DebRef } from './debs.js'
import { sha256 } from './helpers.js'

/** The folders and files whose change may change apt's answer. */
const APT_STATE_DIRS = ['/var/lib/apt/lists', '/etc/apt/sources.list.d', '/etc/apt/preferences.d', '/etc/apt/apt.conf.d', '/etc/apt/trusted.gpg.d']
const APT_STATE_FILES = ['/etc/apt/sources.list', '/etc/apt/preferences', '/etc/apt/apt.conf', '/var/lib/dpkg/arch', '/var/lib/dpkg/status']

/** A fingerprint of what apt's answers depend on: each file's name, size and modification time. */
export function aptStateFingerprint(dirs: readonly string[] = APT_STATE_DIRS, files: readonly string[] = APT_STATE_FILES): string {
  const entries: string[] = [`APT_CONFIG=${process.env.APT_CONFIG ?? ''}`]
  const add = (path: string): void => {
    try {
      const s = statSync(path)
      entries.push(`${path} ${s.size} ${s.mtimeMs}`)
    } catch {
      entries.push(`${path} -`)
    }
  }
  for (const dir of dirs) {
    let names: string[]
    try {
      names = readdirSync(dir).sort()
    } catch {
      names = []
    }
    add(dir)
    for (const name of names) add(join(dir, name))
  }
  for (const f of files) add(f)
  return sha256(entries.join('\n'))
}

interface Remembered {
  state: string
  pkgs: string[]
  refs: DebRef[]
}

/**
 * The answer `ask` gives for `pkgs`, remembered in `debDir/print-uris/`: asked again only
 * when apt's state (see {@link aptStateFingerprint}) changed since it was kept.
 */
export async function rememberedPrintUris(pkgs: readonly string[], debDir: string, ask: () => Promise<DebRef[]>, state: () => string = aptStateFingerprint): Promise<DebRef[]> {
  const dir = join(debDir, 'print-uris')
  const file = join(dir, `${sha256(pkgs.join('\n')).slice(0, 32)}.json`)
  const before = state()
  const kept = await readFile(file, 'utf8')
    .then(s => JSON.parse(s) as Remembered)
    .catch(() => undefined)
  if (kept && kept.state === before && sameList(kept.pkgs, pkgs) && Array.isArray(kept.refs)) return kept.refs
  const refs = await ask()
  // kept only when nothing changed while apt was asked (an apt-get update meanwhile, say)
  if (state() === before) {
    await mkdir(dir, { recursive: true })
    const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`
    await writeFile(tmp, JSON.stringify({ state: before, pkgs: [...pkgs], refs } satisfies Remembered) + '\n')
    await rename(tmp, file)
  }
  return refs
}

function sameList(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i])
}

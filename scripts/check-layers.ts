/**
 * Checks that imports only point down the layers of bootcheck's source tree (see
 * docs/architecture.md):
 *
 *   errors, util → qmp → console, media, net, screens, qemu, input → spec, guest → report
 *   → machine → config, lease, attach → api → runner → index.ts
 *
 * A module may import its own folder and any lower layer; folders on one layer do not
 * import each other. Outside src/: src/ never imports tests/, bench/ or examples/, and
 * reaches vm-configs/ only through vm-configs/demo.ts from the CLI (runner/); bench/ and
 * examples/ never import tests/.
 *
 *   node --import tsx scripts/check-layers.ts      (exits 1 and lists what points up)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The layers of src/, lowest first; each entry is a folder of src/ (or `index.ts`). */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'util'],
  ['qmp'],
  ['console', 'media', 'net', 'screens', 'qemu', 'input'],
  ['spec', 'guest'],
  ['report'],
  ['machine'],
  ['config', 'lease', 'attach'],
  ['api'],
  ['runner'],
  ['index.ts'],
]

/** One import that breaks the rules. */
export interface Violation {
  /** The importing file, relative to the root. */
  file: string
  /** The imported file, relative to the root. */
  target: string
  why: string
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm

/** Relative imports of a TypeScript file's text (static, re-exports and dynamic with a literal). */
export function importsOf(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]
    if (spec && spec.startsWith('.')) out.push(spec)
  }
  return out
}

function rankOf(srcPath: string): { rank: number; unit: string } | undefined {
  const top = srcPath.split('/')[0]!
  const rank = LAYERS.findIndex(l => l.includes(top))
  return rank < 0 ? undefined : { rank, unit: top }
}

/** The violations among `files` (paths relative to `root`, with `/`), reading each file. */
export function checkLayers(root: string, files: string[] = listSources(root)): Violation[] {
  const out: Violation[] = []
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8')
    for (const spec of importsOf(text)) {
      const target = relative(root, resolve(root, dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts')
      const why = judge(file, target)
      if (why) out.push({ file, target, why })
    }
  }
  return out
}

/** Why `file` may not import `target` (both relative to the repository root), or undefined. */
export function judge(file: string, target: string): string | undefined {
  const area = (p: string): string => p.split('/')[0]!
  const from = area(file)
  const to = area(target)
  if (from === 'src') {
    if (to === 'tests' || to === 'bench' || to === 'examples') return `src/ must not import ${to}/`
    if (to === 'vm-configs') {
      return file.startsWith('src/runner/') && target === 'vm-configs/demo.ts' ? undefined : 'src/ reaches the demo media only through vm-configs/demo.ts, from the CLI (src/runner/)'
    }
    if (to !== 'src') return undefined
    const a = rankOf(file.slice(4))
    const b = rankOf(target.slice(4))
    if (!a) return `${file} is in no layer: add its folder to LAYERS in scripts/check-layers.ts`
    if (!b) return `${target} is in no layer`
    if (a.unit === b.unit) return undefined
    if (b.rank > a.rank) return `${a.unit} (layer ${a.rank}) imports ${b.unit} (layer ${b.rank}), a higher layer`
    if (b.rank === a.rank) return `${a.unit} and ${b.unit} are on one layer (${a.rank}) and must not import each other`
    return undefined
  }
  if ((from === 'bench' || from === 'examples') && to === 'tests') return `${from}/ must not import tests/`
  if (from === 'vm-configs' && (to === 'tests' || to === 'bench')) return `vm-configs/ must not import ${to}/`
  return undefined
}

/** The .ts files under src/, bench/, examples/ and vm-configs/ (relative, with `/`). */
export function listSources(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir))) {
      const rel = `${dir}/${name}`
      if (statSync(join(root, rel)).isDirectory()) walk(rel)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel)
    }
  }
  for (const top of ['src', 'bench', 'examples', 'vm-configs']) {
    try {
      walk(top)
    } catch {
      // a folder that does not exist has nothing to check
    }
  }
  return out.sort()
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const found = checkLayers(root)
  for (const v of found) process.stderr.write(`${v.file} → ${v.target}: ${v.why}\n`)
  if (found.length) {
    process.stderr.write(`check-layers: ${found.length} import(s) point the wrong way\n`)
    process.exit(1)
  }
  process.stdout.write(`check-layers: ${listSources(root).length} files, every import points down\n`)
}

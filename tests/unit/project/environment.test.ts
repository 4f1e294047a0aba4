// docs/environment.md lists every BOOTCHECK_* environment variable of src/ and bin/: the
// table and the code agree in both directions (a variable added to the code without a row,
// or a row left for a variable the code dropped, fails here).
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** The forms in which a BOOTCHECK_* name is an environment variable, not an error code. */
const ENV_USES = [
  /\benv\.(BOOTCHECK_[A-Z0-9_]+)/g, // process.env.X, env.X
  /\benv\[\s*['"](BOOTCHECK_[A-Z0-9_]+)['"]\s*\]/g, // env['X']
  /\$\{?(BOOTCHECK_[A-Z0-9_]+)/g, // $X in a shell line or a comment
  /[{,]\s*(BOOTCHECK_[A-Z0-9_]+)\s*:/g, // a key of an environment object
  /\b\w+_ENV\s*=\s*['"](BOOTCHECK_[A-Z0-9_]+)['"]/g, // RUNNER_ENV = 'X'
]

/** The environment variables `text` uses. */
export function envVariables(text: string): Set<string> {
  const out = new Set<string>()
  for (const re of ENV_USES) for (const m of text.matchAll(re)) out.add(m[1]!)
  return out
}

function files(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...files(p))
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

/** The variables of the table between the environment-table markers. */
function documented(md: string): Set<string> {
  const start = md.indexOf('<!-- environment-table: start -->')
  const end = md.indexOf('<!-- environment-table: end -->')
  if (start < 0 || end < start) throw new Error('docs/environment.md has no environment-table markers')
  const out = new Set<string>()
  for (const line of md.slice(start, end).split('\n')) {
    const m = /^\| `(BOOTCHECK_[A-Z0-9_]+)` \|/.exec(line)
    if (m) out.add(m[1]!)
  }
  return out
}

t.test('the forms that count as an environment variable, and those that do not', async t => {
  const text = [
    "const a = process.env.BOOTCHECK_A",
    "const b = env['BOOTCHECK_B']",
    "const c = `exec x 2>>\"$BOOTCHECK_C\"`",
    "spawn(x, { env: { ...process.env, BOOTCHECK_D: '1' } })",
    "export const RUNNER_ENV = 'BOOTCHECK_E'",
    "override readonly code = 'BOOTCHECK_SPEC'",
    "  | 'BOOTCHECK_TIMEOUT'",
  ].join('\n')
  t.same([...envVariables(text)].sort(), ['BOOTCHECK_A', 'BOOTCHECK_B', 'BOOTCHECK_C', 'BOOTCHECK_D', 'BOOTCHECK_E'])
})

t.test('docs/environment.md and the code of src/ and bin/ name the same variables', async t => {
  const used = new Map<string, string[]>()
  for (const file of [...files(join(root, 'src')), ...files(join(root, 'bin'))]) {
    for (const name of envVariables(readFileSync(file, 'utf8'))) used.set(name, [...(used.get(name) ?? []), file.slice(root.length + 1)])
  }
  const table = documented(readFileSync(join(root, 'docs', 'environment.md'), 'utf8'))
  const missing = [...used.keys()].filter(n => !table.has(n)).sort()
  const stale = [...table].filter(n => !used.has(n)).sort()
  t.same(missing, [], `used in the code, not in docs/environment.md: ${missing.map(n => `${n} (${used.get(n)!.join(', ')})`).join('; ')}`)
  t.same(stale, [], 'in docs/environment.md, used nowhere in src/ or bin/')
  t.ok(used.size >= 15, `${used.size} variables found`)
})

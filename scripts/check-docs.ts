/**
 * Keeps the documentation true to the code (README.md and every page of docs/):
 *
 * - every ```ts block is type-checked against the package: extracted into a scratch
 *   project under .bootcheck/docs-check/ where `bootcheck` is src/index.ts (tsconfig
 *   `paths`); a block that is deliberately a fragment says so (```ts partial) and is
 *   skipped by name, counted in the output;
 * - quotes of tested files, between `<!-- include: examples/x.test.ts#name -->` and
 *   `<!-- /include -->`, must equal the region `// #region name` … `// #endregion` of
 *   that file (`#` comments in Nix or shell files; no `#name`: the whole file). `--write`
 *   refreshes them; a stale quote fails. Quoted code is type-checked where it lives;
 * - links between pages (with their #anchors, GitHub's heading slugs) and to repository
 *   files resolve, and so does every repository path written as code (`src/…`, `tests/…`);
 * - the table of docs/errors.md has one row per error class of src/ with a `code` of its
 *   own, each with that code.
 *
 *   node --import tsx scripts/check-docs.ts            (exits 1 and lists each problem)
 *   node --import tsx scripts/check-docs.ts --write    (refreshes the quotes first)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * Names a ```ts block may use without declaring them: what the surrounding prose calls
 * the test, the machine and the demo media. Declared as globals of the scratch project, so
 * a block that declares or imports one of them itself shadows it.
 */
export const PRELUDE = `import type { Test } from 'tap'
import type { Machine, Network, Snapshot } from 'bootcheck'
import type { LiveMedia, BoardMedia } from '../../vm-configs/demo.js'
declare global {
  const t: Test
  const vm: Machine
  const server: Machine
  const client: Machine
  const lan: Network
  const wan: Network
  const snap: Snapshot
  const media: LiveMedia
  const nb: LiveMedia['netboot']
  const arm: Required<BoardMedia>
  const iso: string
  const liveIso: string
  const append: string
}
export {}
`

/** A fenced code block of a page. */
export interface Block {
  /** Its language (`ts`, `sh`, …) and the words after it (`partial`). */
  lang: string
  flags: string[]
  /** The 1-based line of its opening fence, and its text. */
  line: number
  code: string
  /** Inside an include marker: a quote of a tested file, checked where it lives. */
  quoted: boolean
}

/** A problem found, with where. */
export interface Problem {
  file: string
  line: number
  message: string
}

const INCLUDE = /^<!-- include: (\S+?)(?:#([\w-]+))? -->$/
const INCLUDE_END = '<!-- /include -->'

/** The fenced blocks of a markdown text. */
export function parseBlocks(text: string): Block[] {
  const blocks: Block[] = []
  const lines = text.split('\n')
  let quoted = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (INCLUDE.test(line.trim())) quoted = true
    else if (line.trim() === INCLUDE_END) quoted = false
    const open = /^(\s*)(`{3,})(\S*)\s*(.*)$/.exec(line)
    if (!open) continue
    const [, indent, fence, lang, rest] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(fence!); j++) body.push(lines[j]!.slice(Math.min(indent!.length, lines[j]!.length - lines[j]!.trimStart().length)))
    blocks.push({ lang: lang!, flags: rest!.split(/\s+/).filter(Boolean), line: i + 1, code: body.join('\n'), quoted })
    i = j
  }
  return blocks
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slugify(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors a page's headings make (a repeated heading gets `-1`, `-2`, …). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fence = false
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) fence = !fence
    const h = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!h) continue
    const base = slugify(h[1]!)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** The lines of `source` between `#region name` and its `#endregion`, less other region markers and the common indent. */
export function extractRegion(source: string, name: string | undefined): string | undefined {
  const lines = source.replace(/\n$/, '').split('\n')
  const marker = /^\s*(?:\/\/|#)\s*#(end)?region\b\s*([\w-]*)/
  let body: string[]
  if (name === undefined) body = lines
  else {
    const start = lines.findIndex(l => marker.exec(l)?.[1] === undefined && marker.exec(l)?.[2] === name)
    if (start < 0) return undefined
    let depth = 0
    let end = start + 1
    for (; end < lines.length; end++) {
      const m = marker.exec(lines[end]!)
      if (m && !m[1]) depth++
      if (m && m[1]) {
        if (depth === 0) break
        depth--
      }
    }
    if (end >= lines.length) return undefined
    body = lines.slice(start + 1, end)
  }
  body = body.filter(l => !marker.test(l))
  const indent = Math.min(...body.filter(l => l.trim()).map(l => l.length - l.trimStart().length))
  return body.map(l => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n')
}

const LANGS: Record<string, string> = { ts: 'ts', mts: 'ts', nix: 'nix', sh: 'sh', json: 'json' }

/** The page with every include quote made from its source; problems for a missing file or region. */
export function refreshIncludes(page: string, text: string, root: string): { text: string; problems: Problem[] } {
  const lines = text.split('\n')
  const out: string[] = []
  const problems: Problem[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = INCLUDE.exec(lines[i]!.trim())
    out.push(lines[i]!)
    if (!m) continue
    const end = lines.findIndex((l, j) => j > i && l.trim() === INCLUDE_END)
    if (end < 0) {
      problems.push({ file: page, line: i + 1, message: `include of ${m[1]} has no ${INCLUDE_END}` })
      continue
    }
    const file = join(root, m[1]!)
    const region = existsSync(file) ? extractRegion(readFileSync(file, 'utf8'), m[2]) : undefined
    if (region === undefined) {
      problems.push({ file: page, line: i + 1, message: existsSync(file) ? `${m[1]} has no region '${m[2]}'` : `${m[1]} does not exist` })
      out.push(...lines.slice(i + 1, end + 1))
    } else {
      const lang = LANGS[m[1]!.split('.').pop()!] ?? ''
      out.push('```' + lang, ...region.split('\n'), '```', INCLUDE_END)
    }
    i = end
  }
  return { text: out.join('\n'), problems }
}

/** Links and repository paths of a page that do not resolve. */
export function checkLinks(page: string, text: string, root: string, pages: Map<string, string>): Problem[] {
  const problems: Problem[] = []
  const lines = text.split('\n')
  let fence = false
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) fence = !fence
    if (fence) return
    const prose = line.replace(/`[^`]*`/g, '``')
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!
      if (/^[a-z]+:/i.test(target)) continue
      const [path, anchor] = target.split('#') as [string, string | undefined]
      const file = path === '' ? page : relative(root, resolve(root, dirname(page), path))
      if (path !== '' && !existsSync(join(root, file))) {
        problems.push({ file: page, line: i + 1, message: `link to ${target}: no such file` })
        continue
      }
      const body = file === page ? text : pages.get(file)
      if (anchor && body !== undefined && !anchors(body).has(anchor)) problems.push({ file: page, line: i + 1, message: `link to ${target}: no heading makes #${anchor}` })
    }
    for (const m of line.matchAll(/`((?:src|tests|examples|scripts|bench|vm-configs|bin)\/[\w./-]*[\w/])`/g)) {
      if (!existsSync(join(root, m[1]!))) problems.push({ file: page, line: i + 1, message: `\`${m[1]}\` names no file of the repository` })
    }
  })
  return problems
}

/** The ```ts blocks to compile, and those skipped by name. */
export function selectSnippets(page: string, blocks: Block[]): { compile: (Block & { page: string })[]; partial: string[]; quoted: number } {
  const ts = blocks.filter(b => ['ts', 'typescript'].includes(b.lang))
  return {
    compile: ts.filter(b => !b.quoted && !b.flags.includes('partial')).map(b => ({ ...b, page })),
    partial: ts.filter(b => !b.quoted && b.flags.includes('partial')).map(b => `${page}:${b.line}`),
    quoted: ts.filter(b => b.quoted).length,
  }
}

/** Type-checks the snippets in a scratch project under `root`/.bootcheck/docs-check; one problem per diagnostic. */
export function compileSnippets(root: string, snippets: (Block & { page: string })[]): Problem[] {
  const dir = join(root, '.bootcheck', 'docs-check')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'prelude.d.mts'), PRELUDE)
  const files = new Map<string, Block & { page: string }>()
  snippets.forEach((s, n) => {
    const name = join(dir, `${s.page.replace(/[/.]/g, '_')}_${s.line}_${n}.mts`)
    writeFileSync(name, `${s.code}\nexport {}\n`)
    files.set(name, s)
  })
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    paths: { bootcheck: [join(root, 'src', 'index.ts')] },
  }
  const program = ts.createProgram([join(dir, 'prelude.d.mts'), ...files.keys()], options)
  const problems: Problem[] = []
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    const block = d.file ? files.get(resolve(d.file.fileName)) : undefined
    if (!block || !d.file) {
      problems.push({ file: d.file ? relative(root, d.file.fileName) : '(scratch project)', line: 0, message })
      continue
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0)
    problems.push({ file: block.page, line: block.line + 1 + line, message: `ts block: ${message}` })
  }
  return problems
}

/** Every class of `src/` that sets a `code` of its own, with that code. */
export function errorCodes(root: string): Map<string, string> {
  const codes = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name)
      if (statSync(join(root, path)).isDirectory()) walk(path)
      else if (name.endsWith('.ts')) {
        const text = readFileSync(join(root, path), 'utf8')
        for (const chunk of text.split(/(?=^export class )/m)) {
          const m = /^export class (\w+) extends \w+ \{[^]*?^ {2}override readonly code(?:: \w+)? = '(\w+)'/m.exec(chunk)
          if (m) codes.set(m[1]!, m[2]!)
        }
      }
    }
  }
  walk('src')
  return codes
}

/** The rows of the errors page's table (`| \`Class\` | \`CODE\` | when |`) that disagree with the code, and the classes without a row. */
export function checkErrorTable(page: string, text: string, codes: Map<string, string>): Problem[] {
  const problems: Problem[] = []
  const seen = new Set<string>()
  text.split('\n').forEach((line, i) => {
    const row = /^\| `(\w+Error)` \| `(\w+)` \|/.exec(line)
    if (!row) return
    const [, cls, code] = row as unknown as [string, string, string]
    seen.add(cls)
    const real = codes.get(cls)
    if (real === undefined) problems.push({ file: page, line: i + 1, message: `errors table: no class ${cls} with a code of its own in src/` })
    else if (real !== code) problems.push({ file: page, line: i + 1, message: `errors table: ${cls}'s code is ${real}, not ${code}` })
  })
  for (const [cls, code] of codes) if (!seen.has(cls)) problems.push({ file: page, line: 0, message: `errors table: no row for ${cls} (${code})` })
  return problems
}

/** README.md and the markdown of docs/ (not docs/dist), as repository-relative paths. */
export function docPages(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap(name => {
      const path = join(dir, name)
      if (path === join('docs', 'dist')) return []
      return statSync(join(root, path)).isDirectory() ? walk(path) : name.endsWith('.md') ? [path] : []
    })
  return ['README.md', ...walk('docs')]
}

/** Runs every check; with `write`, refreshes the quotes first. */
export function checkDocs(root: string, write = false): { problems: Problem[]; summary: string } {
  const pages = new Map(docPages(root).map(p => [p, readFileSync(join(root, p), 'utf8')]))
  const problems: Problem[] = []
  for (const [page, text] of pages) {
    const fresh = refreshIncludes(page, text, root)
    problems.push(...fresh.problems)
    if (fresh.text === text) continue
    if (write) {
      writeFileSync(join(root, page), fresh.text)
      pages.set(page, fresh.text)
    } else problems.push({ file: page, line: 0, message: 'a quoted example is stale: run `npm run docs:check -- --write`' })
  }
  let compile: (Block & { page: string })[] = []
  let partial: string[] = []
  let quoted = 0
  for (const [page, text] of pages) {
    problems.push(...checkLinks(page, text, root, pages))
    const s = selectSnippets(page, parseBlocks(text))
    compile = compile.concat(s.compile)
    partial = partial.concat(s.partial)
    quoted += s.quoted
  }
  const errorsPage = join('docs', 'errors.md')
  if (pages.has(errorsPage)) problems.push(...checkErrorTable(errorsPage, pages.get(errorsPage)!, errorCodes(root)))
  problems.push(...compileSnippets(root, compile))
  const summary = `docs:check: ${pages.size} pages, ${compile.length} ts blocks type-checked, ${partial.length} partial blocks skipped${partial.length ? ` (${partial.join(', ')})` : ''}, ${quoted} quotes of tested files`
  return { problems, summary }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const { problems, summary } = checkDocs(root, process.argv.includes('--write'))
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.message}`)
  console.log(problems.length === 0 ? summary : `${summary}; ${problems.length} problems`)
  process.exitCode = problems.length === 0 ? 0 : 1
}

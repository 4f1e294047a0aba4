/**
 * Choosing and showing what a run executes, without booting anything: the files that failed
 * or were flaky last time (`--last-failed`), the subtests a file declares (`--list`), and a
 * `t.only` left in a file (`--forbid-only`). Subtests are read from the source: calls like
 * `t.test('name', …)` whose name is a string literal.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UsageError } from '../errors/errors.js'
import type { RunRecord } from '../report/model.js'

/**
 * The files of the run that `<runsDir>/latest` points at which failed, were interrupted or
 * were flaky, in their order there (each once). Throws a {@link UsageError} when there is no
 * such run or its `results.json` cannot be read.
 */
export async function lastFailedFiles(runsDir: string): Promise<string[]> {
  const file = join(runsDir, 'latest', 'results.json')
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new UsageError(`--last-failed: no previous run (no ${file}); run the tests once first`)
    throw new UsageError(`--last-failed: cannot read ${file}: ${e.message}`)
  })
  let run: Partial<RunRecord>
  try {
    run = JSON.parse(text) as Partial<RunRecord>
  } catch (e) {
    throw new UsageError(`--last-failed: ${file} is not valid JSON (${(e as Error).message})`)
  }
  if (!Array.isArray(run.files)) throw new UsageError(`--last-failed: ${file} is not a results.json of bootcheck run`)
  const out: string[] = []
  for (const f of run.files) {
    if (!['failed', 'interrupted', 'flaky'].includes(f.status)) continue
    // Recorded relative to the folder the run was started in.
    if (!out.includes(f.file)) out.push(f.file)
  }
  return out
}

/** Keeps the files of `last` that are among `given` (compared as absolute paths). */
export function narrowTo(last: string[], given: string[]): string[] {
  const wanted = new Set(given.map(f => resolve(f)))
  return last.filter(f => wanted.has(resolve(f)))
}

/** A subtest declared in a file's source. */
export interface DeclaredTest {
  name: string
  /** 1-based line of the call. */
  line: number
  /** Its nesting, from the call's indentation (0 for the outermost calls of the file). */
  depth: number
  /** `test`, `only`, `skip` or `todo`. */
  kind: string
}

// t.test('name' / tap.only("name" / test.skip(`name` / test('name' — a string-literal name.
const DECLARATION = /(?:\b(?:t|tap|tt|test)\s*\.\s*(test|only|skip|todo)|(?<![.\w$])(test))\s*\(\s*(['"`])((?:\\.|(?!\3)[^\\])*)\3/g

/** The subtests a test file's source declares with string-literal names, in source order. */
export function declaredTests(source: string): DeclaredTest[] {
  const found: Array<Omit<DeclaredTest, 'depth'> & { indent: number }> = []
  const lines = source.split('\n')
  lines.forEach((text, i) => {
    if (/^\s*(\/\/|\*)/.test(text)) return
    for (const m of text.matchAll(DECLARATION)) {
      found.push({ name: unescape(m[4]!), line: i + 1, kind: m[1] ?? 'test', indent: /^\s*/.exec(text)![0].length })
    }
  })
  const levels = [...new Set(found.map(f => f.indent))].sort((a, b) => a - b)
  return found.map(({ indent, ...f }) => ({ ...f, depth: levels.indexOf(indent) }))
}

/** The `t.only(…)` calls (and `{ only: true }` options) in a file's source, as `file:line`. */
export function onlyCalls(file: string, source: string): string[] {
  const out: string[] = []
  source.split('\n').forEach((text, i) => {
    if (/^\s*(\/\/|\*)/.test(text)) return
    if (/\b(?:t|tap|tt|test)\s*\.\s*only\s*\(|\bonly\s*:\s*true\b/.test(text)) out.push(`${file}:${i + 1}`)
  })
  return out
}

/** Throws a {@link UsageError} naming every `t.only` in `files` (`--forbid-only`). */
export async function forbidOnly(files: string[]): Promise<void> {
  const found: string[] = []
  for (const f of files) found.push(...onlyCalls(f, await readFile(f, 'utf8')))
  if (found.length) throw new UsageError(`--forbid-only: t.only left in ${found.join(', ')}; remove it (it would run only that test)`)
}

/** The `--list` output: each file, then its declared subtests indented by nesting. */
export async function listTests(files: string[]): Promise<string> {
  const lines: string[] = []
  let tests = 0
  for (const f of files) {
    lines.push(f)
    for (const t of declaredTests(await readFile(f, 'utf8'))) {
      tests++
      lines.push(`${'  '.repeat(t.depth + 1)}${t.name}${t.kind === 'test' ? '' : ` (${t.kind})`}  [line ${t.line}]`)
    }
  }
  lines.push(`${files.length} file(s), ${tests} subtest(s) named in their source`)
  return lines.join('\n') + '\n'
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1')
}

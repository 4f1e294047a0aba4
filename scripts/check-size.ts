/**
 * Keeps bootcheck's source files and functions small enough to read (issue #25):
 *
 * - a file under src/ longer than {@link MAX_FILE_LINES} lines fails the check, unless a
 *   comment in its first {@link HEAD_LINES} lines says why it must be longer, on a line
 *   starting `check-size:` or `Longer than 400 lines on purpose:` (as `qmp/client.ts`
 *   and `media/iso9660.ts` do);
 * - functions and methods longer than {@link MAX_FUNCTION_LINES} lines are reported (they
 *   do not fail the check: split them into named phases when you touch them).
 *
 *   node --import tsx scripts/check-size.ts      (exits 1 and lists the files too long)
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Lines a src/ file may have without saying why it needs more. */
export const MAX_FILE_LINES = 400
/** Lines a function may have before it is reported. */
export const MAX_FUNCTION_LINES = 80
/** How far from the top of a file its `check-size:` reason may stand. */
export const HEAD_LINES = 30

/** A file over the limit, or a long function. */
export interface SizeFinding {
  /** The file, relative to the root. */
  file: string
  /** Its length in lines (the file's, or the function's). */
  lines: number
  /** For a function: its name and the line it starts on (1-based). */
  fn?: { name: string; line: number }
  /** For a file over the limit: the reason given at its top, if any. */
  reason?: string
}

const REASON = /^\s*(?:\/\/|\/?\*+)\s*(?:check-size:|Longer than \d+ lines on purpose:)\s*(\S.*)$/

/** The reason a file gives at its top for being longer than the limit, or undefined. */
export function sizeReason(text: string): string | undefined {
  for (const line of text.split('\n').slice(0, HEAD_LINES)) {
    const m = REASON.exec(line)
    if (m) return m[1]!.trim()
  }
  return undefined
}

// A function, method, getter or arrow function assigned to a name, opening a block at the
// end of its line: `export async function f(…) {`, `  private async g<T>(…): P<T> {`,
// `const h = async (…) => {`.
const FN_START =
  /^(\s*)(?:export\s+)?(?:default\s+)?(?:(?:async\s+)?function\s*\*?\s*([\w$]+)|(?:(?:public|private|protected|static|readonly|override|async|get|set)\s+)*([\w$]+)\s*(?:<[^>]*>)?\s*\([^;]*\)\s*(?::[^=;{]+)?|(?:const|let)\s+([\w$]+)\s*=\s*(?:async\s+)?(?:\([^)]*\)|[\w$]+)\s*(?::[^=]+)?=>).*\{\s*$/
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'function'])

/**
 * The functions of a TypeScript file's text longer than `max` lines: each starts on a line
 * ending in `{` that declares it, and ends at the first later line that closes a block at
 * the same indentation (the project's formatting puts it there).
 */
export function longFunctions(text: string, max = MAX_FUNCTION_LINES): Array<{ name: string; line: number; lines: number }> {
  const lines = text.split('\n')
  const out: Array<{ name: string; line: number; lines: number }> = []
  for (let i = 0; i < lines.length; i++) {
    const m = FN_START.exec(lines[i]!)
    if (!m) continue
    const name = m[2] ?? m[3] ?? m[4]
    if (!name || KEYWORDS.has(name)) continue
    const indent = m[1]!
    const close = new RegExp(`^${indent}[}\\]]`)
    let end = i + 1
    while (end < lines.length && !close.test(lines[end]!)) end++
    const length = end - i + 1
    if (end < lines.length && length > max) out.push({ name, line: i + 1, lines: length })
  }
  return out
}

/** The .ts files under `dir` of `root` (relative, with `/`). */
export function listTs(root: string, dir = 'src'): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const sub = `${rel}/${name}`
      if (statSync(join(root, sub)).isDirectory()) walk(sub)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(sub)
    }
  }
  walk(dir)
  return out.sort()
}

/** What the check finds in `files`: the files over the limit (`tooLong`, with or without a reason) and the long functions. */
export function checkSize(root: string, files: string[] = listTs(root)): { tooLong: SizeFinding[]; excused: SizeFinding[]; functions: SizeFinding[] } {
  const tooLong: SizeFinding[] = []
  const excused: SizeFinding[] = []
  const functions: SizeFinding[] = []
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8')
    const count = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    if (count > MAX_FILE_LINES) {
      const reason = sizeReason(text)
      if (reason) excused.push({ file, lines: count, reason })
      else tooLong.push({ file, lines: count })
    }
    for (const f of longFunctions(text)) functions.push({ file, lines: f.lines, fn: { name: f.name, line: f.line } })
  }
  return { tooLong, excused, functions }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const files = listTs(root)
  const { tooLong, excused, functions } = checkSize(root, files)
  for (const f of functions) process.stdout.write(`check-size: ${f.file}:${f.fn!.line} ${f.fn!.name} is ${f.lines} lines (over ${MAX_FUNCTION_LINES}): split it into named phases\n`)
  for (const f of excused) process.stdout.write(`check-size: ${f.file} is ${f.lines} lines, on purpose: ${f.reason}\n`)
  for (const f of tooLong) {
    process.stderr.write(`check-size: ${f.file} is ${f.lines} lines (over ${MAX_FILE_LINES}): split it by concern, or say at its top why it must be longer ('// check-size: <why>')\n`)
  }
  if (tooLong.length) process.exit(1)
  process.stdout.write(`check-size: ${files.length} files, none over ${MAX_FILE_LINES} lines without a reason; ${functions.length} function(s) over ${MAX_FUNCTION_LINES} lines\n`)
}

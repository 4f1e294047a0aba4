// The size rules of scripts/check-size.ts: the repository keeps them, a long file without
// a reason fails, a reason at its top excuses it, and long functions are found.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkSize, longFunctions, MAX_FILE_LINES, sizeReason } from '../../scripts/check-size.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

t.test('no src/ file is over the limit without a reason', async t => {
  t.same(checkSize(root).tooLong, [])
})

t.test('a long file fails unless its top says why', async t => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'src', 'a'), { recursive: true })
  const body = Array.from({ length: MAX_FILE_LINES + 1 }, (_, i) => `export const v${i} = ${i}`).join('\n') + '\n'
  writeFileSync(join(dir, 'src', 'a', 'long.ts'), body)
  writeFileSync(join(dir, 'src', 'a', 'excused.ts'), `// check-size: one table, generated\n${body}`)
  writeFileSync(join(dir, 'src', 'a', 'short.ts'), 'export const x = 1\n')
  const r = checkSize(dir)
  t.same(r.tooLong, [{ file: 'src/a/long.ts', lines: MAX_FILE_LINES + 1 }])
  t.same(r.excused, [{ file: 'src/a/excused.ts', lines: MAX_FILE_LINES + 2, reason: 'one table, generated' }])
})

t.test('reasons: a check-size line or the prose form, near the top only', async t => {
  t.equal(sizeReason('/**\n * A reader.\n *\n * Longer than 400 lines on purpose: one format.\n */'), 'one format.')
  t.equal(sizeReason('// check-size: one state machine'), 'one state machine')
  t.equal(sizeReason('\n'.repeat(40) + '// check-size: too far down'), undefined)
  t.equal(sizeReason('// nothing said'), undefined)
})

t.test('long functions, methods and arrows are found with their length', async t => {
  const body = (n: number, indent: string): string => Array.from({ length: n }, (_, i) => `${indent}  x(${i})`).join('\n')
  const text = [
    `export async function long(a: number): Promise<void> {`,
    body(85, ''),
    `}`,
    `function short() {`,
    body(3, ''),
    `}`,
    `class C {`,
    `  private async method<T>(a: T): Promise<T> {`,
    `    if (a) {`,
    body(90, '    '),
    `    }`,
    `  }`,
    `}`,
    `const arrow = async (a: number) => {`,
    body(81, ''),
    `}`,
  ].join('\n')
  t.same(
    longFunctions(text, 80).map(f => [f.name, f.line, f.lines]),
    [
      ['long', 1, 87],
      ['method', 94, 94],
      ['arrow', 189, 83],
    ],
  )
})

// scripts/check-docs.ts: the repository's docs pass it, and each kind of problem is caught:
// a ts block that does not compile, a stale or broken quote, a broken link or anchor, a
// repository path that does not exist; partial blocks and quotes are skipped by name.
import t from 'tap'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { anchors, checkDocs, checkErrorTable, checkLinks, errorCodes, extractRegion, parseBlocks, refreshIncludes, selectSnippets, slugify } from '../../../scripts/check-docs.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

t.test('blocks: language, flags, line, and whether they sit inside a quote', async t => {
  const page = ['# P', '', '```ts', 'const a = 1', '```', '', '```ts partial', 'vm.x(', '```', '<!-- include: x.ts -->', '```ts', 'q', '```', '<!-- /include -->', '```sh', 'ls', '```'].join('\n')
  const blocks = parseBlocks(page)
  t.same(
    blocks.map(b => [b.lang, b.flags, b.line, b.code, b.quoted]),
    [
      ['ts', [], 3, 'const a = 1', false],
      ['ts', ['partial'], 7, 'vm.x(', false],
      ['ts', [], 11, 'q', true],
      ['sh', [], 15, 'ls', false],
    ],
  )
  const s = selectSnippets('p.md', blocks)
  t.same([s.compile.map(b => b.code), s.partial, s.quoted], [['const a = 1'], ['p.md:7'], 1])
})

t.test("anchors are GitHub's slugs, repeated headings numbered", async t => {
  t.equal(slugify('How commands run (no guest agent)'), 'how-commands-run-no-guest-agent')
  t.equal(slugify("The test suite's time"), 'the-test-suites-time')
  t.equal(slugify('`bootcheck run`'), 'bootcheck-run')
  t.same([...anchors('# A\n## B\n```\n# not a heading\n```\n## B\n')], ['a', 'b', 'b-1'])
})

t.test('regions: by name, nested markers dropped, common indent removed, Nix comments too', async t => {
  const src = ['a', '  // #region one', '  x()', '  // #region inner', '    y()', '  // #endregion', '  // #endregion', 'b'].join('\n')
  t.equal(extractRegion(src, 'one'), 'x()\n  y()')
  t.equal(extractRegion(src, 'inner'), 'y()')
  t.equal(extractRegion(src, 'missing'), undefined)
  t.equal(extractRegion('  # #region n\n  { a = 1; }\n  # #endregion\n', 'n'), '{ a = 1; }')
  t.equal(extractRegion('whole\nfile\n', undefined), 'whole\nfile')
})

t.test('quotes are made from their source; a missing file or region is a problem', async t => {
  const dir = t.testdir({ 'ex.ts': 'import x\n// #region r\nconst a = 1\n// #endregion\n' })
  const page = 'intro\n<!-- include: ex.ts#r -->\nstale\n<!-- /include -->\nend'
  const fresh = refreshIncludes('p.md', page, dir)
  t.equal(fresh.text, 'intro\n<!-- include: ex.ts#r -->\n```ts\nconst a = 1\n```\n<!-- /include -->\nend')
  t.same(fresh.problems, [])
  t.equal(refreshIncludes('p.md', fresh.text, dir).text, fresh.text, 'a fresh quote stays as it is')
  t.match(refreshIncludes('p.md', '<!-- include: no.ts -->\n<!-- /include -->', dir).problems, [{ message: /no\.ts does not exist/ }])
  t.match(refreshIncludes('p.md', '<!-- include: ex.ts#nope -->\n<!-- /include -->', dir).problems, [{ message: /has no region 'nope'/ }])
  t.match(refreshIncludes('p.md', '<!-- include: ex.ts#r -->\n', dir).problems, [{ message: /has no <!-- \/include -->/ }])
})

t.test('links: files, anchors on other pages and on the same page, repository paths', async t => {
  const dir = t.testdir({ docs: { 'a.md': '# A\n## Here\n', 'b.md': '' }, src: { 'x.ts': '' } })
  const pages = new Map([['docs/a.md', '# A\n## Here\n']])
  const text = [
    '[ok](a.md#here) [ok](#top) [web](https://example.org/x)',
    `[gone](c.md) [bad anchor](a.md#there)`,
    'code `src/x.ts` and `src/y.ts`, a link in code `[x](nowhere.md)`',
    '# Top',
  ].join('\n')
  const problems = checkLinks('docs/b.md', text, dir, pages)
  t.same(
    problems.map(p => `${p.line}: ${p.message}`),
    ['2: link to c.md: no such file', '2: link to a.md#there: no heading makes #there', '3: `src/y.ts` names no file of the repository'],
  )
})

t.test('the errors table: one row per class with a code of its own, each with its code', async t => {
  const dir = t.testdir({
    src: {
      'e.ts': [
        'export class BaseError extends Error {',
        "  readonly code: string = 'BASE'",
        '}',
        'export class AError extends BaseError {',
        "  override readonly code = 'CODE_A'",
        '}',
        '/** B inherits A code: no row of its own needed */',
        'export class BError extends AError {}',
        'export class CError extends BaseError {',
        '  readonly other = 1',
        "  override readonly code: string = 'CODE_C'",
        '}',
      ].join('\n'),
    },
  })
  const codes = errorCodes(dir)
  t.same([...codes], [['AError', 'CODE_A'], ['CError', 'CODE_C']])
  const table = '| class | `code` | when |\n| --- | --- | --- |\n| `AError` | `CODE_A` | a |\n| `CError` | `CODE_X` | c |\n| `ZError` | `CODE_Z` | z |\n'
  t.same(
    checkErrorTable('docs/errors.md', table, codes).map(p => `${p.line}: ${p.message}`),
    ["4: errors table: CError's code is CODE_C, not CODE_X", '5: errors table: no class ZError with a code of its own in src/'],
  )
  t.same(checkErrorTable('docs/errors.md', '| `AError` | `CODE_A` | a |', codes).map(p => p.message), ['errors table: no row for CError (CODE_C)'])
})

t.test('a project: snippets type-checked against the package, stale quotes and bad snippets reported by page and line', async t => {
  const dir = t.testdir({
    'README.md': '# R\n\n```ts\nimport { boot } from \'bootcheck\'\nconst vm = await boot({ cdrom: \'x.iso\' })\nawait vm.succeed(\'true\')\n```\n',
    docs: {
      'p.md': "# P\n\n```ts\nconst n: number = 'text'\n```\n\n```ts partial\nawait vm.nothing(\n```\n\n<!-- include: src/ex.ts -->\nold\n<!-- /include -->\n",
    },
    src: { 'ex.ts': 'export const a = 1\n' },
    // what the prelude of check-docs.ts names from the demo media
    'vm-configs': { 'demo.ts': 'export interface LiveMedia { netboot: { dir: string } }\nexport interface BoardMedia { iso?: string }\n' },
  })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  mkdirSync(join(dir, 'src'), { recursive: true })
  writeFileSync(join(dir, 'src', 'index.ts'), "export { boot } from '../real/src/index.js'\n")
  symlinkSync(root, join(dir, 'real'))
  const { problems, summary } = checkDocs(dir)
  t.match(summary, /2 pages/)
  t.match(summary, /2 ts blocks type-checked, 1 partial blocks skipped \(docs\/p\.md:7\), 0 quotes/)
  t.same(
    problems.map(p => `${p.file}:${p.line}`),
    ['docs/p.md:0', 'docs/p.md:4'],
    'the stale quote, then the type error at its line in the page',
  )
  t.match(problems[1]!.message, /Type 'string' is not assignable to type 'number'/)
  const written = checkDocs(dir, true)
  t.same(written.problems.map(p => `${p.file}:${p.line}`), ['docs/p.md:4'], '--write refreshed the quote')
  t.match(readFileSync(join(dir, 'docs', 'p.md'), 'utf8'), /```ts\nexport const a = 1\n```/)
})

t.test("the repository's README and docs pass", async t => {
  const { problems, summary } = checkDocs(root)
  t.same(problems, [])
  t.comment(summary)
})

// Choosing what a run executes without booting anything: --list (with --shard), --forbid-only,
// --last-failed with no run, and bad numbers: each a one-line UsageError (exit 2) before any
// run folder or test process exists.
import t from 'tap'
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { declaredTests, narrowTo, onlyCalls } from '../../../src/runner/select.js'

const cliModule = fileURLToPath(new URL('../../../src/runner/cli.ts', import.meta.url))

function cli(dir: string, ...args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(cliModule)}).then(m => m.main(process.argv.slice(1))).then(c => process.exit(c))`, ...args], { cwd: dir, reject: false })
}

const source = `import t from 'tap'
// t.test('commented out', …) is not a test
t.test('boots', async t => {
  t.test("nested \\"quoted\\"", async t => {})
  await t.test(\`template\`, async () => {})
  t.ok(/x/.test('not a test'))
})
t.skip('skipped one', async () => {})
test('bare call', () => {})
`

t.test('declaredTests reads string-literal subtest names with their nesting', async t => {
  t.same(declaredTests(source).map(d => [d.name, d.depth, d.kind, d.line]), [
    ['boots', 0, 'test', 3],
    ['nested "quoted"', 1, 'test', 4],
    ['template', 1, 'test', 5],
    ['skipped one', 0, 'skip', 8],
    ['bare call', 0, 'test', 9],
  ])
})

t.test('onlyCalls finds t.only and { only: true }, not comments', async t => {
  t.same(onlyCalls('a.test.ts', "t.test('x', () => {})\n// t.only('y')\nt.only('z', () => {})\nt.test('w', { only: true }, () => {})\n"), ['a.test.ts:3', 'a.test.ts:4'])
  t.same(onlyCalls('b.test.ts', source), [])
})

t.test('narrowTo keeps the last failures that are among the files asked for', async t => {
  t.same(narrowTo(['a.test.ts', 'sub/b.test.ts', 'gone.test.ts'], ['./sub/b.test.ts', 'a.test.ts', 'c.test.ts']), ['a.test.ts', 'sub/b.test.ts'])
})

t.test('--list prints the files of the shard and their subtests, booting nothing', async t => {
  const dir = t.testdir({ 'a.test.ts': source, 'b.test.ts': "import t from 'tap'\nt.test('only in b', async () => {})\n" })
  const all = await cli(dir, 'run', '--list', '--runs-dir', 'runs')
  t.equal(all.exitCode, 0, all.stderr)
  t.equal(all.stdout, ['a.test.ts', '  boots  [line 3]', '    nested "quoted"  [line 4]', '    template  [line 5]', '  skipped one (skip)  [line 8]', '  bare call  [line 9]', 'b.test.ts', '  only in b  [line 2]', '2 file(s), 6 subtest(s) named in their source'].join('\n'))
  const second = await cli(dir, 'run', '--list', '--shard', '2/2', '--runs-dir', 'runs')
  t.equal(second.stdout, 'b.test.ts\n  only in b  [line 2]\n1 file(s), 1 subtest(s) named in their source', 'with --shard, only that shard')
  t.notOk(existsSync(join(dir, 'runs')), 'no run folder: nothing ran')
})

t.test('bad input: a one-line UsageError, exit 2, before any run', async t => {
  const dir = t.testdir({ 'a.test.ts': "import t from 'tap'\nt.only('focused', async () => {})\n" })
  const cases: Array<[string[], RegExp]> = [
    [['--retries', '-1'], /^bootcheck run: --retries needs a whole number of at least 0, got '-1'$/],
    [['--repeat-each', '0'], /^bootcheck run: --repeat-each needs a whole number of at least 1, got '0'$/],
    [['--retries', 'two'], /^bootcheck run: --retries needs a whole number of at least 0, got 'two'$/],
    [['--last-failed'], /^bootcheck run: --last-failed: no previous run \(no .*runs\/latest\/results\.json\); run the tests once first$/],
    [['--forbid-only'], /^bootcheck run: --forbid-only: t\.only left in a\.test\.ts:2; remove it/],
  ]
  for (const [args, message] of cases) {
    const r = await cli(dir, 'run', '--runs-dir', 'runs', ...args)
    t.equal(r.exitCode, 2, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, message, `${args.join(' ')}: names the reason`)
    t.equal(r.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: one line`)
  }
  t.notOk(existsSync(join(dir, 'runs')), 'no run folder was made')
})

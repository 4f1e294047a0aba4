// `bootcheck run --retries`: a file that fails on its first attempt by design (a marker file
// in a folder named by an environment variable) and passes on its second comes out flaky in
// results.json, the HTML report, JUnit and the summary line; every attempt keeps its own
// artifacts folder. Nested runs of real tap processes through the CLI; no QEMU.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunRecord } from '../../../src/report/model.js'
import { kid, kids, parseXml } from '../report/xml.js'

const cliModule = fileURLToPath(new URL('../../../src/runner/cli.ts', import.meta.url))

/** `bootcheck run` from the sources, in `dir`, with FLAKE_DIR set for the test files. */
async function run(dir: string, flakeDir: string, ...args: string[]) {
  const r = await execa(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(cliModule)}).then(m => m.main(process.argv.slice(1))).then(c => process.exit(c))`, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', '--jobs', '2', ...args], {
    cwd: dir,
    reject: false,
    env: { FLAKE_DIR: flakeDir },
  })
  const file = join(dir, 'runs', 'latest', 'results.json')
  const results = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord) : undefined
  return { ...r, results }
}

const flaky = `import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
t.test('fails the first time', async t => {
  const marker = join(process.env.FLAKE_DIR!, 'ran-once')
  const first = !existsSync(marker)
  writeFileSync(marker, '')
  writeFileSync(join(process.env.BOOTCHECK_ARTIFACTS!, 'note.txt'), 'attempt ' + process.env.BOOTCHECK_ATTEMPT)
  t.equal(first ? 'first attempt' : 'a later attempt', 'a later attempt', 'the marker was there: not the first attempt')
})
t.test('always passes', async t => t.pass())
`
const steady = `import t from 'tap'\nt.test('steady', async t => t.pass())\n`
const broken = `import t from 'tap'\nt.test('always fails', async t => t.equal(1, 2, 'one is two'))\n`

t.test('a file that fails, then passes, is flaky in results.json, HTML, JUnit and the summary', async t => {
  const dir = t.testdir({ 'flaky.test.ts': flaky, 'steady.test.ts': steady, flake: {} })
  const r = await run(dir, join(dir, 'flake'), '--retries', '2', '--junit', 'junit.xml', 'flaky.test.ts', 'steady.test.ts')
  t.equal(r.exitCode, 0, 'flaky passes the run without --fail-on-flaky', { stderr: r.stderr })
  const res = r.results!
  const f = res.files.find(x => x.file === 'flaky.test.ts')!
  t.equal(res.status, 'passed')
  t.equal(f.status, 'flaky')
  t.equal(f.attempt, 2, 'the record shown is the second attempt')
  t.same(f.tests.map(x => [x.name, x.status]), [['fails the first time', 'flaky'], ['always passes', 'passed']])
  t.equal(f.attempts?.length, 1, 'the first attempt is kept')
  const first = f.attempts![0]!
  t.equal(first.attempt, 1)
  t.equal(first.status, 'failed')
  t.match(first.tests.find(x => x.name === 'fails the first time'), { status: 'failed', message: /not the first attempt/ }, "the first attempt's failure and message are kept")
  t.match(first.tap, /not ok \d+ - the marker was there/, "and its TAP")
  t.same(res.counts, { passed: 2, failed: 0, skipped: 0, todo: 0, flaky: 1 })
  const steadyRecord = res.files.find(x => x.file === 'steady.test.ts')!
  t.equal(steadyRecord.status, 'passed')
  t.notOk(steadyRecord.attempts, 'a file that passed is not run again')
  t.equal(res.retries, 2)

  // Each attempt has its own artifacts folder.
  t.equal(readFileSync(join(res.dir, 'artifacts', 'attempt-1', 'note.txt'), 'utf8'), 'attempt 1')
  t.equal(readFileSync(join(res.dir, 'artifacts', 'attempt-2', 'note.txt'), 'utf8'), 'attempt 2')
  t.notOk(existsSync(join(res.dir, 'artifacts', 'attempt-3')), 'no third attempt after a pass')

  // The summary line.
  t.match(r.stderr, /bootcheck: passed: 2 passed, 0 failed, 1 flaky, 0 skipped/)
  t.match(r.stderr, /~ flaky\.test\.ts › fails the first time: flaky — failed on attempt 1, passed on attempt 2/)

  // The HTML report: a flaky badge, a flaky filter, the first attempt with its failure.
  const html = readFileSync(join(res.dir, 'report.html'), 'utf8')
  t.match(html, /<section class="file" data-file="flaky.test.ts" data-status="flaky">/)
  t.match(html, /<details class="test" data-test="fails the first time" data-status="flaky">/)
  t.match(html, /<span class="badge" data-status="flaky">flaky<\/span>/)
  t.match(html, /<button type="button" data-filter="flaky" aria-pressed="false">Flaky \(1\)<\/button>/)
  t.match(html, /<details class="attempt" data-attempt="1" data-status="failed">[^]*not the first attempt/)
  t.match(html, /flaky: s => s === 'flaky'/, 'the filter script knows the flaky status')

  // JUnit as Surefire writes a test that passed on a rerun.
  const xml = parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8'))
  t.match(xml.attrs, { tests: '3', failures: '0', errors: '0' })
  const suite = kids(xml, 'testsuite').find(s => s.attrs.name === 'flaky.test.ts')!
  const flakyCase = kids(suite, 'testcase').find(c => c.attrs.name === 'fails the first time')!
  t.notOk(kid(flakyCase, 'failure'), 'a flaky test is not a failure')
  const ff = kids(flakyCase, 'flakyFailure')
  t.equal(ff.length, 1, 'one <flakyFailure> for the one failed attempt')
  t.match(ff[0]!.attrs.message, /not the first attempt/)
  t.match(kid(ff[0]!, 'stackTrace')?.text, /^attempt 1: /)
  t.equal(kids(kids(suite, 'testcase').find(c => c.attrs.name === 'always passes')!, 'flakyFailure').length, 0)
})

t.test('--fail-on-flaky makes a flaky run fail; without --retries the same file fails', async t => {
  const dir = t.testdir({ 'flaky.test.ts': flaky, a: {}, b: {} })
  const strict = await run(dir, join(dir, 'a'), '--retries', '1', '--fail-on-flaky', 'flaky.test.ts')
  t.equal(strict.exitCode, 1, 'flaky fails the run with --fail-on-flaky')
  t.equal(strict.results!.files[0]!.status, 'flaky')
  t.equal(strict.results!.status, 'failed')
  const once = await run(dir, join(dir, 'b'), 'flaky.test.ts')
  t.equal(once.exitCode, 1, 'without retries the first failure fails the run')
  t.equal(once.results!.files[0]!.status, 'failed')
  t.notOk(once.results!.counts.flaky, 'nothing is flaky')
  t.ok(existsSync(join(once.results!.dir, 'artifacts', 'note.txt')), 'a plain run keeps artifacts/ as it was')
})

t.test('a file that fails every attempt: <failure> of the first, <rerunFailure> of the rest; --last-failed runs it alone', async t => {
  const dir = t.testdir({ 'broken.test.ts': broken, 'steady.test.ts': steady, f: {} })
  const r = await run(dir, join(dir, 'f'), '--retries', '2', '--junit', 'junit.xml', 'broken.test.ts', 'steady.test.ts')
  t.equal(r.exitCode, 1)
  const f = r.results!.files.find(x => x.file === 'broken.test.ts')!
  t.equal(f.status, 'failed')
  t.same(f.attempts?.map(a => [a.attempt, a.status]), [[1, 'failed'], [2, 'failed']], 'both earlier attempts kept')
  t.match(r.stderr, /failed on all 3 attempts/)
  const xml = parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8'))
  const c = kids(kids(xml, 'testsuite').find(s => s.attrs.name === 'broken.test.ts')!, 'testcase')[0]!
  t.equal(kids(c, 'failure').length, 1)
  t.match(kid(c, 'failure')?.text, /^attempt 1: /, "the failure is the first attempt's")
  t.same(kids(c, 'rerunFailure').map(e => kid(e, 'stackTrace')?.text.slice(0, 10)), ['attempt 2:', 'attempt 3:'])

  const again = await run(dir, join(dir, 'f'), '--last-failed')
  t.equal(again.exitCode, 1)
  t.same(again.results!.files.map(x => x.file), ['broken.test.ts'], 'only the file that failed runs again')
  t.match(again.stderr, /--last-failed: 1 file\(s\)/)
})

t.test('--repeat-each runs every file N times with distinct artifacts; --slowest lists the slowest', async t => {
  const dir = t.testdir({ 'flaky.test.ts': flaky, 'steady.test.ts': steady, f: {} })
  const r = await run(dir, join(dir, 'f'), '--repeat-each', '2', '--slowest', '3', 'flaky.test.ts', 'steady.test.ts')
  t.equal(r.exitCode, 1, 'the first repeat of the flaky file fails')
  t.same(r.results!.files.map(x => [x.file, x.repeat, x.status]), [
    ['flaky.test.ts', 1, 'failed'],
    ['steady.test.ts', 1, 'passed'],
    ['flaky.test.ts', 2, 'passed'],
    ['steady.test.ts', 2, 'passed'],
  ])
  t.equal(readFileSync(join(r.results!.dir, 'artifacts', 'repeat-1', 'note.txt'), 'utf8'), 'attempt 1')
  t.ok(existsSync(join(r.results!.dir, 'artifacts', 'repeat-2', 'note.txt')))
  t.match(r.stderr, /✗ flaky\.test\.ts \(repeat 1\) › fails the first time/, 'the summary names the repeat that failed')
  t.match(r.stderr, /bootcheck: the 3 slowest file\(s\):\n(\s+[\d.]+ s {2}\S+\.test\.ts \(repeat \d\)\n){3}/)
})

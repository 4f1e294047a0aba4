// The known-failures file: an unexpired entry turns a matching failure into `known` (not
// failing the run), an expired one fails again, arch/firmware narrow it, a bad file is a
// named error. The pure part, then one nested CLI run (no QEMU).
import t from 'tap'
import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { applyKnownFailures, loadKnownFailures, matchesPattern, type KnownFailure } from '../../../src/runner/known-failures.js'
import type { FileRecord, MachineRecord, RunRecord } from '../../../src/report/model.js'
import { kids, parseXml } from '../report/xml.js'

const now = new Date('2026-12-04T12:00:00Z')
const uefi: MachineRecord = { machine: 'vm', test: 'boots', dir: '/a', screens: [], arch: 'x86_64', firmware: 'uefi' }
const record = (machines: MachineRecord[] = []): FileRecord => ({
  file: 'tests/a.test.ts',
  status: 'failed',
  durationMs: 1,
  tap: '',
  machines: [],
  tests: [{ name: 'boots', status: 'failed', message: 'no prompt', machines }, { name: 'other', status: 'passed', machines: [] }],
})
const entry = (over: Partial<KnownFailure> = {}): KnownFailure => ({ pattern: 'tests/a.test.ts > boot*', tracker: 'https://example.org/issues/1', expires: '2026-12-04', ...over })

t.test('patterns match "<file> > <test>" with * for any characters', async t => {
  t.ok(matchesPattern('tests/*.test.ts > boots', 'tests/a.test.ts > boots'))
  t.ok(matchesPattern('*', 'x > y'))
  t.notOk(matchesPattern('tests/a.test.ts > boot', 'tests/a.test.ts > boots'), 'whole name only')
  t.notOk(matchesPattern('tests/a?test.ts > boots', 'tests/a.test.ts > boots'), '? is literal')
})

t.test('an unexpired entry makes the failure known; the last day still holds; the next fails again', async t => {
  const [known] = applyKnownFailures([record()], [entry()], now)
  t.equal(known!.status, 'known')
  t.same(known!.tests.map(x => x.status), ['known', 'passed'])
  t.same(known!.tests[0]!.knownFailure, { pattern: 'tests/a.test.ts > boot*', tracker: 'https://example.org/issues/1', expires: '2026-12-04' })
  const [expired] = applyKnownFailures([record()], [entry({ expires: '2026-12-03' })], now)
  t.equal(expired!.status, 'failed')
  t.equal(expired!.tests[0]!.status, 'failed')
  t.equal(expired!.tests[0]!.knownFailure?.expired, true, 'the report can say it expired')
})

t.test('arch and firmware narrow an entry to the machines that ran them', async t => {
  t.equal(applyKnownFailures([record([uefi])], [entry({ firmware: 'uefi' })], now)[0]!.status, 'known')
  t.equal(applyKnownFailures([record([{ ...uefi, firmware: 'bios' }])], [entry({ firmware: 'uefi' })], now)[0]!.status, 'failed')
  t.equal(applyKnownFailures([record([uefi])], [entry({ arch: 'aarch64' })], now)[0]!.status, 'failed')
  t.equal(applyKnownFailures([record()], [entry({ arch: 'x86_64' })], now)[0]!.status, 'failed', 'no machine: an arch entry does not apply')
})

t.test('a file that crashed outside any test matches as "<file> > <file>"', async t => {
  const crashed: FileRecord = { ...record(), tests: [] }
  const [r] = applyKnownFailures([crashed], [entry({ pattern: 'tests/a.test.ts > tests/a.test.ts' })], now)
  t.equal(r!.status, 'known')
  t.same(r!.tests.map(x => [x.name, x.status]), [['tests/a.test.ts', 'known']])
})

t.test('a bad known-failures file is a UsageError naming the entry', async t => {
  const dir = t.testdir({
    'no-date.json': JSON.stringify([{ pattern: 'x', tracker: 'https://e/1' }]),
    'bad-date.json': JSON.stringify([{ pattern: 'x', tracker: 'https://e/1', expires: 'soon' }]),
    'no-url.json': JSON.stringify([{ pattern: 'x', tracker: 'issue 12', expires: '2027-01-01' }]),
    'object.json': '{}',
  })
  await t.rejects(loadKnownFailures(join(dir, 'no-date.json')), { name: 'UsageError', message: /no-date\.json entry 1 needs 'expires'/ })
  await t.rejects(loadKnownFailures(join(dir, 'bad-date.json')), { message: /'expires' must be a date YYYY-MM-DD, got 'soon'/ })
  await t.rejects(loadKnownFailures(join(dir, 'no-url.json')), { message: /'tracker' must be the URL of the issue/ })
  await t.rejects(loadKnownFailures(join(dir, 'object.json')), { message: /must hold a JSON array/ })
  await t.rejects(loadKnownFailures(join(dir, 'missing.json')), { message: /cannot read .*missing\.json: no such file/ })
})

t.test('bootcheck run --known-failures: known in results.json, JUnit (skipped) and the summary; exit 0', async t => {
  const cliModule = fileURLToPath(new URL('../../../src/runner/cli.ts', import.meta.url))
  const dir = t.testdir({
    'broken.test.ts': "import t from 'tap'\nt.test('boots', async t => t.equal(1, 2, 'one is two'))\nt.test('other', async t => t.pass())\n",
    'known.json': JSON.stringify([{ pattern: '*broken.test.ts > boots', tracker: 'https://example.org/issues/7', expires: '2999-12-31' }]),
  })
  const r = await execa(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(cliModule)}).then(m => m.main(process.argv.slice(1))).then(c => process.exit(c))`, 'run', '--runs-dir', 'runs', '--progress', 'off', '--known-failures', 'known.json', '--junit', 'junit.xml', '--retries', '2', 'broken.test.ts'], { cwd: dir, reject: false })
  t.equal(r.exitCode, 0, r.stderr)
  const res = JSON.parse(readFileSync(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.equal(res.files[0]!.status, 'known')
  t.notOk(res.files[0]!.attempts, 'a file failing only as known is not retried')
  t.match(res.files[0]!.tests[0], { status: 'known', message: /one is two/, knownFailure: { tracker: 'https://example.org/issues/7' } })
  t.match(res.counts, { passed: 1, failed: 0, known: 1 })
  t.match(r.stderr, /! broken\.test\.ts › boots: known failure https:\/\/example\.org\/issues\/7 \(until 2999-12-31\)/)
  t.match(r.stderr, /bootcheck: passed: 1 passed, 0 failed, 1 known, 0 skipped/)
  const xml = parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8'))
  const c = kids(kids(xml, 'testsuite')[0]!, 'testcase').find(x => x.attrs.name === 'boots')!
  t.match(kids(c, 'skipped')[0]?.attrs.message, /^known failure: https:\/\/example\.org\/issues\/7/)
  t.equal(kids(c, 'failure').length, 0)
  const html = readFileSync(join(res.dir, 'report.html'), 'utf8')
  t.match(html, /<details class="test" data-test="boots" data-status="known">/)
  t.match(html, /Known failure, tracked at <a href="https:\/\/example\.org\/issues\/7">/)
})

// JUnit XML from a real `bootcheck run` with a pass, a failure and a skip, read back with a
// strict XML reader and checked for the elements and attributes the JUnit schema requires.
import t from 'tap'
import { execa } from 'execa'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { kid, kids, parseXml } from '../unit/report/xml.js'
import { buildPackage, cli } from './cli-helpers.js'

await buildPackage()

t.test('JUnit XML of a run with a pass, a failure and a skip', async t => {
  const dir = t.testdir({
    'mixed.test.ts': [
      `import t from 'tap'`,
      `t.test('adds up', async t => { t.equal(1 + 1, 2) })`,
      `t.test('expects <more> & "quotes"', async t => { t.equal(1 + 1, 3, 'one and one make three') })`,
      `t.test('needs hardware', { skip: 'no TPM here' }, async () => {})`,
    ].join('\n'),
  })
  const r = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--junit', join(dir, 'junit.xml'), 'mixed.test.ts'], { cwd: dir, reject: false })
  t.equal(r.exitCode, 1, 'the run fails')
  const xml = await readFile(join(dir, 'junit.xml'), 'utf8')
  t.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>/)
  const suites = parseXml(xml)
  t.equal(suites.name, 'testsuites')
  for (const a of ['name', 'tests', 'failures', 'errors', 'skipped', 'time']) t.ok(a in suites.attrs, `testsuites@${a}`)
  t.same([suites.attrs.tests, suites.attrs.failures, suites.attrs.errors, suites.attrs.skipped], ['3', '1', '0', '1'])
  const [suite, ...rest] = kids(suites, 'testsuite')
  t.equal(rest.length, 0, 'one suite per test file')
  for (const a of ['name', 'tests', 'failures', 'errors', 'skipped', 'time', 'timestamp', 'hostname']) t.ok(a in suite!.attrs, `testsuite@${a}`)
  t.equal(suite!.attrs.name, 'mixed.test.ts')
  const cases = kids(suite!, 'testcase')
  t.same(cases.map(c => c.attrs.name), ['adds up', 'expects <more> & "quotes"', 'needs hardware'], 'names read back unescaped')
  for (const c of cases) {
    for (const a of ['name', 'classname', 'time']) t.ok(a in c.attrs, `${c.attrs.name}: testcase@${a}`)
    t.ok(Number.isFinite(Number(c.attrs.time)), 'time in seconds')
  }
  const [pass, fail, skip] = cases
  t.equal(pass!.children.filter(c => ['failure', 'error', 'skipped'].includes(c.name)).length, 0, 'a pass has no outcome element')
  const failure = kid(fail!, 'failure')
  t.ok(failure, 'the failure has <failure>')
  t.match(failure!.attrs.message, /one and one make three/, 'with the failing assertion as its message')
  t.match(kid(skip!, 'skipped')?.attrs.message, /no TPM here/, 'the skip has <skipped> with its reason')
})

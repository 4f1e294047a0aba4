import t from 'tap'
import { renderJUnit } from '../../../src/report/index.js'
import type { MachineRecord, RunRecord } from '../../../src/report/index.js'
import { kid, kids, parseXml, type El } from './xml.js'

const nasty = `expected <prompt> & "quotes" 'too' \x1b[31mred\x1b[0m\x00\x07 and a lone \uD800 surrogate`

function machine(over: Partial<MachineRecord> = {}): MachineRecord {
  const dir = '/runs/r1/artifacts/tests-a.test.ts/fails/vm'
  return {
    machine: 'vm',
    test: 'fails',
    dir,
    transcript: `${dir}/console.log`,
    command: `${dir}/qemu-command.txt`,
    screens: [{ name: 'grub-menu', expected: `${dir}/grub-menu-expected.png`, actual: `${dir}/grub-menu-actual.png`, diff: `${dir}/grub-menu-diff.png` }],
    ...over,
  }
}

function fixture(): RunRecord {
  return {
    dir: '/runs/r1',
    startedAt: '2024-05-01T10:20:30.456Z',
    durationMs: 61_500,
    status: 'interrupted',
    interruptedBy: 'SIGINT',
    host: { hostname: 'ci-<1>', cpus: 2, memoryMiB: 4096, budgetMiB: 3000, jobs: 2 },
    counts: { passed: 2, failed: 2, skipped: 1, todo: 1 },
    files: [
      {
        file: 'tests/a.test.ts',
        status: 'failed',
        durationMs: 12_345,
        tap: 'TAP version 14\n',
        machines: [],
        tests: [
          { name: 'boots', status: 'passed', durationMs: 1500, machines: [] },
          { name: 'fails', status: 'failed', durationMs: 250, message: nasty, diagnostic: 'at: x.ts:1\nfound: "a"\nwanted: "b"', machines: [machine()] },
          { name: 'outer > skipped one', status: 'skipped', reason: 'no <KVM>', machines: [] },
          { name: 'later', status: 'todo', machines: [] },
        ],
      },
      {
        file: 'tests/b.test.ts',
        status: 'interrupted',
        durationMs: 3000,
        tap: 'TAP version 14\nok 1 - first\n',
        machines: [],
        tests: [
          { name: 'first', status: 'passed', durationMs: 10, machines: [] },
          { name: 'second', status: 'interrupted', message: 'interrupted by SIGINT', machines: [] },
        ],
      },
      { file: 'tests/crash.test.ts', status: 'failed', durationMs: 800, tap: 'TAP version 14\nBail out! boom <&>\n', machines: [], tests: [] },
    ],
  }
}

t.test('the XML reader used here is strict', async t => {
  t.equal(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1&amp;2"><b/>t&lt;</a>').attrs.x, '1&2')
  for (const bad of ['<a x="<"/>', '<a>\x1b</a>', '<a></b>', '<a>&nbsp;</a>', '<a>&amp</a>', '<a x="1" x="2"/>', '<a/><b/>', '<a>&#1;</a>'])
    t.throws(() => parseXml(bad), { name: 'Error' }, JSON.stringify(bad))
})

t.test('renders well-formed JUnit with the schema elements and attributes', async t => {
  const xml = renderJUnit(fixture())
  const root = parseXml(xml)
  t.equal(root.name, 'testsuites')
  for (const a of ['name', 'tests', 'failures', 'errors', 'skipped', 'time', 'timestamp']) t.ok(a in root.attrs, `testsuites@${a}`)
  t.equal(root.attrs.time, '61.5', 'seconds')
  t.equal(root.attrs.timestamp, '2024-05-01T10:20:30', 'schema timestamp (UTC, no zone)')
  const suites = kids(root, 'testsuite')
  t.same(suites.map(s => s.attrs.name), ['tests/a.test.ts', 'tests/b.test.ts', 'tests/crash.test.ts'])
  const sum = { tests: 0, failures: 0, errors: 0, skipped: 0 }
  for (const s of suites) {
    for (const a of ['name', 'tests', 'failures', 'errors', 'skipped', 'time', 'timestamp', 'hostname']) t.ok(a in s.attrs, `${s.attrs.name} testsuite@${a}`)
    const cases = kids(s, 'testcase')
    for (const c of cases) for (const a of ['name', 'classname', 'time']) t.ok(a in c.attrs, `${c.attrs.name} testcase@${a}`)
    const n = { tests: cases.length, failures: 0, errors: 0, skipped: 0 }
    for (const c of cases) {
      if (kid(c, 'failure')) n.failures++
      if (kid(c, 'error')) n.errors++
      if (kid(c, 'skipped')) n.skipped++
      t.ok(kids(c, 'failure').length + kids(c, 'error').length + kids(c, 'skipped').length <= 1, 'at most one outcome element')
    }
    t.same({ tests: +s.attrs.tests!, failures: +s.attrs.failures!, errors: +s.attrs.errors!, skipped: +s.attrs.skipped! }, n, `${s.attrs.name} counts match its test cases`)
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += n[k]
  }
  t.same({ tests: +root.attrs.tests!, failures: +root.attrs.failures!, errors: +root.attrs.errors!, skipped: +root.attrs.skipped! }, sum, 'totals are the sums')
  t.same(sum, { tests: 7, failures: 2, errors: 1, skipped: 2 })
  t.equal(suites[0]!.attrs.time, '12.345')
  t.equal(suites[0]!.attrs.hostname, 'ci-<1>', 'escaped attribute reads back')
})

t.test('test cases: failure, skipped, todo, interrupted, crashed file', async t => {
  const suites = kids(parseXml(renderJUnit(fixture())), 'testsuite')
  const [a, b, crash] = suites as [El, El, El]
  const byName = (s: El, n: string): El => {
    const c = kids(s, 'testcase').find(c => c.attrs.name === n)
    if (!c) throw new Error(`no test case ${n}`)
    return c
  }
  const passed = byName(a, 'boots')
  t.same(passed.children, [], 'a passed test is empty')
  t.equal(passed.attrs.time, '1.5')
  t.equal(passed.attrs.classname, 'tests.a_test')

  const fails = byName(a, 'fails')
  const failure = kid(fails, 'failure')!
  t.ok(failure, 'failure element')
  const visible = nasty.replace('\x1b', '\\x1B').replace('\x1b', '\\x1B').replace('\x00', '\\x00').replace('\x07', '\\x07').replace('\uD800', '\\uD800')
  t.equal(failure.attrs.message, visible, 'message escaped and read back; illegal characters made visible')
  t.match(failure.text, visible)
  t.match(failure.text, 'wanted: "b"', 'body has the diagnostic')
  const out = kid(fails, 'system-out')!.text
  t.match(out, 'artifacts in /runs/r1/artifacts/tests-a.test.ts/fails/vm')
  const attachments = [...out.matchAll(/\[\[ATTACHMENT\|([^\]]+)\]\]/g)].map(m => m[1])
  t.same(attachments.map(p => p!.split('/').pop()), ['grub-menu-actual.png', 'grub-menu-diff.png', 'grub-menu-expected.png', 'console.log', 'qemu-command.txt'])

  t.equal(kid(byName(a, 'outer > skipped one'), 'skipped')?.attrs.message, 'skipped: no <KVM>')
  t.equal(kid(byName(a, 'later'), 'skipped')?.attrs.message, 'todo')

  const second = byName(b, 'second')
  t.equal(kid(second, 'error')?.attrs.type, 'interrupted')
  t.equal(kid(second, 'error')?.attrs.message, 'interrupted by SIGINT')
  t.match(kid(b, 'system-out')?.text, /Interrupted by SIGINT/)

  const crashed = kids(crash, 'testcase')
  t.equal(crashed.length, 1, 'a crashed file gets one test case')
  t.match(kid(crashed[0]!, 'failure')?.attrs.message, /failed outside any test/)
  t.match(kid(crash, 'system-out')?.text, 'Bail out! boom <&>', 'TAP output of a failed file, escaped')
})

t.test('relativeTo makes attachment paths relative', async t => {
  const xml = renderJUnit(fixture(), { relativeTo: '/runs' })
  t.match(xml, '[[ATTACHMENT|r1/artifacts/tests-a.test.ts/fails/vm/console.log]]')
  t.notMatch(xml, '[[ATTACHMENT|/runs')
})

t.test('an empty run is still valid', async t => {
  const run = { ...fixture(), files: [], status: 'passed' as const }
  const root = parseXml(renderJUnit(run))
  t.same([root.attrs.tests, root.attrs.failures, root.attrs.errors, root.attrs.skipped], ['0', '0', '0', '0'])
  t.same(root.children, [])
})

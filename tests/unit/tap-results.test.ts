import t from 'tap'
import { readTapRun, splitFiles } from '../../src/runner/tap-results.js'

// What `tap --reporter=tap` prints for two files: one passing, one with a nested failure, a skip and a todo.
const RUN = `TAP version 14
1..2
# Subtest: a.test.ts
    # Subtest: outer
        ok 1 - x
        1..1
    ok 1 - outer # time=13.781ms

    1..1
    # time=29.114ms
ok 1 - a.test.ts # time=29.114ms

# Subtest: b.test.ts
    # Subtest: passes
        ok 1 - fine
        1..1
    ok 1 - passes # time=4.036ms

    # Subtest: fails
        # Subtest: deep
            not ok 1 - one is two
              ---
              compare: ===
              diff: |
                --- expected
                +++ actual
                -2
                +1
              at:
                fileName: b.test.ts
                lineNumber: 3
              ...
            1..1
        not ok 1 - deep # time=22.878ms
          ---
          at:
            fileName: b.test.ts
            lineNumber: 3
          ...
        1..1
    not ok 2 - fails # time=29.53ms
      ---
      at:
        fileName: b.test.ts
        lineNumber: 3
      ...
    ok 3 - skipped # SKIP no reason
    ok 4 - later # TODO
    1..4
    # time=47.395ms
not ok 2 - b.test.ts # time=47.395ms
`

t.test('files, their top-level tests, statuses and times', async t => {
  const [a, b] = readTapRun(RUN)
  t.match(a, { file: 'a.test.ts', status: 'passed', durationMs: 29.114, tests: [{ name: 'outer', status: 'passed', durationMs: 13.781 }] })
  t.equal(b!.file, 'b.test.ts')
  t.equal(b!.status, 'failed')
  t.same(
    b!.tests.map(x => [x.name, x.status]),
    [
      ['passes', 'passed'],
      ['fails', 'failed'],
      ['skipped', 'skipped'],
      ['later', 'todo'],
    ],
  )
  t.equal(b!.tests[2]!.reason, 'no reason')
})

t.test('a failed test names the failing assertion inside it, with its diff', async t => {
  const fails = readTapRun(RUN)[1]!.tests[1]!
  t.match(fails.message, /^✗ deep > one is two\n/)
  t.match(fails.message, /-2\n\s+\+1/)
  t.match(fails.diagnostic, /at: b\.test\.ts:3/)
})

t.test('output cut short: interrupted when the run was, failed when it crashed', async t => {
  const cut = RUN.slice(0, RUN.indexOf('    # Subtest: fails'))
  const [a, b] = readTapRun(cut, true)
  t.equal(a!.status, 'passed', 'the finished file keeps its status')
  t.equal(b!.status, 'interrupted')
  t.same(b!.tests.map(x => x.name), ['passes'], 'tests finished before the cut are kept')
  t.equal(readTapRun(cut, false)[1]!.status, 'failed')
})

t.test('each file keeps its own raw TAP, de-indented', async t => {
  const raw = splitFiles(RUN)
  t.same([...raw.keys()], ['a.test.ts', 'b.test.ts'])
  t.match(raw.get('a.test.ts'), /^# Subtest: outer\n    ok 1 - x\n/)
  t.match(raw.get('b.test.ts'), /not ok 2 - b\.test\.ts # time=47\.395ms\n$/)
})

t.test('a failed t.ok/t.notOk (no diff, no message) is named in its test\'s message', async t => {
  // What tap prints for t.notOk(true, 'the marker was there') inside a subtest.
  const tap = `TAP version 14
1..1
# Subtest: c.test.ts
    # Subtest: marker
        not ok 1 - the marker was there
          ---
          at:
            fileName: c.test.ts
            lineNumber: 8
          source: |
            t.notOk(first, 'the marker was there')
          ...
        1..1
    not ok 1 - marker # time=5ms
      ---
      at:
        fileName: c.test.ts
        lineNumber: 4
      source: |
        t.test('marker', async t => {
      ...

    1..1
not ok 1 - c.test.ts # time=9ms
`
  const [file] = readTapRun(tap)
  t.equal(file!.tests[0]!.status, 'failed')
  t.match(file!.tests[0]!.message, /^✗ the marker was there\n {4}at: c.test.ts:8$/m, 'the failing assertion is named, with where it is')
  t.notMatch(file!.tests[0]!.message, /✗ marker$/m, 'the subtest itself is not listed as a failure of its own')
})

t.test("a thrown error's message keeps its line breaks (tap prints it as one line; messageLines has it whole)", async t => {
  // What tap printed for a test that threw a CommandFailedError whose message has three lines.
  const tap = `TAP version 14
1..1
# Subtest: d.test.ts
    # Subtest: fails
        not ok 1 - Command "false" on demo exited with status 1. stdout:   | about to fail   | second line
          ---
          stack: |
            Test.<anonymous> (d.test.ts:4:9)
          at:
            fileName: d.test.ts
            lineNumber: 4
            columnNumber: 9
            typeName: Test
            methodName: <anonymous>
            functionName: Test.<anonymous>
          type: CommandFailedError
          code: BOOTCHECK_COMMAND_FAILED
          messageLines: |-
            Command "false" on demo exited with status 1. stdout:
              | about to fail
              | second line
          command: "false"
          status: 1
          output: |
            about to fail
            second line
          stderr: ""
          tapCaught: returnedPromiseRejection
          ...
        
        1..1
    not ok 1 - fails # time=56.65ms
      ---
      at:
        fileName: d.test.ts
        lineNumber: 3
        columnNumber: 3
        isToplevel: true
      ...
    
    1..1
    # { total: 1, pass: 0, fail: 1 }
    # time=87.292ms
not ok 1 - d.test.ts # time=80ms
`
  const [file] = readTapRun(tap)
  const message = file!.tests[0]!.message!
  t.match(message, /^✗ Command "false" on demo exited with status 1\. stdout:\n {2}\| about to fail\n {2}\| second line\n/, 'the lines as thrown')
  t.notMatch(message, /stdout: {3}\|/, 'not the one-line name')
  t.notMatch(message, /messageLines/, 'the copy is not repeated among the diagnostics')
})

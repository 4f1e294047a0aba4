// The pure part of retries and repeats: artifact folders, what runs again, how attempts
// combine into a flaky or failed record, counts and the exit status.
import t from 'tap'
import { attemptArtifactsDir, combineAttempts, countTests, filesToRetry, runOutcome } from '../../../src/runner/attempts.js'
import { earlierFailures } from '../../../src/report/attempts.js'
import type { FileRecord, TestRecord } from '../../../src/report/model.js'

const test = (name: string, status: TestRecord['status'], message?: string): TestRecord => ({ name, status, machines: [], ...(message ? { message } : {}) })
const file = (status: FileRecord['status'], tests: TestRecord[], attempt: number): FileRecord => ({ file: 'a.test.ts', status, durationMs: 10 * attempt, tests, tap: `tap of ${attempt}`, machines: [], attempt })

t.test('each attempt and repeat has its own artifacts folder; a plain run keeps artifacts/', async t => {
  t.equal(attemptArtifactsDir('/r/artifacts', { retries: 0, repeatEach: 1 }, 1, 1), '/r/artifacts')
  t.equal(attemptArtifactsDir('/r/artifacts', { retries: 2, repeatEach: 1 }, 1, 2), '/r/artifacts/attempt-2')
  t.equal(attemptArtifactsDir('/r/artifacts', { retries: 0, repeatEach: 3 }, 3, 1), '/r/artifacts/repeat-3')
  t.equal(attemptArtifactsDir('/r/artifacts', { retries: 1, repeatEach: 2 }, 2, 1), '/r/artifacts/repeat-2/attempt-1')
})

t.test('only failed files run again; interrupted ones do not', async t => {
  t.same(filesToRetry([{ ...file('failed', [], 1), file: 'x' }, { ...file('passed', [], 1), file: 'y' }, { ...file('interrupted', [], 1), file: 'z' }]), ['x'])
})

t.test('fail then pass is flaky: the tests that failed before, and the file', async t => {
  const r = combineAttempts([file('failed', [test('a', 'failed', 'boom'), test('b', 'passed')], 1), file('passed', [test('a', 'passed'), test('b', 'passed')], 2)])
  t.equal(r.status, 'flaky')
  t.same(r.tests.map(x => x.status), ['flaky', 'passed'])
  t.equal(r.tap, 'tap of 2')
  t.same(r.attempts!.map(a => [a.attempt, a.status, a.tap]), [[1, 'failed', 'tap of 1']])
  t.same(earlierFailures(r, 'a'), [{ attempt: 1, status: 'failed', message: 'boom' }])
  t.same(earlierFailures(r, 'b'), [])
  t.same(countTests([r]), { passed: 1, failed: 0, skipped: 0, todo: 0, flaky: 1 })
  t.same(runOutcome([r], {}), { status: 'passed', exitCode: 0 })
  t.same(runOutcome([r], { failOnFlaky: true }), { status: 'failed', exitCode: 1 })
})

t.test('a crash (no test finished) then a pass: every test is flaky; counts as one flaky test per test', async t => {
  const r = combineAttempts([file('failed', [], 1), file('passed', [test('a', 'passed')], 2)])
  t.equal(r.status, 'flaky')
  t.same(r.tests.map(x => x.status), ['flaky'])
  t.match(earlierFailures(r, 'a'), [{ attempt: 1, status: 'failed', message: /failed before this test finished/ }])
})

t.test('failing every attempt stays failed, with every earlier attempt kept', async t => {
  const r = combineAttempts([file('failed', [test('a', 'failed', 'one')], 1), file('failed', [test('a', 'failed', 'two')], 2), file('failed', [test('a', 'failed', 'three')], 3)])
  t.equal(r.status, 'failed')
  t.equal(r.tests[0]!.message, 'three')
  t.same(earlierFailures(r, 'a').map(e => e.message), ['one', 'two'])
  t.same(countTests([r]), { passed: 0, failed: 1, skipped: 0, todo: 0 }, 'no flaky count when nothing was flaky')
  t.same(runOutcome([r], {}), { status: 'failed', exitCode: 1 })
})

t.test('a single attempt is returned as it is', async t => {
  const one = file('passed', [test('a', 'passed')], 1)
  t.equal(combineAttempts([one]), one)
  t.throws(() => combineAttempts([]))
})

// What `bootcheck show-trace` serves: the run folder (found above a trace) and its traces;
// the server answers inside the folder only.
import t from 'tap'
import { join } from 'node:path'
import { startTraceServer, traceTargets } from '../../src/runner/show-trace.js'
import { UsageError } from '../../src/errors/errors.js'

const run = {
  'results.json': '{}',
  'report.html': '<p>report</p>',
  artifacts: { 'a.test.ts': { 'fails': { 'trace.html': '<title>Trace: fails (failed)</title>' }, 'passes': { 'trace.html': '<title>Trace: passes (passed)</title>' } } },
}

t.test('a run folder: its traces; a trace: its run folder as the root', async t => {
  const dir = t.testdir(run)
  t.same(traceTargets(dir), { root: dir, traces: [join(dir, 'artifacts/a.test.ts/fails/trace.html'), join(dir, 'artifacts/a.test.ts/passes/trace.html')] })
  const one = join(dir, 'artifacts/a.test.ts/fails/trace.html')
  t.same(traceTargets(one), { root: dir, traces: [one] })
  t.throws(() => traceTargets(join(dir, 'nope')), UsageError)
  t.throws(() => traceTargets(join(dir, 'results.json')), UsageError)
})

t.test('served on 127.0.0.1: an index with failed tests first, files inside the folder only', async t => {
  const dir = t.testdir(run)
  const s = await startTraceServer(dir)
  t.teardown(() => s.close())
  t.match(s.open, /^http:\/\/127\.0\.0\.1:\d+\/$/)
  const index = await (await fetch(s.open)).text()
  t.ok(index.indexOf('fails (failed)') < index.indexOf('passes (passed)'), 'failed first')
  t.equal((await fetch(`${s.url}report.html`)).status, 200)
  t.equal((await fetch(`${s.url}..%2f..%2fetc%2fpasswd`)).status, 404, 'an encoded .. stays inside')
  t.equal((await fetch(`${s.url}report.html`, { method: 'POST' })).status, 405)
})

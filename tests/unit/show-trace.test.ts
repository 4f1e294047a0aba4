// What `bootcheck show-trace` serves: the run folder (found above a trace) and its traces;
// the server answers inside the folder only, on 127.0.0.1 only, and only with its token.
import t from 'tap'
import { request } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
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

/** A GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, res => (res.resume(), resolve(res.statusCode ?? 0)))
    req.once('error', reject)
    req.end()
  })
}

t.test('served on 127.0.0.1 with a token: an index with failed tests first, files inside the folder only', async t => {
  const dir = t.testdir(run)
  const s = await startTraceServer(dir)
  t.teardown(() => s.close())
  t.match(s.open, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
  const token = `?token=${s.token}`
  const first = await fetch(s.open)
  const index = await first.text()
  t.ok(index.indexOf('fails (failed)') < index.indexOf('passes (passed)'), 'failed first')
  t.match(index, /href="artifacts\/a\.test\.ts\/fails\/trace\.html\?token=/, 'its links carry the token')
  const cookie = first.headers.get('set-cookie')!.split(';')[0]!
  t.match(first.headers.get('set-cookie'), /HttpOnly; SameSite=Strict/)

  t.equal((await fetch(`${s.url}report.html`)).status, 403, 'no token: refused')
  t.equal((await fetch(`${s.url}report.html?token=${'x'.repeat(32)}`)).status, 403, 'a wrong token: refused')
  t.equal((await fetch(`${s.url}`)).status, 403, 'the index too')
  t.equal((await fetch(`${s.url}report.html${token}`)).status, 200)
  t.equal((await fetch(`${s.url}report.html`, { headers: { cookie } })).status, 200, 'the cookie the first answer set is enough (images, links)')
  t.equal(await getWithHost(`${s.url}report.html${token}`, 'evil.example:80'), 403, 'another Host (DNS rebinding) is refused even with the token')
  t.equal((await fetch(`${s.url}..%2f..%2fetc%2fpasswd${token}`)).status, 404, 'an encoded .. stays inside')
  t.equal((await fetch(`${s.url}report.html${token}`, { method: 'PUT' })).status, 405)
  t.equal((await fetch(`${s.url}__bootcheck/reference${token}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: '{}' })).status, 403, 'POST without the token header: refused, whatever the cookie and URL')
  const post = (body: string, type = 'application/json') => fetch(`${s.url}__bootcheck/reference`, { method: 'POST', headers: { 'content-type': type, 'x-bootcheck-token': s.token! }, body })
  t.equal((await post('{}', 'text/plain')).status, 415, 'a form post (no preflight) is refused')
  t.equal((await post('not json')).status, 400)
  t.equal((await post(JSON.stringify({ pad: 'x'.repeat(70_000) }))).status, 413, 'a body over 64 KiB is refused')
  const notATrace = await post(JSON.stringify({ trace: '/report.html', op: 'mask', name: 'x', rect: { x: 0, y: 0, width: 1, height: 1 } }))
  t.equal(notATrace.status, 404, 'only a served trace can be named')
})

t.test('listens on 127.0.0.1 only', async t => {
  const s = await startTraceServer(t.testdir(run))
  t.teardown(() => s.close())
  const address = s.server.address()
  t.match(address, { address: '127.0.0.1' })
  const port = (address as { port: number }).port
  const others = Object.values(networkInterfaces()).flat().filter(a => a && a.family === 'IPv4' && !a.internal).map(a => a!.address)
  for (const host of others) {
    const answer = await new Promise<string>(resolve => {
      const c = connect({ host, port })
      c.once('connect', () => (c.destroy(), resolve('connected')))
      c.once('error', e => resolve((e as NodeJS.ErrnoException).code ?? 'error'))
    })
    t.not(answer, 'connected', `not reachable at ${host}:${port}`)
  }
})

// The live view's recorder routes on a real server (no machine): the page and its extra
// script only when recording, marks posted with their JSON body and answered with the
// recorder's status, the token required as for every route.
import t from 'tap'
import { startLiveView, type LiveRecorder } from '../../../../src/runner/live/server.js'

t.test('recorder routes', async t => {
  const asked: Array<[string, string, unknown]> = []
  const recorder: LiveRecorder = {
    input: () => undefined,
    request: async (action, id, body) => (asked.push([action, id, body]), { status: action === 'screen' ? 409 : 200, body: { action } }),
    state: () => ({ machine: '0123456789ab', code: ['await vm.sendKey(\'tab\')'] }),
    script: '/* the recorder */',
  }
  const view = await startLiveView({ root: t.testdir(), recorder })
  t.teardown(() => view.close())
  const plain = await startLiveView({ root: t.testdir() })
  t.teardown(() => plain.close())
  const token = new URL(view.url).searchParams.get('token')!
  const base = `http://127.0.0.1:${view.port}`
  const get = (path: string, on = base, tok = token): Promise<Response> => fetch(`${on}${path}${path.includes('?') ? '&' : '?'}token=${tok}`)

  t.match(await (await get('/')).text(), '<script type="module" src="/assets/record.js"></script>')
  t.equal(await (await get('/assets/record.js')).text(), '/* the recorder */')
  t.match(await (await get('/api/state')).json(), { recording: { machine: '0123456789ab' }, machines: [] })
  const ptoken = new URL(plain.url).searchParams.get('token')!
  t.notMatch(await (await get('/', `http://127.0.0.1:${plain.port}`, ptoken)).text(), 'record.js', 'no recorder: no script')
  t.equal((await get('/assets/record.js', `http://127.0.0.1:${plain.port}`, ptoken)).status, 404)

  const post = (path: string, body: string, tok = token): Promise<Response> => fetch(`${base}${path}?token=${tok}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  const r = await post('/api/record/text/0123456789ab', JSON.stringify({ pattern: 'boot:' }))
  t.equal(r.status, 200)
  t.same(await r.json(), { action: 'text' })
  t.equal((await post('/api/record/screen/0123456789ab', '{}')).status, 409, "the recorder's status")
  t.equal((await post('/api/record/text/0123456789ab', 'not json')).status, 200)
  t.equal((await post('/api/record/text/0123456789ab', 'x'.repeat(70_000))).status, 200, 'an oversized body is read as nothing')
  t.same(asked, [['text', '0123456789ab', { pattern: 'boot:' }], ['screen', '0123456789ab', {}], ['text', '0123456789ab', undefined], ['text', '0123456789ab', undefined]])
  t.equal((await post('/api/record/text/0123456789ab', '{}', 'wrong'.repeat(6))).status, 403, 'without the token: refused')
  t.equal((await post('/api/record/text/nothex', '{}')).status, 404)
  t.equal(asked.length, 4, 'neither reached the recorder')
})

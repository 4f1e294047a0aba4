// The live view's server lets a request in only with its token (query or cookie) and its own Host.
import t from 'tap'
import type { IncomingMessage } from 'node:http'
import { authorized } from '../../src/runner/live/server.js'

const req = (url: string, headers: Record<string, string>): IncomingMessage => ({ url, headers }) as unknown as IncomingMessage
const token = 'A'.repeat(32)

t.test('the token in the URL or the cookie, with the Host 127.0.0.1:PORT or localhost:PORT', async t => {
  t.ok(authorized(req(`/?token=${token}`, { host: '127.0.0.1:4000' }), token, 4000))
  t.ok(authorized(req('/api/state', { host: 'localhost:4000', cookie: `x=1; bootcheck_live=${token}` }), token, 4000))
  t.notOk(authorized(req('/api/state', { host: '127.0.0.1:4000' }), token, 4000), 'no token')
  t.notOk(authorized(req(`/?token=${token.slice(1)}B`, { host: '127.0.0.1:4000' }), token, 4000), 'a wrong token')
  t.notOk(authorized(req(`/?token=${token}x`, { host: '127.0.0.1:4000' }), token, 4000), 'a longer one')
  t.notOk(authorized(req(`/?token=${token}`, { host: 'evil.example:4000' }), token, 4000), 'another Host (DNS rebinding)')
  t.notOk(authorized(req(`/?token=${token}`, { host: '127.0.0.1:4001' }), token, 4000), 'another port')
  t.notOk(authorized(req(`/?token=${token}`, {}), token, 4000), 'no Host')
})

// Connecting to a Unix socket that is about to appear: tried again while missing or
// refusing, until the deadline or until it is no longer wanted, each with its reason.
import t from 'tap'
import { createServer } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectWhenListening, UnixConnectError } from '../../../src/util/unix-connect.js'

// Under the temporary folder: a Unix socket's path has at most 107 bytes.
const dir = mkdtempSync(join(tmpdir(), 'bc-unix-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('a socket that appears later is connected to', async t => {
  const path = join(dir, 'later.sock')
  const server = createServer(s => s.end('hello'))
  t.teardown(() => void server.close())
  setTimeout(() => server.listen(path), 150)
  const s = await connectWhenListening(path, { deadline: Date.now() + 5000 })
  t.equal(await new Promise<string>(resolve => s.once('data', d => resolve(d.toString()))), 'hello')
  s.destroy()
})

t.test('no socket by the deadline: timeout, with the last error', async t => {
  const started = Date.now()
  const e = await connectWhenListening(join(dir, 'never.sock'), { deadline: Date.now() + 300 }).catch((x: unknown) => x)
  t.type(e, UnixConnectError)
  t.match(e, { reason: 'timeout', lastError: { code: 'ENOENT' } })
  t.ok(Date.now() - started >= 300, 'it tried until the deadline')
})

t.test('no longer wanted: stops after the try that failed, without waiting', async t => {
  const started = Date.now()
  const e = await connectWhenListening(join(dir, 'never.sock'), { deadline: Date.now() + 10_000, wanted: () => false }).catch((x: unknown) => x)
  t.match(e, { reason: 'unwanted', lastError: { code: 'ENOENT' } })
  t.ok(Date.now() - started < 1000)
})

t.test('another error (a file where a folder should be) is not tried again', async t => {
  writeFileSync(join(dir, 'file'), '')
  const started = Date.now()
  const e = await connectWhenListening(join(dir, 'file', 'x.sock'), { deadline: Date.now() + 10_000 }).catch((x: unknown) => x)
  t.match(e, { reason: 'failed', lastError: { code: 'ENOTDIR' } })
  t.ok(Date.now() - started < 1000, 'at once')
})

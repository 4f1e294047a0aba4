// The live view's screen connection waits for QEMU's VNC socket: the page may ask for a
// machine's screen a moment before its QEMU listens (the live-references flake of
// 2026-12-06: a card whose first try failed stayed without a screen).
import t, { type Test } from 'tap'
import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectVnc } from '../../../src/runner/live/bridges.js'

/** A folder for a socket: under the temporary folder, since a Unix socket's path has at most 107 bytes (tap's fixture folders are longer). */
function socketDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bc-vnc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('a socket that appears later is connected to', async t => {
  const path = join(socketDir(t), 'vnc.sock')
  const server = createServer(s => s.end('RFB 003.008\n'))
  t.teardown(() => void server.close())
  const t0 = Date.now()
  const pending = connectVnc(path, () => false, 5000)
  setTimeout(() => server.listen(path), 300)
  const s = await pending
  const first = await new Promise<string>(resolve => s.once('data', d => resolve(d.toString())))
  t.equal(first, 'RFB 003.008\n', "the server's greeting arrives")
  t.ok(Date.now() - t0 >= 300, 'it waited for the socket')
  s.destroy()
})

t.test('no socket within the wait, or the page gone: the last error, at once when gone', async t => {
  const path = join(socketDir(t), 'never.sock')
  const t0 = Date.now()
  await t.rejects(connectVnc(path, () => false, 400), { code: 'ENOENT' })
  const took = Date.now() - t0
  t.ok(took >= 400 && took < 2000, `gave up after its wait (${took} ms)`)
  const t1 = Date.now()
  await t.rejects(connectVnc(path, () => true, 10_000), { code: 'ENOENT' })
  t.ok(Date.now() - t1 < 1000, 'a page that went is not waited for')
})

// #26 Low: the runner's socket accepts lines from any process of the user; malformed ones
// (not JSON objects, wrong types, a lease asked for twice, an endless line) must be dropped,
// not crash `bootcheck run`, and a well-formed lease afterwards is still granted.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunnerServer } from '../../src/runner/server.js'

t.test('malformed lines are dropped; the runner keeps granting', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'bootcheck-runner-sock-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await RunnerServer.listen(join(dir, 'runner.sock'), { memoryMiB: 4096, cpus: 4 })
  t.teardown(() => server.close())
  const crashes: unknown[] = []
  const onCrash = (e: unknown): void => void crashes.push(e)
  process.on('uncaughtException', onCrash)
  t.teardown(() => void process.off('uncaughtException', onCrash))
  const sock = connect(join(dir, 'runner.sock'))
  await new Promise(r => sock.once('connect', r))
  const got: string[] = []
  sock.on('data', d => got.push(d.toString()))
  for (const line of ['null', '5', '"x"', '[]', '{"t":"lease"}', '{"t":"lease","id":{},"machine":1,"test":2,"memoryMiB":"a","cpus":null}', '{"t":"status","id":"nope","line":{"a":1}}', '{"t":"constructor"}', '{"t":"__proto__"}'])
    sock.write(line + '\n')
  sock.write('{"t":"lease","id":"dup","machine":"m","test":"x","memoryMiB":100,"cpus":1}\n')
  sock.write('{"t":"lease","id":"dup","machine":"m","test":"x","memoryMiB":100,"cpus":1}\n')
  sock.write('x'.repeat(2 * 1024 * 1024))
  sock.write('\n{"t":"lease","id":"good","machine":"m","test":"x","memoryMiB":100,"cpus":1}\n')
  const deadline = Date.now() + 10_000
  while (!got.join('').includes('"good"') && Date.now() < deadline && crashes.length === 0) await new Promise(r => setTimeout(r, 50))
  sock.destroy()
  t.same(crashes.map(e => String(e)), [], 'nothing thrown out of the server')
  t.match(got.join(''), /"granted","id":"good"/, 'a well-formed lease is still granted')
})

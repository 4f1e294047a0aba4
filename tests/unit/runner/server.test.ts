// A run inside another run's test takes its machines' leases from the enclosing run too
// (RunnerServer's upstream): two real servers on Unix sockets, clients speaking the lease
// protocol as test processes do. The enclosing run's budget holds one vCPU: a machine of
// the nested run waits while a machine of the enclosing run holds it, and starts when it
// is released; a nested machine's release, and its test process's end, give the
// enclosing lease back.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { frame, lineReader, type ServerMessage } from '../../../src/lease/protocol.js'
import { RunnerServer, type Upstream } from '../../../src/runner/server.js'

const dir = t.testdir({})

/** A test process's end of the channel: says hello, asks for leases, records grants. */
async function client(path: string, name: string): Promise<{ socket: Socket; granted: Set<string>; lease: (id: string) => void; release: (id: string) => void }> {
  const socket = connect(path)
  socket.on('error', () => {}) // the servers close at the end of each test
  await new Promise<void>(ok => socket.once('connect', () => ok()))
  const granted = new Set<string>()
  socket.on('data', lineReader<ServerMessage>(m => granted.add(m.id)))
  socket.write(frame({ t: 'hello', client: name, file: `${name}.test.ts` }))
  return {
    socket,
    granted,
    lease: id => socket.write(frame({ t: 'lease', id, machine: `vm-${id}`, test: 'a test', memoryMiB: 256, cpus: 1 })),
    release: id => socket.write(frame({ t: 'release', id })),
  }
}

/** An {@link Upstream} that asks the enclosing server over the same protocol, as the lease client does. */
function upstreamTo(path: string): Upstream & { asked: string[] } {
  let n = 0
  const asked: string[] = []
  const up = async (need: { machine: string; test: string }) => {
    asked.push(`${need.machine} ${need.test}`)
    const c = await client(path, `nested-run-${++n}`)
    c.lease('m1')
    await until(() => c.granted.has('m1'))
    return { release: () => c.release('m1') }
  }
  return Object.assign(up, { asked })
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(r => setTimeout(r, 10))
  }
}

const settle = () => new Promise(r => setTimeout(r, 150))

t.test('a nested run waits for the enclosing run\'s budget, and gives its leases back', async t => {
  const outer = await RunnerServer.listen(join(dir, 'outer.sock'), { memoryMiB: 4096, cpus: 1 })
  const up = upstreamTo(outer.socketPath)
  const inner = await RunnerServer.listen(join(dir, 'inner.sock'), { memoryMiB: 4096, cpus: 2 }, () => {}, up)
  t.teardown(async () => {
    await inner.close()
    await outer.close()
  })

  const outerTest = await client(outer.socketPath, 'outer-file')
  outerTest.lease('a')
  await until(() => outerTest.granted.has('a'))

  const nestedTest = await client(inner.socketPath, 'nested-file')
  nestedTest.lease('b')
  await settle()
  t.notOk(nestedTest.granted.has('b'), 'the nested machine waits: the enclosing budget (1 vCPU) is held')
  t.same(up.asked, ['vm-b nested-file.test.ts › a test'], 'the enclosing run was asked, naming the nested machine and test')
  t.equal(inner.machines.get([...inner.machines.keys()][0]!)?.state, 'queued')

  outerTest.release('a')
  await until(() => nestedTest.granted.has('b'))
  t.pass('granted once the enclosing lease was released')
  t.equal(outer.used.cpus, 1, 'the enclosing run counts the nested machine')

  nestedTest.release('b')
  await until(() => outer.used.cpus === 0)
  t.pass('its release gives the enclosing lease back')

  nestedTest.lease('c')
  await until(() => nestedTest.granted.has('c'))
  t.equal(outer.used.cpus, 1)
  nestedTest.socket.destroy()
  await until(() => outer.used.cpus === 0)
  t.pass('a nested test process that ends gives the enclosing lease back')
})

t.test('without an enclosing run, the budget alone decides', async t => {
  const solo = await RunnerServer.listen(join(dir, 'solo.sock'), { memoryMiB: 4096, cpus: 1 })
  t.teardown(() => solo.close())
  const c = await client(solo.socketPath, 'file')
  const d = await client(solo.socketPath, 'other-file')
  c.lease('a')
  await until(() => c.granted.has('a'))
  d.lease('b')
  await settle()
  t.notOk(d.granted.has('b'), 'over the budget: waits')
  c.release('a')
  await until(() => d.granted.has('b'))
})

t.test('an enclosing run that cannot be reached (a stale BOOTCHECK_RUNNER) does not stop the nested run', async t => {
  const inner = await RunnerServer.listen(join(dir, 'stale.sock'), { memoryMiB: 4096, cpus: 2 }, () => {}, async () => {
    throw new Error('cannot reach the runner')
  })
  t.teardown(() => inner.close())
  const c = await client(inner.socketPath, 'file')
  c.lease('a')
  await until(() => c.granted.has('a'))
  t.pass('granted by its own budget')
})

import t, { type Test } from 'tap'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {
  JsonLineDecoder,
  QmpClient,
  QmpClosedError,
  QmpConnectError,
  QmpError,
  QmpProtocolError,
  QmpTimeoutError,
} from '../../../src/qmp/index.js'

const GREETING = {
  QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'fake' }, capabilities: ['oob'] },
}

interface Cmd {
  execute: string
  arguments?: Record<string, unknown>
  id?: string
}

/** One accepted connection on the fake server. */
interface FakeConn {
  socket: net.Socket
  received: Cmd[]
  send(msg: object): void
  reply(cmd: Cmd, ret?: unknown): void
  event(name: string, data?: object): void
}

type Handler = (cmd: Cmd, conn: FakeConn) => void

/** Answers qmp_capabilities, then passes commands to `handler` (default: reply {}). */
async function fakeQmp(t: Test, handler: Handler = (c, conn) => conn.reply(c), listen = true) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-unit-'))
  await fs.chmod(dir, 0o700)
  const sock = path.join(dir, 'qmp.sock')
  const conns: FakeConn[] = []
  const server = net.createServer(socket => {
    const decoder = new JsonLineDecoder()
    const conn: FakeConn = {
      socket,
      received: [],
      send: msg => socket.write(`${JSON.stringify(msg)}\n`),
      reply: (cmd, ret = {}) => conn.send({ return: ret, id: cmd.id }),
      event: (name, data) =>
        conn.send({ event: name, ...(data ? { data } : {}), timestamp: { seconds: 1, microseconds: conn.received.length } }),
    }
    conns.push(conn)
    socket.on('error', () => {})
    socket.on('data', chunk => {
      for (const msg of decoder.push(chunk) as Cmd[]) {
        conn.received.push(msg)
        if (msg.execute === 'qmp_capabilities') conn.reply(msg)
        else handler(msg, conn)
      }
    })
    conn.send(GREETING)
  })
  const start = () => new Promise<void>(resolve => server.listen(sock, resolve))
  if (listen) await start()
  t.teardown(async () => {
    for (const c of conns) c.socket.destroy()
    await new Promise(resolve => server.close(resolve))
    await fs.rm(dir, { recursive: true, force: true })
  })
  return { sock, dir, conns, start }
}

async function connected(t: Test, handler?: Handler) {
  const srv = await fakeQmp(t, handler)
  const client = await QmpClient.connect(srv.sock, { timeoutMs: 2000 })
  t.teardown(() => client.close())
  const conn = srv.conns[0]
  if (!conn) throw new Error('no connection')
  return { client, conn, srv }
}

t.test('greeting and capabilities negotiation', async t => {
  const srv = await fakeQmp(t)
  const traffic: string[] = []
  const client = await QmpClient.connect(srv.sock, { onTraffic: (dir, line) => traffic.push(`${dir} ${line}`) })
  t.teardown(() => client.close())
  t.same(client.greeting, GREETING)
  t.equal(client.greeting.QMP.version.qemu.major, 7)
  const conn = srv.conns[0]!
  t.equal(conn.received.length, 1)
  t.equal(conn.received[0]?.execute, 'qmp_capabilities', 'first command is qmp_capabilities')
  t.match(traffic, [/^recv \{"QMP"/, /^send \{"execute":"qmp_capabilities"/, /^recv \{"return":\{\}/])
  t.same(await client.execute('query-status'), {})
  t.equal(conn.received[1]?.execute, 'query-status')
  t.equal(conn.received[1]?.arguments, undefined, 'no "arguments" key when none given')
})

t.test('connect retries until the socket appears', async t => {
  const srv = await fakeQmp(t, undefined, false)
  setTimeout(() => void srv.start(), 300)
  const started = Date.now()
  const client = await QmpClient.connect(srv.sock, { timeoutMs: 5000 })
  t.teardown(() => client.close())
  t.ok(Date.now() - started >= 250)
  t.equal(client.greeting.QMP.version.package, 'fake')
})

t.test('connect gives up on timeout', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-unit-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  await t.rejects(QmpClient.connect(path.join(dir, 'never.sock'), { timeoutMs: 200 }), {
    name: 'QmpTimeoutError',
    message: /timed out after 200 ms.*never\.sock.*ENOENT/,
  })
})

t.test('connect fails at once when isAlive() says QEMU died', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-unit-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  let alive = true
  setTimeout(() => (alive = false), 100)
  const started = Date.now()
  const err = await QmpClient.connect(path.join(dir, 'q.sock'), { timeoutMs: 10_000, isAlive: () => alive }).catch(
    (e: unknown) => e,
  )
  t.type(err, QmpConnectError)
  t.match((err as Error).message, /QEMU exited/)
  t.ok(Date.now() - started < 2000, 'did not wait for the timeout')
})

t.test('connect rejects a peer that does not greet with QMP', async t => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-unit-'))
  const sock = path.join(dir, 'q.sock')
  const server = net.createServer(s => s.end('{"hello": 1}\n'))
  await new Promise<void>(r => server.listen(sock, r))
  t.teardown(async () => {
    await new Promise(r => server.close(r))
    await fs.rm(dir, { recursive: true, force: true })
  })
  await t.rejects(QmpClient.connect(sock, { timeoutMs: 1000 }), QmpProtocolError)
})

t.test('concurrent commands replied out of order', async t => {
  const held: Array<[Cmd, FakeConn]> = []
  const { client } = await connected(t, (cmd, conn) => {
    held.push([cmd, conn])
    if (held.length === 3) {
      for (const [c, k] of held.reverse()) k.reply(c, c.execute === 'query-version' ? GREETING.QMP.version : { n: c.arguments?.n })
    }
  })
  const [v, a, b] = await Promise.all([
    client.execute('query-version'),
    client.execute('x-custom', { n: 1 }),
    client.execute('x-custom', { n: 2 }),
  ])
  t.same(v, GREETING.QMP.version)
  t.same(a, { n: 1 })
  t.same(b, { n: 2 })
  const ids = held.map(([c]) => c.id)
  t.equal(new Set(ids).size, 3, 'ids are unique')
})

t.test('an error reply rejects with QmpError naming the command', async t => {
  const { client } = await connected(t, (cmd, conn) => {
    if (cmd.execute === 'eject') conn.send({ id: cmd.id, error: { class: 'GenericError', desc: "Device 'cdrom' is locked" } })
    else conn.reply(cmd)
  })
  const err = await client.execute('eject', { id: 'cdrom' }).catch((e: unknown) => e)
  t.type(err, QmpError)
  const qe = err as QmpError
  t.equal(qe.message, `QMP eject {"id":"cdrom"} failed: GenericError: Device 'cdrom' is locked`)
  t.equal(qe.command, 'eject')
  t.same(qe.args, { id: 'cdrom' })
  t.equal(qe.errorClass, 'GenericError')
  t.equal(qe.desc, "Device 'cdrom' is locked")
  t.same(await client.execute('stop'), {}, 'connection still usable')
})

t.test('an event that arrives before waitForEvent is found via mark()', async t => {
  const { client, conn } = await connected(t, (cmd, conn) => {
    if (cmd.execute === 'eject') conn.event('DEVICE_TRAY_MOVED', { device: 'cd0', id: 'cdrom', 'tray-open': true })
    conn.reply(cmd)
  })
  const seen: string[] = []
  const all = (e: { event: string }) => seen.push(e.event)
  client.on('*', all)
  const m = client.mark()
  t.equal(m, 0)
  await client.execute('eject', { id: 'cdrom', force: true })
  t.equal(client.events.length, 1, 'event already recorded when the reply came')
  const ev = await client.waitForEvent('DEVICE_TRAY_MOVED', { after: m, timeoutMs: 500 })
  t.equal(ev.seq, 1)
  t.equal(ev.data.id, 'cdrom')
  t.equal(ev.data['tray-open'], true)
  // without `after`, only later events count
  await t.rejects(client.waitForEvent('DEVICE_TRAY_MOVED', { timeoutMs: 100 }), QmpTimeoutError)
  // a match filter skips events that do not fit
  const closing = client.waitForEvent('DEVICE_TRAY_MOVED', { after: m, match: e => !e.data['tray-open'], timeoutMs: 1000 })
  conn.event('DEVICE_TRAY_MOVED', { device: 'cd0', id: 'cdrom', 'tray-open': false })
  t.equal((await closing).seq, 2)
  client.off('*', all)
  conn.event('RESET', { guest: false, reason: 'host-qmp-system-reset' })
  const reset = await client.waitForEvent('RESET', { after: 2 })
  t.equal(reset.data.reason, 'host-qmp-system-reset')
  t.same(seen, ['DEVICE_TRAY_MOVED', 'DEVICE_TRAY_MOVED'], 'on/off')
  t.same(
    client.events.map(e => [e.seq, e.event]),
    [
      [1, 'DEVICE_TRAY_MOVED'],
      [2, 'DEVICE_TRAY_MOVED'],
      [3, 'RESET'],
    ],
  )
})

t.test('timeouts name what was waited for', async t => {
  const { client, conn } = await connected(t, (cmd, conn) => {
    if (cmd.execute !== 'stop') conn.reply(cmd)
  })
  conn.event('RESUME')
  await client.execute('cont')
  await t.rejects(client.waitForEvent('SHUTDOWN', { timeoutMs: 150 }), {
    name: 'QmpTimeoutError',
    message: /timed out after 150 ms waiting for event SHUTDOWN/,
    waitingFor: 'event SHUTDOWN',
    timeoutMs: 150,
  })
  await t.rejects(client.waitForEvent('SHUTDOWN', { after: 0, timeoutMs: 50 }), { message: /events seen meanwhile: RESUME/ })
  await t.rejects(client.execute('stop', {}, { timeoutMs: 100 }), {
    name: 'QmpTimeoutError',
    message: /100 ms waiting for reply to stop/,
  })
})

t.test('connection closed rejects pending commands and waits', async t => {
  const { client, conn } = await connected(t, (cmd, conn) => {
    if (cmd.execute === 'query-block') conn.socket.destroy()
  })
  const wait = client.waitForEvent('SHUTDOWN', { timeoutMs: 5000 })
  const err = await client.execute('query-block').catch((e: unknown) => e)
  t.type(err, QmpClosedError)
  t.match((err as Error).message, /closed while waiting for reply to query-block/)
  await t.rejects(wait, { name: 'QmpClosedError', message: /event SHUTDOWN/ })
  await client.closed
  t.equal(client.isClosed, true)
  await t.rejects(client.execute('query-status'), { name: 'QmpClosedError', message: /query-status/ })
  await t.rejects(client.waitForEvent('STOP'), QmpClosedError)
  t.ok(conn.received.length >= 2)
})

t.test('quit resolves when QEMU closes the connection without replying', async t => {
  const { client } = await connected(t, (cmd, conn) => {
    if (cmd.execute === 'quit') {
      conn.event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' })
      conn.socket.end()
    } else if (cmd.execute !== 'x-slow') conn.reply(cmd)
  })
  const pendingOther = client.execute('x-slow')
  t.same(await client.execute('quit'), {})
  await client.closed
  t.equal(client.events.at(-1)?.event, 'SHUTDOWN')
  await t.rejects(pendingOther, QmpClosedError, 'other pending commands still reject')
})

t.test('garbage from the server closes the connection with a protocol error cause', async t => {
  const { client } = await connected(t, (cmd, conn) => {
    conn.socket.write('this is not json\n')
  })
  const err = await client.execute('query-status').catch((e: unknown) => e)
  t.type(err, QmpClosedError)
  t.type((err as Error).cause, QmpProtocolError)
  t.equal(((err as Error).cause as QmpProtocolError).line, 'this is not json')
})

t.test('close() rejects waits and resolves closed', async t => {
  const { client } = await connected(t)
  const wait = client.waitForEvent('STOP')
  await client.close()
  await t.rejects(wait, QmpClosedError)
  await client.closed
})

/** Compile-time checks of the typed command map (never executed). */
export async function typeChecks(c: QmpClient): Promise<unknown[]> {
  const v = await c.execute('query-version')
  const s: string = await c.execute('human-monitor-command', { 'command-line': 'info status' })
  const u: unknown = await c.execute('query-cpus-fast')
  // @ts-expect-error unknown argument name for a typed command
  await c.execute('eject', { idd: 'x' })
  // @ts-expect-error missing required arguments
  await c.execute('device_del')
  // @ts-expect-error arguments for a command that takes none
  await c.execute('quit', { x: 1 })
  await c.execute('device_add', { driver: 'usb-tablet', id: 't', bus: 'usb.0', port: '1' })
  const tray = await c.waitForEvent('DEVICE_TRAY_MOVED', { match: e => e.data['tray-open'] })
  const open: boolean = tray.data['tray-open']
  const stop = await c.waitForEvent('STOP')
  const none: undefined = stop.data
  const other = await c.waitForEvent('RTC_CHANGE')
  const offset: unknown = other.data?.offset
  return [v.qemu.major, s, u, open, none, offset]
}

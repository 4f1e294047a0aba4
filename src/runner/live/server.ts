/**
 * The live view's server (`bootcheck run --ui`, `bootcheck shell --ui`): on 127.0.0.1 at a
 * random port, with a random token. The page, the machines' state, each machine's screen
 * (a WebSocket bridged to QEMU's VNC socket, shown by noVNC) and serial console (the
 * console log followed, shown by xterm.js). Every request needs the token (in the URL, or
 * the cookie the page got with it) and the server's own Host; input reaches a guest only
 * after the page unlocked it, enforced here by {@link RfbClientFilter}.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { relative } from 'node:path'
import { WebSocketServer } from 'ws'
import { findLiveMachines, liveSteps, runningSteps, type LiveMachine } from './machines.js'
import { liveAssetRoots, LIVE_PAGE, LIVE_SCRIPT } from './page.js'
import { bridgeConsole, bridgeVnc } from './bridges.js'
import { DRAG_SCRIPT } from './drag-script.js'
import { LiveReferences, type LiveReferenceOwners } from './references.js'
import { REFERENCES_SCRIPT } from './references-page.js'
import { send, sendFile } from '../static-server.js'

/** What the runner knows of a machine's progress (see `MachineState`). */
export interface LiveStage {
  machine: string
  test: string
  state: string
  stage?: string
  line?: string
}

/** Options of {@link startLiveView}. */
export interface LiveViewOptions {
  /** The run's artifacts folder, searched for machines. */
  root: string
  /** The runner's progress of each machine, when there is a runner. */
  stages?: () => Iterable<LiveStage>
  /** `bootcheck record`: the recorder that hears the input and answers the page's marks. */
  recorder?: LiveRecorder
  /**
   * Whose machines get references made on their screen (the run's test files), or why none
   * do (`bootcheck shell`: no test file). Default: none.
   */
  references?: LiveReferenceOwners
}

/** What the live view asks of a recorder (`bootcheck record`). */
export interface LiveRecorder {
  /** An input message the page sent to machine `id`, passed on to QEMU. */
  input(id: string, message: Buffer): void
  /** `POST /api/record/<action>/<id>` with the page's JSON body; answered as JSON with `status`. */
  request(action: string, id: string, body: unknown): Promise<{ status: number; body: unknown }>
  /** What the page shows of the recording (`recording` in `/api/state`). */
  state(): unknown
  /** The page's script for recording, served as `/assets/record.js`. */
  script: string
  /** A promise the input just heard must wait for before it reaches QEMU (the guest resuming), or undefined. */
  ready?(id: string): Promise<void> | undefined
}

/** The largest request body the live view reads (a mark). */
const MAX_BODY = 64 * 1024

/** A running live view. */
export interface LiveView {
  /** `http://127.0.0.1:PORT/?token=…` */
  url: string
  port: number
  server: Server
  /** Machine ids whose input is unlocked. */
  unlocked: Set<string>
  close(): Promise<void>
}

const COOKIE = 'bootcheck_live'

/** Starts the live view of the machines under `o.root`. */
export async function startLiveView(o: LiveViewOptions): Promise<LiveView> {
  const token = randomBytes(24).toString('base64url')
  const unlocked = new Set<string>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 })
  const sockets = new Set<Socket>()
  let port = 0
  const ok = (req: IncomingMessage): boolean => authorized(req, token, port)
  const refs = new LiveReferences(o.references)
  const server = createServer((req, res) => {
    if (!ok(req)) return send(res, 403, 'bootcheck live view: the token is missing or wrong, or the Host is not 127.0.0.1\n')
    handle(req, res, { ...o, refs, token }, unlocked).catch(() => send(res, 500, 'error'))
  })
  server.on('connection', s => (sockets.add(s), s.once('close', () => sockets.delete(s))))
  server.on('upgrade', (req, socket, head) => {
    if (!ok(req)) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    const m = /^\/ws\/(vnc|console)\/([0-9a-f]{12})$/.exec(new URL(req.url ?? '/', 'http://x').pathname)
    if (!m) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
    void machineById(o.root, m[2]!).then(machine => {
      if (!machine) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      const r = o.recorder
      const onInput = r ? (message: Buffer): void => r.input(machine.id, message) : undefined
      const ready = r?.ready ? (): Promise<void> | undefined => r.ready!(machine.id) : undefined
      wss.handleUpgrade(req, socket, head, ws => (m[1] === 'vnc' ? bridgeVnc(ws, machine, () => !unlocked.has(machine.id), onInput, ready) : bridgeConsole(ws, machine)))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  port = (server.address() as AddressInfo).port
  const close = async (): Promise<void> => {
    for (const c of wss.clients) c.terminate()
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  return { url: `http://127.0.0.1:${port}/?token=${token}`, port, server, unlocked, close }
}

type Served = LiveViewOptions & { refs: LiveReferences; token: string }

async function handle(req: IncomingMessage, res: ServerResponse, o: Served, unlocked: Set<string>): Promise<void> {
  const { token } = o
  const url = new URL(req.url ?? '/', 'http://x')
  const path = url.pathname
  if (path === '/' && req.method === 'GET') {
    res.setHeader('set-cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`)
    res.setHeader('content-security-policy', "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'none'; form-action 'none'")
    const page = o.recorder ? LIVE_PAGE.replace('</body>', '<script type="module" src="/assets/record.js"></script>\n</body>') : LIVE_PAGE
    return send(res, 200, page, 'text/html; charset=utf-8')
  }
  if (path === '/assets/live.js') return send(res, 200, LIVE_SCRIPT, 'text/javascript; charset=utf-8')
  if (path === '/assets/drag.js') return send(res, 200, DRAG_SCRIPT, 'text/javascript; charset=utf-8')
  if (path === '/assets/references.js') return send(res, 200, REFERENCES_SCRIPT, 'text/javascript; charset=utf-8')
  const ref = /^\/api\/(screen|reference)\/([0-9a-f]{12})$/.exec(path)
  if (ref && req.method === 'POST') {
    // Writes need the token in a header: no form and no page of another origin can send one.
    if (!same(String(req.headers['x-bootcheck-token'] ?? ''), token)) return send(res, 403, 'bootcheck live view: a write needs the token in the x-bootcheck-token header\n')
    const machine = await machineById(o.root, ref[2]!)
    if (!machine) return send(res, 404, JSON.stringify({ error: { code: 'BOOTCHECK_USAGE', message: 'no such machine' } }), 'application/json')
    const body = ref[1] === 'reference' ? await readJson(req) : undefined
    const answer = ref[1] === 'screen' ? await o.refs.take(machine) : await o.refs.request(machine, body)
    return send(res, answer.status, JSON.stringify(answer.body), 'application/json')
  }
  const shot = /^\/api\/screen\/([0-9a-f]{12})\/(\d+)\.png$/.exec(path)
  const png = shot && req.method === 'GET' ? o.refs.png(shot[1]!, Number(shot[2])) : undefined
  if (png) return void res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(png)
  if (path === '/assets/record.js' && o.recorder) return send(res, 200, o.recorder.script, 'text/javascript; charset=utf-8')
  const record = /^\/api\/record\/([a-z]+)\/([0-9a-f]{12})$/.exec(path)
  if (record && o.recorder && req.method === 'POST') {
    const answer = await o.recorder.request(record[1]!, record[2]!, await readJson(req))
    return send(res, answer.status, JSON.stringify(answer.body), 'application/json')
  }
  const asset = /^\/assets\/(novnc|xterm)(\/.*)$/.exec(path)
  if (asset && req.method === 'GET') return sendFile(liveAssetRoots()[asset[1] as 'novnc' | 'xterm'], asset[2]!, req, res)
  if (path === '/api/state' && req.method === 'GET') return send(res, 200, JSON.stringify(await state(o, unlocked)), 'application/json')
  const input = /^\/api\/input\/([0-9a-f]{12})$/.exec(path)
  if (input && req.method === 'POST') {
    const want = url.searchParams.get('unlock') === '1'
    if (want) unlocked.add(input[1]!)
    else unlocked.delete(input[1]!)
    return send(res, 200, JSON.stringify({ id: input[1], unlocked: want }), 'application/json')
  }
  send(res, 404, 'not found')
}

async function state(o: Served, unlocked: Set<string>): Promise<unknown> {
  const stages = [...(o.stages?.() ?? [])]
  const machines = await findLiveMachines(o.root)
  return {
    ...(o.recorder ? { recording: o.recorder.state() } : {}),
    machines: await Promise.all(
      machines.map(async m => {
        const s = stages.find(x => x.machine === m.machine && x.test === m.test)
        const steps = await liveSteps(m)
        const running = m.endedAt ? [] : await runningSteps(m)
        // A failed step, or the test found failing at its end (an assertion on a result; `--debug` keeps the machine).
        const failed = m.testFailed === true || steps.some(a => a.outcome === 'error' && a.parent === undefined)
        return {
          id: m.id,
          machine: m.machine,
          test: m.test,
          file: relative(process.cwd(), m.file) || m.file,
          running: !m.endedAt,
          status: failed ? 'failing' : m.endedAt ? 'ended' : 'running',
          ...(s?.stage ? { stage: s.stage } : {}),
          unlocked: unlocked.has(m.id),
          references: o.refs.state(m),
          steps: steps.map(a => ({ id: a.id, parent: a.parent, action: a.action, args: a.args, outcome: a.outcome, durationMs: a.durationMs, error: a.error })),
          underway: running.map(a => ({ id: a.id, parent: a.parent, action: a.action, args: a.args, sinceMs: Date.now() - Date.parse(a.start) })),
        }
      }),
    ),
  }
}

/** The request's body as JSON (undefined when empty or not JSON), read up to {@link MAX_BODY} bytes. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

async function machineById(root: string, id: string): Promise<LiveMachine | undefined> {
  return (await findLiveMachines(root)).find(m => m.id === id)
}

/** Whether `req` carries the token (query or cookie) and names this server as its Host. */
export function authorized(req: IncomingMessage, token: string, port: number): boolean {
  const host = req.headers.host
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false
  const query = new URL(req.url ?? '/', 'http://x').searchParams.get('token')
  const cookie = /(?:^|;\s*)bootcheck_live=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1]
  return [query, cookie].some(given => given !== null && given !== undefined && same(given, token))
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

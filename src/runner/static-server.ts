/**
 * An HTTP server of one folder on 127.0.0.1 (a random port): what `bootcheck show-trace`
 * serves a run folder with. GET and HEAD of files; a path that leaves the folder (`..`, a
 * symbolic link pointing out) is refused. With a token, every request needs it (in the URL,
 * or the cookie the first answer set) and this server's own Host; POST goes to one handler,
 * with the token in a header and a JSON body of limited size.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
  '.jsonl': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.pcap': 'application/vnd.tcpdump.pcap',
}

/** A running server: its base URL and how to stop it. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  url: string
  /** The token every request needs (see {@link ServeOptions.token}), when there is one. */
  token?: string
  server: Server
  close(): Promise<void>
}

/** What a POST handler answers: a status and a JSON body. */
export interface PostAnswer {
  status: number
  body: unknown
}

/** How {@link serveFolder} serves. */
export interface ServeOptions {
  /** The page at `/`. */
  index?: () => string
  /**
   * Require a random token on every request (`?token=` in the URL, then a cookie), and
   * this server's Host (no DNS rebinding). POST needs it in the `x-bootcheck-token` header,
   * which a page of another origin cannot send without a preflight this server refuses.
   */
  token?: boolean
  /** Handles `POST <path>` with the parsed JSON body (at most {@link MAX_POST_BYTES}). */
  post?: (path: string, body: unknown) => Promise<PostAnswer>
}

/** The largest POST body accepted, in bytes. */
export const MAX_POST_BYTES = 64 * 1024

/** Serves `root` (and `index`, when given, at `/`) on 127.0.0.1. */
export async function serveFolder(root: string, options: ServeOptions | (() => string) = {}): Promise<StaticServer> {
  const o = typeof options === 'function' ? { index: options } : options
  const base = await realpath(root)
  const token = o.token ? randomBytes(24).toString('base64url') : undefined
  let port = 0
  const server = createServer((req, res) => {
    if (token && !authorized(req, token, port)) return send(res, 403, 'bootcheck show-trace: the token is missing or wrong, or the Host is not 127.0.0.1\n')
    handle(base, req, res, o, token, port).catch(() => send(res, 500, 'error'))
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', ok)
  })
  port = (server.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}/`, ...(token ? { token } : {}), server, close: () => new Promise<void>(ok => server.close(() => ok())) }
}

async function handle(base: string, req: IncomingMessage, res: ServerResponse, o: ServeOptions, token: string | undefined, port: number): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  if (req.method === 'POST' && o.post) {
    if (token && !same(String(req.headers['x-bootcheck-token'] ?? ''), token)) return send(res, 403, 'POST needs the token in the x-bootcheck-token header\n')
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, 'a JSON body (content-type: application/json)\n')
    const raw = await readBody(req, MAX_POST_BYTES)
    if (raw === undefined) {
      res.setHeader('connection', 'close')
      return send(res, 413, `the body is larger than ${MAX_POST_BYTES} bytes\n`)
    }
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      return send(res, 400, 'the body is not JSON\n')
    }
    const answer = await o.post(path, body)
    return send(res, answer.status, JSON.stringify(answer.body), 'application/json')
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, o.post ? 'GET, HEAD or POST' : 'GET only')
  if (token) res.setHeader('set-cookie', `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`)
  if (path === '/' && o.index) return send(res, 200, o.index(), 'text/html; charset=utf-8')
  return sendFile(base, path, req, res)
}

/** Cookies are shared by every port of a host: the name carries the port. */
function cookieName(port: number): string {
  return `bootcheck_trace_${port}`
}

function authorized(req: IncomingMessage, token: string, port: number): boolean {
  const host = req.headers.host
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false
  const query = new URL(req.url ?? '/', 'http://x').searchParams.get('token')
  const cookie = new RegExp(`(?:^|;\\s*)${cookieName(port)}=([A-Za-z0-9_-]+)`).exec(req.headers.cookie ?? '')?.[1]
  const header = req.headers['x-bootcheck-token']
  return [query, cookie, typeof header === 'string' ? header : undefined].some(given => given !== null && given !== undefined && same(given, token))
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The body as text, or undefined once it passes `max` bytes (the rest is read and dropped). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > max) {
    req.resume()
    return Promise.resolve(undefined)
  }
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer): void => {
      size += c.length
      if (size <= max) return void chunks.push(c)
      req.off('data', onData)
      req.resume()
      ok(undefined)
    }
    req.on('data', onData)
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')))
    req.on('error', fail)
  })
}

/**
 * Answers with the file at `path` under folder `base` (a real path), or 404/403: a path
 * that leaves the folder, through `..` or a symbolic link, is refused.
 */
export async function sendFile(base: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const file = resolve(join(base, path))
  let real: string
  try {
    real = await realpath(file)
  } catch {
    return send(res, 404, 'not found')
  }
  if (real !== base && !real.startsWith(base + sep)) return send(res, 403, 'outside the served folder')
  const st = await stat(real)
  if (!st.isFile()) return send(res, 404, 'not a file')
  res.writeHead(200, { 'content-type': TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream', 'content-length': st.size, 'cache-control': 'no-store' })
  if (req.method === 'HEAD') return void res.end()
  createReadStream(real).pipe(res)
}

/** Answers with `status` and a text `body`. */
export function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}

/**
 * A read-only HTTP server of one folder on 127.0.0.1 (a random port): what `bootcheck
 * show-trace` serves a run folder with. GET and HEAD only; a path that leaves the folder
 * (`..`, a symbolic link pointing out) is refused.
 * @module
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
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
  server: Server
  close(): Promise<void>
}

/** Serves `root` (and `index`, when given, at `/`) on 127.0.0.1. */
export async function serveFolder(root: string, index?: () => string): Promise<StaticServer> {
  const base = await realpath(root)
  const server = createServer((req, res) => {
    handle(base, req, res, index).catch(() => send(res, 500, 'error'))
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', ok)
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, server, close: () => new Promise<void>(ok => server.close(() => ok())) }
}

async function handle(base: string, req: IncomingMessage, res: ServerResponse, index?: () => string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only')
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  if (path === '/' && index) return send(res, 200, index(), 'text/html; charset=utf-8')
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

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}

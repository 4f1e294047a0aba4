/**
 * A small HTTP server for network-booting guests: serves one folder (GET and HEAD),
 * bound to 127.0.0.1 on a port the system picks. QEMU's user networking maps the guest's
 * gateway 10.0.2.2 to the host's loopback, so the guest reaches it as
 * `http://10.0.2.2:<port>/`. Every request is logged (time, method, path, status, bytes).
 */
import { createReadStream } from 'node:fs'
import { appendFile, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolveServedPath } from './tree.js'

/** The address of the host as QEMU user networking (slirp) shows it to the guest. */
export const SLIRP_HOST_ADDRESS = '10.0.2.2'

/** One request the server answered. */
export interface HttpRequestRecord {
  /** The HTTP method (`GET`, `HEAD`). */
  method: string
  /** The path asked for, as sent (URL-decoded). */
  path: string
  /** The status it was answered with (200, 404, …). */
  status: number
  /** Bytes of the body sent (the file's size for a complete GET). */
  bytes: number
  /** Milliseconds from the request to the end of the answer. */
  ms: number
}

export interface HttpServeOptions {
  /** The folder to serve (symbolic links are followed). */
  root: string
  /** A file each request is appended to, one line each. */
  logFile?: string
}

/**
 * A running server. {@link close} stops it and ends open connections; a machine closes
 * its server in `dispose()`.
 */
export class NetbootHttpServer {
  /** Requests answered so far, in order. */
  readonly requests: HttpRequestRecord[] = []
  private constructor(
    private readonly server: Server,
    /** The port on 127.0.0.1. */
    readonly port: number,
    /** The folder served. */
    readonly root: string,
  ) {}

  /** The base URL as the guest sees it: `http://10.0.2.2:<port>/`. */
  get guestUrl(): string {
    return `http://${SLIRP_HOST_ADDRESS}:${this.port}/`
  }

  /** The base URL on the host: `http://127.0.0.1:<port>/`. */
  get hostUrl(): string {
    return `http://127.0.0.1:${this.port}/`
  }

  /** Starts serving `root` on 127.0.0.1, on a free port. */
  static async start(opts: HttpServeOptions): Promise<NetbootHttpServer> {
    let self: NetbootHttpServer | undefined
    const server = createServer((req, res) => {
      const started = Date.now()
      const method = req.method ?? 'GET'
      let path = (req.url ?? '/').split('?')[0]!
      try {
        path = decodeURIComponent(path)
      } catch {
        // keep it as sent
      }
      // The record is listed when the answer starts and counts bytes as they are sent, so a
      // client that has the whole body always finds its request complete in `requests`.
      const rec: HttpRequestRecord = { method, path, status: 0, bytes: 0, ms: 0 }
      const begin = (status: number): void => {
        rec.status = status
        self?.requests.push(rec)
      }
      let logged = false
      const done = (status: number): void => {
        if (logged) return
        logged = true
        rec.status = status
        rec.ms = Date.now() - started
        if (opts.logFile) {
          const line = `${new Date().toISOString()} ${method} ${path} ${status} ${rec.bytes} ${rec.ms}ms\n`
          void appendFile(opts.logFile, line).catch(() => undefined)
        }
      }
      const fail = (status: number, text: string): void => {
        begin(status)
        res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) })
        res.end(method === 'HEAD' ? undefined : text)
        done(status)
      }
      if (method !== 'GET' && method !== 'HEAD') return fail(405, 'only GET and HEAD\n')
      const file = resolveServedPath(opts.root, path)
      if (!file) return fail(403, 'outside the served folder\n')
      void stat(file).then(
        st => {
          if (!st.isFile()) return fail(404, 'not found\n')
          begin(200)
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': st.size })
          if (method === 'HEAD') {
            res.end()
            return done(200)
          }
          const stream = createReadStream(file)
          stream.on('data', chunk => {
            rec.bytes += chunk.length
            // The whole file is handed over: done now, not only at the read stream's end,
            // which a busy host may report seconds later.
            if (rec.bytes >= st.size) done(200)
          })
          stream.on('error', () => {
            res.destroy()
            done(500)
          })
          stream.on('end', () => done(200))
          stream.pipe(res)
        },
        () => fail(404, 'not found\n'),
      )
    })
    server.keepAliveTimeout = 2000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    server.unref() // a machine's server never keeps the runner alive
    const port = (server.address() as AddressInfo).port
    self = new NetbootHttpServer(server, port, opts.root)
    return self
  }

  /** Requests for `path` (e.g. `'/initrd'`) that were answered with 200. */
  served(path: string): HttpRequestRecord[] {
    const p = path.startsWith('/') ? path : `/${path}`
    return this.requests.filter(r => r.path === p && r.status === 200)
  }

  /** Stops listening and ends open connections. Safe to call more than once. */
  async close(): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }
}

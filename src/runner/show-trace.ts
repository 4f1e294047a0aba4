/**
 * `bootcheck show-trace <run folder | test folder | trace.html>`: serves the traces on
 * 127.0.0.1 (a random port, a random token in the URL) and prints the URL; a folder with
 * several traces gets an index at `/`, failed tests first. The trace pages post the
 * references and masks dragged on their screens to {@link REFERENCE_ENDPOINT}. Runs until
 * interrupted.
 * @module
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { UsageError } from '../errors/errors.js'
import { TRACE_FILE } from '../report/trace/write.js'
import { escapeAttribute as attr, escapeMarkup as esc } from '../report/text.js'
import { serveFolder, type StaticServer } from './static-server.js'
import { handleReferenceRequest, REFERENCE_ENDPOINT } from './trace-refs.js'

/** What {@link startTraceServer} serves and where to open it. */
export interface TraceServer extends StaticServer {
  /** The page to open (with the token): the one trace, or the index of several. */
  open: string
  /** The trace files found. */
  traces: string[]
}

/** The folder to serve for `target` (a run folder's root when it lies in one) and its traces. */
export function traceTargets(target: string): { root: string; traces: string[] } {
  const path = resolve(target)
  if (!existsSync(path)) throw new UsageError(`${target} does not exist`)
  if (statSync(path).isFile()) {
    if (basename(path) !== TRACE_FILE && !path.endsWith('.html')) throw new UsageError(`${target} is not a trace (${TRACE_FILE})`)
    return { root: runFolderOf(dirname(path)) ?? dirname(path), traces: [path] }
  }
  const traces = findTraces(path, 6)
  if (!traces.length) throw new UsageError(`no ${TRACE_FILE} under ${target} (traces are written with the report of a run)`)
  return { root: runFolderOf(path) ?? path, traces }
}

/** Serves the traces of `target`; see {@link traceTargets}. */
export async function startTraceServer(target: string): Promise<TraceServer> {
  const { root, traces } = traceTargets(target)
  const href = (file: string): string => relative(root, file).split(sep).map(encodeURIComponent).join('/')
  let token = ''
  const server = await serveFolder(root, {
    token: true,
    index: () => indexPage(traces, f => `${href(f)}?token=${token}`),
    post: async (path, body) => (path === REFERENCE_ENDPOINT ? handleReferenceRequest(root, traces, body) : { status: 404, body: { error: { message: `no ${path}` } } }),
  })
  token = server.token!
  const open = `${traces.length === 1 ? server.url + href(traces[0]!) : server.url}?token=${token}`
  return { ...server, open, traces }
}

/** The command: prints `bootcheck: trace URL` and serves until SIGINT or SIGTERM. */
export async function showTraceCommand(argv: string[]): Promise<number> {
  const target = argv.find(a => !a.startsWith('-'))
  if (!target || argv.length !== 1) throw new UsageError('it takes one path: a run folder, a test\'s artifacts folder or a trace.html')
  const server = await startTraceServer(target)
  process.stdout.write(`bootcheck: trace ${server.open}\n(${server.traces.length} trace${server.traces.length === 1 ? '' : 's'}; only this computer can open it; Ctrl-C stops serving)\n`)
  await new Promise<void>(ok => {
    process.once('SIGINT', ok)
    process.once('SIGTERM', ok)
  })
  await server.close()
  return 0
}

function runFolderOf(dir: string): string | undefined {
  for (let d = dir, i = 0; i < 8; i++, d = dirname(d)) {
    if (existsSync(join(d, 'results.json'))) return d
    if (dirname(d) === d) break
  }
  return undefined
}

function findTraces(dir: string, depth: number): string[] {
  if (existsSync(join(dir, TRACE_FILE))) return [join(dir, TRACE_FILE)]
  if (depth === 0) return []
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.filter(e => e.isDirectory()).flatMap(e => findTraces(join(dir, e.name), depth - 1)).sort()
}

function indexPage(traces: string[], href: (f: string) => string): string {
  const items = traces.map(f => {
    const title = /<title>([^<]*)<\/title>/.exec(readHead(f))?.[1] ?? f
    return { title, failed: /\((failed|interrupted)\)<\/title>|\((failed|interrupted)\)$/.test(title), html: `<li><a href="${attr(href(f))}">${title}</a></li>` }
  })
  items.sort((a, b) => Number(b.failed) - Number(a.failed))
  return `<!doctype html><meta charset="utf-8"><title>bootcheck traces</title><h1>Traces (${esc(String(traces.length))})</h1><ul class="traces">${items.map(i => i.html).join('')}</ul>`
}

function readHead(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(0, 4096)
  } catch {
    return ''
  }
}

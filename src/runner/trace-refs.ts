/**
 * What `bootcheck show-trace` writes when a rectangle is dragged on a screen in the trace:
 * a new reference (the screen, with the rectangle as its `region`), a mask added to an
 * existing reference's sidecar, or a failed comparison's actual screen accepted as the
 * reference. Files go only to the reference paths of the test file the trace belongs to
 * ({@link referencePath}, as the tests resolve them); the test file is read from the trace
 * on disk, never from the request.
 * @module
 */
import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve, sep } from 'node:path'
import { SpecError, UsageError } from '../errors/errors.js'
import { decodePng } from '../screens/image.js'
import type { Rect } from '../screens/options.js'
import { referencePath } from '../screens/references.js'
import type { TraceData } from '../report/trace/data.js'
import { EDITOR_ENDPOINT } from '../report/trace/editor.js'
import { addReferenceMask, answerReferenceRequest, checkReferenceName, checkScreenRect, ReferenceRequestError as RequestError, writeRegionReference, type ReferenceWritten } from './reference-files.js'
import type { PostAnswer } from './static-server.js'

/** The path the trace page posts to (the editor's {@link EDITOR_ENDPOINT}). */
export const REFERENCE_ENDPOINT = EDITOR_ENDPOINT

/** What the page asks for. */
export interface ReferenceRequest {
  /** The trace page's path in the served folder (`artifacts/…/trace.html`). */
  trace: string
  /** `reference`: save `image` with `rect` as its region; `mask`: add `rect` to reference `name`'s mask; `accept`: `image` (an `actual`) becomes reference `name`. */
  op: 'reference' | 'mask' | 'accept'
  /** The reference's name. */
  name: string
  /** The image's `src` as the trace lists it (relative to the page). */
  image?: string
  /** In screen pixels. */
  rect?: Rect
  /** Replace a reference that exists (op `reference`). */
  replace?: boolean
}

/** What was written, and the line to paste into the test. */
export type ReferenceAnswer = ReferenceWritten

/**
 * Handles one request for the traces `traces` (absolute paths) served from `root`. Errors
 * are answered as `{ error: { code, message } }`: 400 for a bad request (`BOOTCHECK_SPEC`,
 * `BOOTCHECK_USAGE`), 404 for an unknown trace or image, 409 when the files are not as the
 * request expects (a reference that exists, or does not).
 */
export async function handleReferenceRequest(root: string, traces: string[], body: unknown): Promise<PostAnswer> {
  return answerReferenceRequest(() => referenceRequest(root, traces, body))
}

async function referenceRequest(root: string, traces: string[], body: unknown): Promise<ReferenceAnswer> {
  const req = parseRequest(body)
  const trace = traces.find(f => resolve(root, req.trace.replace(/^\/+/, '')) === f)
  if (!trace) throw new RequestError(404, `${req.trace} is not a trace served here`)
  const data = await readTraceData(trace)
  const testFile = data.testFile
  if (!testFile || !isAbsolute(testFile)) throw new RequestError(409, 'this trace does not name its test file (written by an older bootcheck): make the reference by hand')
  if (!existsSync(testFile) || !statSync(testFile).isFile()) throw new RequestError(409, `the test file ${testFile} is not on this computer: open the trace where the tests are`)
  if (req.op === 'mask') return addReferenceMask(testFile, req.name, req.rect)
  const source = imageOf(data, req)
  const file = await insideRoot(root, resolve(dirname(trace), decodeURIComponent(source.src)))
  const bytes = await readFile(file)
  const image = decodePng(bytes, file)
  if (req.op === 'accept') {
    const ref = referencePath(testFile, req.name)
    await mkdir(ref.dir, { recursive: true })
    await writeFile(ref.png, bytes)
    return { written: [ref.png], code: `await vm.expectScreen('${req.name}')` }
  }
  return writeRegionReference(testFile, req.name, bytes, image, checkScreenRect(req.rect, image, 'rect'), req.replace === true)
}

function parseRequest(body: unknown): ReferenceRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError('the request must be a JSON object')
  const b = body as Record<string, unknown>
  for (const key of Object.keys(b)) {
    if (!['trace', 'op', 'name', 'image', 'rect', 'replace'].includes(key)) throw new UsageError(`unknown field '${key}' in the request`)
  }
  if (typeof b.trace !== 'string') throw new UsageError('trace must be the trace page\'s path')
  if (b.op !== 'reference' && b.op !== 'mask' && b.op !== 'accept') throw new UsageError('op must be reference, mask or accept')
  checkReferenceName(b.name)
  if (b.image !== undefined && typeof b.image !== 'string') throw new UsageError('image must be the src of an image of the trace')
  if (b.replace !== undefined && typeof b.replace !== 'boolean') throw new UsageError('replace must be true or false')
  return b as unknown as ReferenceRequest
}

/** The image asked for, which must be one the trace shows: full size (an attachment) for a reference, an `actual` of a check of `name` to accept. */
function imageOf(data: TraceData, req: ReferenceRequest): { src: string } {
  if (req.image === undefined) throw new UsageError(`op ${req.op} needs the image`)
  if (data.machines.some(m => m.frames.some(f => f.src === req.image))) {
    throw new SpecError('a filmstrip frame is half size: save a reference from a full-size screen (a step\'s actual, last or screenshot image)')
  }
  const found = data.steps.flatMap(s => s.attachments.map(a => ({ s, a }))).find(({ a }) => a.src === req.image)
  if (!found) throw new RequestError(404, `${req.image} is not an image of this trace`)
  if (found.a.src!.startsWith('data:') || /^[a-z]+:/i.test(found.a.src!)) throw new RequestError(409, 'this image is not in the served folder')
  if (req.op === 'accept' && !(found.a.name === 'actual' && found.s.screen === req.name)) {
    throw new SpecError(`only the actual screen of a check of '${req.name}' can be accepted as its reference`)
  }
  return { src: found.a.src! }
}

async function insideRoot(root: string, file: string): Promise<string> {
  const base = await realpath(root)
  let real: string
  try {
    real = await realpath(file)
  } catch {
    throw new RequestError(404, `${file} does not exist`)
  }
  if (!real.startsWith(base + sep)) throw new RequestError(404, `${file} is outside the served folder`)
  return real
}

/** The trace data a trace page holds. */
export async function readTraceData(file: string): Promise<TraceData> {
  const html = await readFile(file, 'utf8')
  const m = /<script type="application\/json" id="trace-data">([\s\S]*?)<\/script>/.exec(html)
  if (!m) throw new RequestError(409, `${file} holds no trace data`)
  return JSON.parse(m[1]!) as TraceData
}

/**
 * References made in the live view (`bootcheck run --ui`): the page asks for the screen of a
 * machine, taken at once by QEMU's own `screendump` (through the live view's QMP monitor,
 * see `machine/live.ts`, as `waitForScreen` takes it, not the browser's canvas) and held
 * here; a rectangle dragged on it is saved as a region reference, or added as a mask to an
 * existing reference's sidecar, for the test file that owns the machine, only at
 * `referencePath(testFile, name)` ({@link writeRegionReference}, {@link addReferenceMask}:
 * the same code as the trace's). A machine no test file of the run owns (`bootcheck shell`)
 * gets none, and the page shows why.
 * @module
 */
import { existsSync, realpathSync, statSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { UsageError } from '../../errors/errors.js'
import { QmpClient } from '../../qmp/client.js'
import { captureScreen } from '../../screens/capture.js'
import { encodePng, type Image } from '../../screens/image.js'
import { addReferenceMask, answerReferenceRequest, checkReferenceName, checkScreenRect, ReferenceRequestError, writeRegionReference } from '../reference-files.js'
import type { PostAnswer } from '../static-server.js'
import type { LiveMachine } from './machines.js'

/** Who gets references in the live view: the machines of these test files, or none, for this reason. */
export type LiveReferenceOwners = { testFiles: readonly string[] } | { unavailable: string }

/** What `/api/state` says of a machine's references: the test file they go beside, or why there are none. */
export type LiveReferenceState = { file: string } | { unavailable: string }

/** A screen held for the page: QEMU's screendump, its PNG, and its number. */
interface Held {
  n: number
  image: Image
  png: Buffer
}

/** The fields a reference request may have. */
const FIELDS = ['op', 'name', 'shot', 'rect', 'replace']

/** The references of one live view: the screens held per machine, and the writes. */
export class LiveReferences {
  private readonly owners: Set<string> | undefined
  private readonly reason: string
  private readonly held = new Map<string, Held>()
  private readonly queues = new Map<string, Promise<unknown>>()
  private shots = 0

  constructor(owners: LiveReferenceOwners = { unavailable: 'no test file owns this machine' }) {
    this.owners = 'testFiles' in owners ? new Set(owners.testFiles.map(real)) : undefined
    this.reason = 'unavailable' in owners ? owners.unavailable : 'its test file is not one of this run\'s test files'
  }

  /** The test file machine `m`'s references go beside, or why it gets none. */
  state(m: LiveMachine): LiveReferenceState {
    if (!this.ownedBy(m)) return { unavailable: this.reason }
    if (!existsSync(m.file) || !statSync(m.file).isFile()) return { unavailable: `its test file ${m.file} is not on this computer` }
    if (!m.qmp) return { unavailable: 'its QEMU has no QMP socket for the live view (started by an older bootcheck)' }
    if (m.endedAt) return { unavailable: 'the machine has ended: there is no screen to take' }
    return { file: relative(process.cwd(), m.file) || m.file }
  }

  /** `POST /api/screen/<id>`: takes the screen now and holds it; answers its number and size. */
  async take(m: LiveMachine): Promise<PostAnswer> {
    return answerReferenceRequest(async () => {
      const s = this.state(m)
      if ('unavailable' in s) throw new ReferenceRequestError(409, `no references for ${m.machine}: ${s.unavailable}`)
      const image = await this.queued(m, () => screendump(m.qmp!))
      const shot: Held = { n: ++this.shots, image, png: encodePng(image) }
      this.held.set(m.id, shot)
      return { shot: shot.n, width: image.width, height: image.height, src: `/api/screen/${m.id}/${shot.n}.png` }
    })
  }

  /** The PNG of screen `n` held for machine `id`, if it is the one held. */
  png(id: string, n: number): Buffer | undefined {
    const shot = this.held.get(id)
    return shot?.n === n ? shot.png : undefined
  }

  /**
   * `POST /api/reference/<id>`: `{ op: 'reference', name, shot, rect, replace? }` saves the
   * held screen `shot` as reference `name` with `rect` as its region; `{ op: 'mask', name,
   * rect }` adds `rect` to reference `name`'s mask (also after the machine ended: the screen
   * was taken while it ran). Answers what was written and the line to paste, or
   * `{ error: { code, message } }`.
   */
  async request(m: LiveMachine, body: unknown): Promise<PostAnswer> {
    return answerReferenceRequest(async () => {
      const file = this.ownedBy(m)
      if (!file) throw new ReferenceRequestError(409, `no references for ${m.machine}: ${this.reason}`)
      const b = fields(body)
      const name = checkReferenceName(b.name)
      if (b.op === 'mask') return addReferenceMask(file, name, b.rect)
      if (b.op !== 'reference') throw new UsageError('op must be reference or mask')
      if (b.replace !== undefined && typeof b.replace !== 'boolean') throw new UsageError('replace must be true or false')
      const shot = this.held.get(m.id)
      if (!shot || shot.n !== b.shot) throw new ReferenceRequestError(409, 'that screen is no longer held: take the screen again')
      return writeRegionReference(file, name, shot.png, shot.image, checkScreenRect(b.rect, shot.image, 'rect'), b.replace === true)
    })
  }

  /** The machine's test file, when it is one of the owners. */
  private ownedBy(m: LiveMachine): string | undefined {
    return this.owners?.has(real(m.file)) ? m.file : undefined
  }

  /** Runs `f` after the machine's earlier requests: its QMP monitor takes one client at a time. */
  private queued<T>(m: LiveMachine, f: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(m.id) ?? Promise.resolve()).catch(() => undefined).then(f)
    this.queues.set(m.id, next)
    return next
  }
}

/** QEMU's screendump through the QMP socket `path` (QEMU writes it in the socket's folder). */
async function screendump(path: string): Promise<Image> {
  let qmp: QmpClient | undefined
  try {
    qmp = await QmpClient.connect(path, { timeoutMs: 5000 })
    return await captureScreen(qmp, dirname(path))
  } catch (e) {
    throw new ReferenceRequestError(409, `QEMU's screendump failed (${(e as Error).message}): has the machine ended?`)
  } finally {
    await qmp?.close().catch(() => undefined)
  }
}

function fields(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError('the request must be a JSON object')
  for (const key of Object.keys(body)) if (!FIELDS.includes(key)) throw new UsageError(`unknown field '${key}' in the request`)
  return body as Record<string, unknown>
}

function real(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return resolve(file)
  }
}

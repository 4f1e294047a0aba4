/**
 * Failure capsules: when a test fails, its machines are saved into the test's artifacts
 * folder (`capsule/<machine>/`, one snapshot folder each) with `capsule.json`, which says
 * what failed (the test's failed assertion, each machine's failing step and where its step
 * log and console stood) and how the machines were wired (their networks), so that
 * `bootcheck resume` can bring them back live at the failing step. This module holds the
 * manifest, the choices made from it (pure, unit-tested) and finding a capsule in a folder.
 * @module
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { CapsuleError } from '../errors/errors.js'
import type { ActionRecord } from '../report/model.js'
export { parseActions } from '../report/actions.js'

/** The capsule folder's name in a test's artifacts folder. */
export const CAPSULE_DIR = 'capsule'
/** The manifest's name in a capsule folder. */
export const CAPSULE_MANIFEST = 'capsule.json'
const FORMAT = 1

/** When capsules are saved: `failed` (a failed test's machines, the default) or `off`. */
export type CapsuleMode = 'failed' | 'off'

/** `$BOOTCHECK_CAPSULE` (`bootcheck run --no-capsule` or `run.capsule: false` sets it to `off`); default `failed`. */
export function capsuleMode(env: NodeJS.ProcessEnv = process.env): CapsuleMode {
  const v = env.BOOTCHECK_CAPSULE?.trim().toLowerCase()
  return v === 'off' || v === '0' || v === 'false' || v === 'no' ? 'off' : 'failed'
}

/** A step of a machine's log as a capsule records it. */
export interface CapsuleStep {
  /** Its number in the machine's `actions.jsonl`. */
  id: number
  /** The method, e.g. `succeed`. */
  action: string
  /** Its arguments. */
  args: Record<string, unknown>
  /** Its error's class and first line. */
  error?: string
  /** What the guest printed while it ran, as byte offsets in `console.log`. */
  console?: {
    /** Where the log ended when the step started. */
    from: number
    /** Where it ended when the step ended. */
    to: number
  }
}

/** A host folder shared with a guest over 9p, as a capsule records it. */
export interface SharedFolder {
  /** The host folder. */
  host: string
  /** Where the guest mounts it. */
  guest: string
}

/** One machine of a capsule. */
export interface CapsuleMachine {
  /** The machine's name. */
  name: string
  /** Its snapshot folder, relative to the capsule folder; absent when it could not be saved. */
  dir?: string
  /** Why it was not saved (a 9p share, an SD card, QEMU refusing), when it was not. */
  notSaved?: string
  /** Its artifacts folder (console log, step log), relative to the capsule folder. */
  artifacts: string
  /** The networks its cards were on (resumed together, on new switches of these names). */
  networks: string[]
  /** Its 9p shares: the host folders a resume would need (see docs/capsules.md). */
  shares: SharedFolder[]
  /** How many steps its log held when it was saved. */
  steps: number
  /** The last step that failed, if one did: where the test stood. */
  failingStep?: CapsuleStep
  /** How far its `console.log` went when it was saved (bytes). */
  consoleBytes: number
  /** How long saving it took (ms), and the size of its saved state (bytes). */
  saveMs: number
  /** The size of its saved state, when it was saved. */
  stateBytes?: number
}

/** A network of a capsule: its name and the machines on it. */
export interface CapsuleNetwork {
  /** The network's name (`network(t, { name })`). */
  name: string
  /** The machines that were on it, by name. */
  machines: string[]
}

/** `capsule.json`. */
export interface CapsuleManifest {
  /** The format (1). */
  format: number
  /** The test's name path joined with ' > '. */
  test: string
  /** The test file, as it was (absolute). */
  file: string
  /** When the capsule was written (ISO time). */
  savedAt: string
  /** The test's failed assertions, as tap reported them (name and message). */
  failures: string[]
  /** The machines, in the order they were saved. */
  machines: CapsuleMachine[]
  /** The networks between them. */
  networks: CapsuleNetwork[]
}

/**
 * The failing step of a log: of the steps that failed, the one that ended last, and of those
 * the outermost (a failed `succeed` rather than the wait inside it). Pure.
 */
export function failingStep(records: readonly ActionRecord[]): CapsuleStep | undefined {
  const ends = (r: ActionRecord): number => r.offsetMs + r.durationMs
  const last = records.filter(r => r.outcome === 'error').sort((a, b) => ends(b) - ends(a) || a.id - b.id)[0]
  if (!last) return undefined
  return { id: last.id, action: last.action, args: last.args, ...(last.error ? { error: last.error } : {}), ...(last.console ? { console: last.console } : {}) }
}

/**
 * The machines that must be saved (and resumed) together with `machine`: every machine on
 * one of its networks, and theirs in turn, in the order of `all`. Pure.
 */
export function capsuleGroup<M extends { name: string; networks: readonly string[] }>(machine: M, all: readonly M[]): M[] {
  const group = new Set<M>([machine])
  const nets = new Set(machine.networks)
  for (let grew = true; grew; ) {
    grew = false
    for (const m of all) {
      if (group.has(m) || !m.networks.some(n => nets.has(n))) continue
      group.add(m)
      for (const n of m.networks) nets.add(n)
      grew = true
    }
  }
  const out = all.filter(m => group.has(m))
  return out.includes(machine) ? out : [machine, ...out]
}

/** The networks of a set of machines, each with its machines, by first appearance. Pure. */
export function capsuleNetworks(machines: ReadonlyArray<Pick<CapsuleMachine, 'name' | 'networks'>>): CapsuleNetwork[] {
  const nets = new Map<string, string[]>()
  for (const m of machines) for (const n of m.networks) nets.set(n, [...(nets.get(n) ?? []), m.name])
  return [...nets].map(([name, members]) => ({ name, machines: members }))
}

/** What a resume brings back: the machines asked for (default all) and every machine sharing a network with them. A {@link CapsuleError} naming the ones there are for an unknown name, or one not saved. Pure. */
export function resumePlan(m: CapsuleManifest, wanted: readonly string[] = []): { machines: CapsuleMachine[]; networks: CapsuleNetwork[] } {
  for (const w of wanted) {
    if (!m.machines.some(x => x.name === w)) throw new CapsuleError(`The capsule has no machine '${w}' (it has ${m.machines.map(x => `'${x.name}'`).join(', ')})`)
  }
  const picked = wanted.length === 0 ? m.machines : m.machines.filter(x => wanted.some(w => capsuleGroup(m.machines.find(y => y.name === w)!, m.machines).includes(x)))
  const unsaved = picked.filter(x => x.dir === undefined)
  if (unsaved.length > 0) {
    throw new CapsuleError(`The capsule cannot bring back ${unsaved.map(x => `${x.name}: ${x.notSaved ?? 'it was not saved'}`).join('; ')}`)
  }
  return { machines: picked, networks: capsuleNetworks(picked) }
}

/** One line saying what failed, for `bootcheck resume` to print. Pure. */
export function describeFailure(m: CapsuleManifest): string[] {
  const lines = [`test '${m.test}' of ${m.file} failed`]
  for (const f of m.failures) lines.push(`  ${f}`)
  for (const x of m.machines) {
    const s = x.failingStep
    if (s) lines.push(`  ${x.name}: step ${s.id} ${s.action}(${shortArgs(s.args)}) failed: ${s.error ?? 'an error'}`)
  }
  return lines
}

function shortArgs(args: Record<string, unknown>): string {
  const text = Object.values(args)
    .map(v => JSON.stringify(v))
    .join(', ')
  return text.length > 120 ? `${text.slice(0, 117)}…` : text
}

/** Whether a folder name is a capsule's: `capsule`, or `capsule-2`, … when a test of that name failed twice in one folder. Pure. */
export function isCapsuleDirName(name: string): boolean {
  return name === CAPSULE_DIR || new RegExp(`^${CAPSULE_DIR}-\\d+$`).test(name)
}

/** Makes a new capsule folder in a test's artifacts folder: `capsule`, else `capsule-2`, `capsule-3`, … */
export async function createCapsuleDir(testDir: string): Promise<string> {
  for (let n = 1; ; n++) {
    const dir = join(testDir, n === 1 ? CAPSULE_DIR : `${CAPSULE_DIR}-${n}`)
    try {
      await mkdir(dir, { mode: 0o700 })
      return dir
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
}

/** Writes `capsule.json` into the capsule folder. */
export async function writeCapsule(dir: string, m: CapsuleManifest): Promise<void> {
  await writeFile(join(dir, CAPSULE_MANIFEST), `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 })
}

/** Reads `capsule.json` of a capsule folder; a {@link CapsuleError} when it is missing or not one. */
export async function readCapsule(dir: string): Promise<CapsuleManifest> {
  const file = join(dir, CAPSULE_MANIFEST)
  let m: CapsuleManifest
  try {
    m = JSON.parse(await readFile(file, 'utf8')) as CapsuleManifest
  } catch (e) {
    throw new CapsuleError(`Cannot read the capsule manifest '${file}': ${(e as Error).message}`, { cause: e })
  }
  if (m.format !== FORMAT || !Array.isArray(m.machines) || !Array.isArray(m.networks)) throw new CapsuleError(`'${file}' is not a capsule manifest of format ${FORMAT}`)
  for (const x of m.machines) {
    // Folders of the capsule are plain names inside it; the artifacts folder may lie beside it.
    if (x.dir !== undefined && !/^[\w][\w.-]*$/.test(x.dir)) throw new CapsuleError(`The capsule manifest '${file}' is not trusted: machine folder ${JSON.stringify(x.dir)} is not a plain name`)
  }
  return m
}

/**
 * Finds the capsule a path means: a capsule folder, a test's artifacts folder holding one, a
 * machine's folder inside one, or any folder above (a run folder) holding exactly one
 * capsule. A {@link CapsuleError} naming the capsules found when there are several, or
 * saying none is there.
 */
export async function findCapsule(path: string): Promise<string> {
  const p = resolve(path)
  const isFile = (f: string): Promise<boolean> => stat(f).then(s => s.isFile(), () => false)
  for (const dir of [p, dirname(p)]) if (await isFile(join(dir, CAPSULE_MANIFEST))) return dir
  if (!(await stat(p).then(s => s.isDirectory(), () => false))) throw new CapsuleError(`'${path}' is not a folder`)
  const found: string[] = []
  await search(p, 6, found)
  if (found.length === 1) return found[0]!
  if (found.length === 0) {
    throw new CapsuleError(`No failure capsule in '${path}': a capsule is '${CAPSULE_DIR}/${CAPSULE_MANIFEST}' in the artifacts folder of a test that failed (not written with --no-capsule)`)
  }
  throw new CapsuleError(`'${path}' holds ${found.length} capsules; name one:\n${found.map(f => `  ${relative(process.cwd(), f) || f}`).join('\n')}`)
}

async function search(dir: string, depth: number, found: string[]): Promise<void> {
  if (depth < 0 || found.length > 50) return
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const e of entries) {
    if (!e.isDirectory()) continue
    const sub = join(dir, e.name)
    if (isCapsuleDirName(e.name) && (await stat(join(sub, CAPSULE_MANIFEST)).then(() => true, () => false))) found.push(sub)
    else await search(sub, depth - 1, found)
  }
}

/** The manifest's format number, for writers. */
export const CAPSULE_FORMAT = FORMAT

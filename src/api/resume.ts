/**
 * `resume(capsule)`: brings a failure capsule's machines back live at the failing step
 * (what `bootcheck resume` runs, and what tests call). The media are checked before any
 * QEMU starts; machines that were on a network are resumed together on a new switch of
 * that network.
 * @module
 */
import { existsSync } from 'node:fs'
import { cp, link, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { CapsuleError, SnapshotMismatchError } from '../errors/errors.js'
import type { ShareSpec } from '../spec/spec.js'
import { fileChecksum, treeChecksum } from '../media/checksum.js'
import { trackScratch, untrackScratch } from '../qemu/registry.js'
import { describeFailure, findCapsule, readCapsule, resumePlan, type CapsuleMachine, type CapsuleManifest } from '../machine/capsule.js'
import type { Machine } from '../machine/machine.js'
import { Network } from '../machine/network.js'
import { readManifest, SNAPSHOT_MANIFEST, type SnapshotManifest } from '../machine/snapshot-manifest.js'
import { startMachine } from '../machine/start.js'
import { makeScratchDir } from '../util/scratch.js'

/** Options of {@link resume}. */
export interface ResumeOptions {
  /** The machines to bring back (with every machine sharing a network with them). Default: all. */
  machines?: string[]
  /** Folders to look in, by file name, for a medium that is not at its recorded path (a capsule from another host). */
  mediaDirs?: string[]
  /**
   * The host folders to share again with machines that had 9p shares: `'recorded'` shares
   * the folders the capsule names (on the host that saved it), an object maps a guest path
   * to a folder. Without it such a machine is a {@link CapsuleError}: a capsule never
   * shares a host folder by itself.
   */
  shares?: 'recorded' | Record<string, string>
  /** Where notes go (the accelerator). Default: stderr. */
  note?: (line: string) => void
}

/** A capsule brought back: its machines running, their networks, and what failed. */
export interface ResumedCapsule {
  /** The capsule folder. */
  dir: string
  /** Its `capsule.json`. */
  manifest: CapsuleManifest
  /** The machines, by name, running from where the test failed. */
  machines: Record<string, Machine>
  /** The new networks between them (one per network of the capsule). */
  networks: Network[]
  /** What failed, as lines (the test, its failed assertions, each machine's failing step). */
  failure: string[]
  /** Stops the machines and networks and removes what the resume made. */
  close(): Promise<void>
}

/**
 * Brings back the machines of the failure capsule at `path` (a capsule folder, a test's
 * artifacts folder, or a run folder with one capsule; see docs/capsules.md). Throws a
 * {@link SnapshotMismatchError} naming each medium that changed or is gone, before any
 * QEMU starts, and a {@link CapsuleError} for a folder without a capsule or a machine that
 * was not saved.
 *
 * ```ts
 * const r = await resume('.bootcheck/runs/latest')
 * await r.machines.server!.succeed('cat /tmp/mark')
 * await r.close()
 * ```
 */
export async function resume(path: string, options: ResumeOptions = {}): Promise<ResumedCapsule> {
  const dir = await findCapsule(path)
  const manifest = await readCapsule(dir)
  const plan = resumePlan(manifest, options.machines)
  const scratch = await makeScratchDir('bootcheck-resume-')
  trackScratch(scratch)
  const machines: Record<string, Machine> = {}
  const networks: Network[] = []
  const close = async (): Promise<void> => {
    await Promise.all(Object.values(machines).map(m => m.dispose()))
    for (const n of networks) await n.close().catch(() => undefined)
    await rm(scratch, { recursive: true, force: true })
    untrackScratch(scratch)
  }
  try {
    // Every medium of every machine is checked before anything starts.
    const folders = new Map<CapsuleMachine, string>()
    const sharesOf = new Map(plan.machines.map(x => [x, sharesFor(x, options.shares)]))
    for (const x of plan.machines) folders.set(x, await checkedFolder(join(dir, x.dir!), x.name, scratch, options.mediaDirs ?? []))
    const test = [`${manifest.test || 'outside a test'} (resumed)`]
    for (const n of plan.networks) networks.push(await Network.create({ name: n.name, test, file: manifest.file }))
    for (const x of plan.machines) {
      const nics = networks.filter(n => x.networks.includes(n.name))
      const shares = sharesOf.get(x)!
      const spec = { from: folders.get(x)!, name: x.name, failOn: false as const, testFile: manifest.file, ...(nics.length ? { nics } : {}), ...(shares.length ? { shares } : {}) }
      machines[x.name] = await startMachine(spec, { test, ...(options.note ? { note: options.note } : {}) })
    }
  } catch (e) {
    await close()
    throw e
  }
  return { dir, manifest, machines, networks, failure: describeFailure(manifest), close }
}

/** The shares to give a machine back, each folder there (a {@link CapsuleError} naming the share otherwise), before anything starts. */
function sharesFor(x: CapsuleMachine, given: ResumeOptions['shares']): ShareSpec[] {
  if (x.shares.length === 0) return []
  if (given === undefined) {
    throw new CapsuleError(`${x.name} shared ${x.shares.map(s => `'${s.host}' at ${s.guest}`).join(', ')} with 9p: resume it with the folders shared again (--shares for these, or --share GUEST=FOLDER)`)
  }
  return x.shares.map(s => {
    const host = given === 'recorded' ? s.host : given[s.guest]
    if (host === undefined) throw new CapsuleError(`${x.name} shared '${s.host}' at ${s.guest}: give a folder for ${s.guest} (--share ${s.guest}=FOLDER)`)
    if (!existsSync(host)) throw new CapsuleError(`${x.name} needs the folder it shared at ${s.guest}: '${host}' does not exist`)
    return { host, guest: s.guest }
  })
}

/**
 * The snapshot folder to restore a machine from: its own when every medium is where it was
 * and unchanged; a copy made of links in `scratch`, its manifest pointing at the media found
 * in `mediaDirs`, when some were elsewhere. Throws {@link SnapshotMismatchError} naming
 * each medium gone or changed.
 */
async function checkedFolder(snapDir: string, machine: string, scratch: string, mediaDirs: readonly string[]): Promise<string> {
  const m = await readManifest(snapDir)
  const moved = new Map<string, string>()
  const changes: string[] = []
  for (const medium of m.media) {
    let path = medium.path
    if (!existsSync(path)) {
      const found = mediaDirs.map(d => join(d, basename(path))).find(p => existsSync(p))
      if (!found) {
        changes.push(`${medium.role} '${path}': gone${mediaDirs.length ? ` (and no '${basename(path)}' in ${mediaDirs.join(', ')})` : ' (give the folder it is in now with --media)'}`)
        continue
      }
      moved.set(path, found)
      path = found
    }
    const sum = await (medium.kind === 'tree' ? treeChecksum(path) : fileChecksum(path)).catch(() => undefined)
    if (sum !== medium.sha256) changes.push(`${medium.role} '${path}': ${sum === undefined ? 'unreadable' : `changed since the capsule was saved (sha256 ${medium.sha256.slice(0, 12)}… then, ${sum.slice(0, 12)}… now)`}`)
  }
  if (changes.length > 0) {
    throw new SnapshotMismatchError(`The capsule's machine ${machine} needs its media as they were:\n${changes.map(c => `  - ${c}`).join('\n')}`, changes)
  }
  return moved.size === 0 ? snapDir : relocated(snapDir, m, moved, join(scratch, basename(snapDir)))
}

/** A copy of a snapshot folder (its files linked, or copied across file systems) whose manifest names the media at their new paths. */
async function relocated(snapDir: string, m: SnapshotManifest, moved: ReadonlyMap<string, string>, to: string): Promise<string> {
  await mkdir(to, { recursive: true, mode: 0o700 })
  for (const e of await readdir(snapDir, { withFileTypes: true })) {
    if (e.name === SNAPSHOT_MANIFEST) continue
    const [from, dest] = [join(snapDir, e.name), join(to, e.name)]
    if (e.isDirectory()) await cp(from, dest, { recursive: true })
    else await link(from, dest).catch(() => cp(from, dest))
  }
  const swap = (v: unknown): unknown =>
    typeof v === 'string' ? (moved.get(v) ?? v) : Array.isArray(v) ? v.map(swap) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)])) : v
  await writeFile(join(to, SNAPSHOT_MANIFEST), `${JSON.stringify(swap(m), null, 2)}\n`, { mode: 0o400 })
  return to
}

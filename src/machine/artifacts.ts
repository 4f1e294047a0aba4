import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'

/**
 * The folder under which each machine gets its artifacts folder: `$BOOTCHECK_ARTIFACTS`
 * (set by `bootcheck run` to `<run folder>/artifacts`), else `.bootcheck/artifacts`.
 */
export function artifactsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BOOTCHECK_ARTIFACTS ?? join(process.cwd(), '.bootcheck', 'artifacts'))
}

/** Turns a test or machine name into a safe folder name. */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'unnamed'
}

/** Where a machine of a test stands: the test file, the test's name path and the machine's name. */
export interface ArtifactsOwner {
  /** The test file (absolute or relative to the working folder). */
  file: string
  /** The test's name path, outermost first (`['boots', 'after eject']`); empty outside a test. */
  test: string[]
  machine: string
}

/**
 * Creates a fresh artifacts folder for one machine of one test:
 * `<root>/<test file>/<test>/<machine>` (with `-2`, `-3`, … when the name is taken in this run).
 */
export async function createArtifactsDir(owner: ArtifactsOwner, root = artifactsRoot()): Promise<string> {
  const file = slug(relative(process.cwd(), resolve(owner.file)) || owner.file)
  const test = owner.test.length > 0 ? slug(owner.test.join(' > ')) : 'outside-a-test'
  const base = join(root, file, test, slug(owner.machine))
  await mkdir(join(root, file, test), { recursive: true })
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`
    try {
      await mkdir(dir)
      return dir
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
}

/**
 * `tap`'s names for a test: `t.fullname` is `<file> > TAP > outer > inner` in a test
 * process; returns `['outer', 'inner']`.
 */
export function testPath(t: { fullname?: string; name?: string } | undefined): string[] {
  if (!t) return []
  const parts = (t.fullname ?? t.name ?? '').split(' > ')
  const root = parts.indexOf('TAP')
  return (root >= 0 ? parts.slice(root + 1) : parts).filter(p => p.length > 0)
}

/** `machine.json` in each artifacts folder: what the run's reports need to know about the machine. */
export interface MachineFacts {
  machine: string
  /** The test's name path joined with ' > '. */
  test: string
  /** The test file, absolute. */
  file: string
  accel: 'kvm' | 'tcg'
  /** The guest architecture, from the QEMU binary's name (`x86_64` of `qemu-system-x86_64`). */
  arch?: string
  /** `bios`, `uefi`, `u-boot`, or `none` (a board's kernel loaded by QEMU itself). */
  firmware?: 'bios' | 'uefi' | 'u-boot' | 'none'
  memoryMiB: number
  cpus: number
  startedAt: string
  /** QEMU's pid, once it runs. */
  pid?: number
  /** The snapshot folder the machine was restored from, if it was. */
  restoredFrom?: string
  /** The networks it joined, with the capture each writes when its test ends. */
  networks?: Array<{ name: string; capture: string }>
  endedAt?: string
  /** The CPU time QEMU used (seconds, user + system), written when it ended. */
  cpuSeconds?: number
  /** When its test was found failing (at the test's end, before the machine was stopped or kept by `--debug`). */
  testFailedAt?: string
}

/**
 * The names of the files in a machine's artifacts folder, defined once: the machine writes
 * them and `bootcheck run` reads them back for its reports.
 */
export const ARTIFACT_FILES = {
  /** {@link MachineFacts}. */
  facts: 'machine.json',
  /** The serial console transcript. */
  console: 'console.log',
  /** The QMP conversation, `>` sent and `<` received. */
  qmp: 'qmp.log',
  /** QEMU's stderr. */
  stderr: 'qemu-stderr.log',
  /** QEMU's command line, shell-quoted. */
  command: 'qemu-command.txt',
  /** One JSON line per machine action (see `ActionRecord`). */
  actions: 'actions.jsonl',
  /** Requests the iPXE HTTP server answered. */
  http: 'http.log',
  /** The TFTP root a PXE boot served (after overlays). */
  tftpRoot: 'tftp-root.txt',
  /** The filmstrip's frames (`FilmstripIndex`); the PNGs are in `filmstrip/`. */
  filmstrip: 'filmstrip.json',
} as const

export const MACHINE_FACTS = ARTIFACT_FILES.facts

export async function writeMachineFacts(dir: string, facts: MachineFacts): Promise<void> {
  await writeFile(join(dir, MACHINE_FACTS), JSON.stringify(facts, null, 2) + '\n')
}

/** Adds `endedAt` (and QEMU's CPU time, when known) to the folder's `machine.json`. */
export function markMachineEnded(dir: string, at = new Date(), cpuSeconds?: number): Promise<void> {
  return updateFacts(dir, { endedAt: at.toISOString(), ...(cpuSeconds !== undefined ? { cpuSeconds: Math.round(cpuSeconds * 100) / 100 } : {}) })
}

/** Adds `testFailedAt` to the folder's `machine.json`: the live view shows the machine's test as failing. */
export function markTestFailed(dir: string, at = new Date()): Promise<void> {
  return updateFacts(dir, { testFailedAt: at.toISOString() })
}

/** Adds QEMU's pid to the folder's `machine.json`. */
export function recordPid(dir: string, pid: number): Promise<void> {
  return updateFacts(dir, { pid })
}

// Updates are chained per folder so two of them never interleave.
const pending = new Map<string, Promise<void>>()

function updateFacts(dir: string, patch: Partial<MachineFacts>): Promise<void> {
  const file = join(dir, MACHINE_FACTS)
  const next = (pending.get(dir) ?? Promise.resolve()).then(async () => {
    const facts = JSON.parse(await readFile(file, 'utf8')) as MachineFacts
    await writeFile(file, JSON.stringify({ ...facts, ...patch }, null, 2) + '\n')
  })
  pending.set(dir, next.catch(() => undefined))
  return next
}

/**
 * The known-failures file (`--known-failures FILE`, `run.knownFailures`): failures already
 * tracked elsewhere, each with an expiry date after which it fails the run again, and
 * optionally only on one architecture or firmware (as kola's deny list does). A failed test
 * that an unexpired entry matches is `known`: shown, counted, not failing the run.
 *
 * ```json
 * [{ "pattern": "tests/uefi.test.ts > boots *", "tracker": "https://…/issues/12",
 *    "expires": "2027-03-31", "firmware": "uefi" }]
 * ```
 */
import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors/errors.js'
import type { FileRecord, KnownFailureMatch, MachineRecord, TestRecord } from '../report/model.js'

/** One entry of the known-failures file. */
export interface KnownFailure {
  /** Matched against `<file> > <test name>`; `*` matches any run of characters. */
  pattern: string
  /** The issue that tracks the failure (a URL). */
  tracker: string
  /** `YYYY-MM-DD`, the last day the entry holds (UTC). */
  expires: string
  /** Only when a machine of the test ran this architecture (`x86_64`, `aarch64`). */
  arch?: string
  /** Only when a machine of the test booted this firmware (`bios`, `uefi`). */
  firmware?: string
}

/** Reads and checks a known-failures file; a bad one is a {@link UsageError} naming the entry. */
export async function loadKnownFailures(file: string): Promise<KnownFailure[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`known failures: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)
  })
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new UsageError(`known failures: ${file} is not valid JSON (${(e as Error).message})`)
  }
  if (!Array.isArray(data)) throw new UsageError(`known failures: ${file} must hold a JSON array of entries`)
  return data.map((e, i) => checkEntry(e, `${file} entry ${i + 1}`))
}

function checkEntry(e: unknown, where: string): KnownFailure {
  if (typeof e !== 'object' || e === null) throw new UsageError(`known failures: ${where} is not an object`)
  const o = e as Record<string, unknown>
  for (const k of ['pattern', 'tracker', 'expires']) {
    if (typeof o[k] !== 'string' || !(o[k] as string).trim()) throw new UsageError(`known failures: ${where} needs '${k}' (a string)`)
  }
  const expires = o.expires as string
  if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`))) throw new UsageError(`known failures: ${where}: 'expires' must be a date YYYY-MM-DD, got '${expires}'`)
  if (!/^https?:\/\//.test(o.tracker as string)) throw new UsageError(`known failures: ${where}: 'tracker' must be the URL of the issue, got '${String(o.tracker)}'`)
  for (const k of ['arch', 'firmware']) if (o[k] !== undefined && typeof o[k] !== 'string') throw new UsageError(`known failures: ${where}: '${k}' must be a string`)
  return {
    pattern: o.pattern as string,
    tracker: o.tracker as string,
    expires,
    ...(typeof o.arch === 'string' ? { arch: o.arch } : {}),
    ...(typeof o.firmware === 'string' ? { firmware: o.firmware } : {}),
  }
}

/** Whether `name` matches a pattern in which `*` stands for any run of characters. */
export function matchesPattern(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(p => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's')
  return re.test(name)
}

/** The entry matching a failed test, if any; `expired` when the first match's date has passed. */
export function matchKnownFailure(entries: KnownFailure[], file: string, test: string, machines: MachineRecord[], now: Date): KnownFailureMatch | undefined {
  const name = `${file} > ${test}`
  const today = now.toISOString().slice(0, 10)
  for (const e of entries) {
    if (!matchesPattern(e.pattern, name)) continue
    if (e.arch !== undefined && !machines.some(m => m.arch === e.arch)) continue
    if (e.firmware !== undefined && !machines.some(m => m.firmware === e.firmware)) continue
    return { pattern: e.pattern, tracker: e.tracker, expires: e.expires, ...(today > e.expires ? { expired: true } : {}) }
  }
  return undefined
}

/**
 * Marks the failed tests an unexpired entry matches as `known` (and the file, when no other
 * failure is left in it); a match whose entry expired stays `failed`, with the match recorded
 * so the report says it expired. A file that failed outside any test matches as `<file> > <file>`.
 */
export function applyKnownFailures(files: FileRecord[], entries: KnownFailure[], now = new Date()): FileRecord[] {
  if (entries.length === 0) return files
  return files.map(f => {
    if (f.status !== 'failed') return f
    const fileMachines = [...f.machines, ...f.tests.flatMap(t => t.machines)]
    if (!f.tests.some(t => t.status === 'failed')) {
      const m = matchKnownFailure(entries, f.file, f.file, fileMachines, now)
      return m ? { ...f, ...(m.expired ? {} : { status: 'known' as const }), tests: [...f.tests, { name: f.file, status: m.expired ? 'failed' : 'known', machines: [], knownFailure: m }] } : f
    }
    const tests = f.tests.map((t): TestRecord => {
      if (t.status !== 'failed') return t
      const m = matchKnownFailure(entries, f.file, t.name, t.machines.length ? t.machines : fileMachines, now)
      return m ? { ...t, status: m.expired ? 'failed' : 'known', knownFailure: m } : t
    })
    return { ...f, tests, status: tests.some(t => t.status === 'failed') ? 'failed' : 'known' }
  })
}

/**
 * What merge-reports accepts of a shard's `results.json`: the whole record checked against
 * a schema (statuses from their enums, finite numbers, safe integers, bounded lengths)
 * before anything is written, and the paths in it kept only when they name a regular file
 * inside the shard's own folder. A shard comes from another CI job: its record is data to
 * check, not a list of host files to read.
 * @module
 */
import { lstatSync, realpathSync } from 'node:fs'
import { isAbsolute, relative, sep } from 'node:path'
import { UsageError } from '../errors/errors.js'
import type { MachineRecord, RunRecord } from '../report/model.js'
import { any, arrayOf, int, num, object, oneOf, optional, recordOf, str, type Shape } from '../util/shape.js'

/** The most shards a split may have (`shard.total`), so a forged total cannot fill memory. */
export const MAX_SHARDS = 1000
/** The largest file of a shard the merged report reads or links (a screen, a transcript). */
export const MAX_SHARD_FILE = 64 * 1024 * 1024

const STATUS = oneOf('passed', 'failed', 'skipped', 'todo', 'interrupted')
const RUN_STATUS = oneOf('passed', 'failed', 'interrupted')
const count = int(0, Number.MAX_SAFE_INTEGER)
const ms = num(0, 1e12)
const path = str(4096)
const text = str(16 * 1024 * 1024)
const name = str(4096)

const machine = object(
  {
    machine: name,
    test: name,
    dir: path,
    transcript: optional(path),
    command: optional(path),
    qmpLog: optional(path),
    stderr: optional(path),
    accel: optional(oneOf('kvm', 'tcg')),
    memoryMiB: optional(int(0, 1 << 30)),
    startedAt: optional(str(64)),
    endedAt: optional(str(64)),
    restoredFrom: optional(path),
    cpuSeconds: optional(num(0, 1e9)),
    screens: arrayOf(object({ name, expected: optional(path), actual: optional(path), diff: optional(path), last: optional(path) }, true), 10_000),
    captures: optional(arrayOf(object({ network: name, file: path }, true), 1000)),
    filmstrip: optional(arrayOf(object({ file: path, offsetMs: ms, at: str(64), console: arrayOf(str(4096), 1000) }, true), 10_000)),
    actionsLog: optional(path),
    actions: optional(
      arrayOf(
        object(
          {
            id: count,
            parent: optional(count),
            action: name,
            args: recordOf(any, 1000),
            start: str(64),
            offsetMs: ms,
            durationMs: ms,
            outcome: oneOf('ok', 'error'),
            error: optional(text),
            result: optional(text),
            attachments: optional(arrayOf(object({ name, path }, true), 1000)),
          },
          true,
        ),
        2000,
      ),
    ),
  },
  true,
)

const test = object({ name, status: STATUS, durationMs: optional(ms), message: optional(text), diagnostic: optional(text), reason: optional(text), machines: arrayOf(machine, 1000) }, true)
const file = object({ file: path, status: STATUS, durationMs: ms, tests: arrayOf(test, 100_000), tap: text, machines: arrayOf(machine, 1000) }, true)
const counts = object({ passed: count, failed: count, skipped: count, todo: count }, true)
const shardInfo: Shape = (v, p) =>
  object({ index: int(1, MAX_SHARDS), total: int(1, MAX_SHARDS), by: oneOf('timings', 'count'), suiteFiles: count }, true)(v, p) ??
  ((v as { index: number; total: number }).index > (v as { total: number }).total ? `${p}.index must not be above ${p}.total` : undefined)

/** The schema of a `results.json` merge-reports reads (merged records' `shards` are not merged again). */
export const RUN_RECORD: Shape = object(
  {
    dir: path,
    startedAt: str(64),
    durationMs: ms,
    status: RUN_STATUS,
    interruptedBy: optional(str(64)),
    host: object({ hostname: str(255), cpus: int(0, 1 << 20), memoryMiB: int(0, 2 ** 40), budgetMiB: int(0, 2 ** 40), jobs: int(0, 1 << 20) }, true),
    files: arrayOf(file, 100_000),
    counts,
    shard: optional(shardInfo),
  },
  true,
)

/** The record in `text` (from `file`), checked; a {@link UsageError} naming the file and the field otherwise. */
export function parseRunRecord(text: string, file: string): RunRecord {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new UsageError(`merge-reports: ${file} is not a results.json: it is not JSON`)
  }
  const problem = RUN_RECORD(data, '')
  if (problem) throw new UsageError(`merge-reports: ${file} is not a results.json of bootcheck run: ${problem}`)
  return data as RunRecord
}

/**
 * `p` when it names a regular file (not a link, device or FIFO) of at most
 * {@link MAX_SHARD_FILE} bytes whose real path lies inside `root`; else undefined.
 */
export function confinedFile(p: string | undefined, root: string): string | undefined {
  if (p === undefined || !isAbsolute(p)) return undefined
  try {
    const st = lstatSync(p)
    if (!st.isFile() || st.size > MAX_SHARD_FILE) return undefined
    const real = realpathSync(p)
    const rel = relative(realpathSync(root), real)
    return rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? p : undefined
  } catch {
    return undefined
  }
}

/** A copy of a (relocated) record whose file paths are dropped unless {@link confinedFile} in `root`. */
export function confineRecord(run: RunRecord, root: string): RunRecord {
  const keep = (p: string | undefined): string | undefined => confinedFile(p, root)
  const opt = <K extends string>(k: K, p: string | undefined): Partial<Record<K, string>> => {
    const v = keep(p)
    return v === undefined ? {} : ({ [k]: v } as Record<K, string>)
  }
  const machine = (m: MachineRecord): MachineRecord => {
    const { transcript, command, qmpLog, stderr, actionsLog, ...rest } = m
    return {
      ...rest,
      ...opt('transcript', transcript),
      ...opt('command', command),
      ...opt('qmpLog', qmpLog),
      ...opt('stderr', stderr),
      ...opt('actionsLog', actionsLog),
      screens: m.screens.map(s => ({ name: s.name, ...opt('expected', s.expected), ...opt('actual', s.actual), ...opt('diff', s.diff), ...opt('last', s.last) })),
      ...(m.captures ? { captures: m.captures.flatMap(c => (keep(c.file) ? [c] : [])) } : {}),
      ...(m.filmstrip ? { filmstrip: m.filmstrip.filter(f => keep(f.file)) } : {}),
      ...(m.actions ? { actions: m.actions.map(a => (a.attachments ? { ...a, attachments: a.attachments.filter(x => keep(x.path)) } : a)) } : {}),
    }
  }
  return {
    ...run,
    files: run.files.map(f => ({ ...f, machines: f.machines.map(machine), tests: f.tests.map(t => ({ ...t, machines: t.machines.map(machine) })) })),
  }
}

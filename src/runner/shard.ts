/**
 * Splitting a suite's test files into shards (`bootcheck run --shard 2/4`), and the timings
 * that balance them. Pure: no files are read here; the CLI reads and writes them.
 *
 * - Without timings, the sorted files are dealt round-robin: file i goes to shard i mod n.
 * - With timings, greedy longest-processing-time: the files, longest first (ties by name),
 *   each go to the shard with the least total so far (ties: the lowest shard). Files
 *   without a timing count as the median of the known ones.
 *
 * Both are deterministic for the same file list and timings, so n machines each computing
 * their own shard together cover every file exactly once.
 */
import { UsageError } from '../errors/errors.js'
import type { RunRecord } from '../report/model.js'

/** A shard of `total`, numbered from 1. */
export interface Shard {
  index: number
  total: number
}

/** What `bootcheck run --write-timings FILE` writes and `--timings FILE` reads (besides a `results.json`). */
export interface TimingsFile {
  bootcheck: 'timings'
  version: 1
  /** Test file (as given to `bootcheck run`, `/`-separated, relative) → milliseconds it took. */
  files: Record<string, number>
}

/** Parses `--shard i/n` (1 ≤ i ≤ n). */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value)
  if (!m) throw new UsageError(`--shard takes INDEX/TOTAL, e.g. 2/4, got '${value}'`)
  const index = Number(m[1])
  const total = Number(m[2])
  if (!Number.isSafeInteger(total) || total < 1) throw new UsageError(`--shard ${value}: the total must be 1 or more`)
  if (!Number.isSafeInteger(index) || index < 1 || index > total) throw new UsageError(`--shard ${value}: the index must be between 1 and ${total}`)
  return { index, total }
}

/** The key a file's timing is stored under: `/`-separated, without a leading `./`. */
export function timingKey(file: string): string {
  return file.split(/[\\/]+/).filter(p => p !== '.' && p !== '').join('/')
}

/**
 * Reads timings from a `results.json` of an earlier run (or a merged one) or from a
 * {@link TimingsFile}. `source` names the file in errors. Files that were interrupted or
 * report no duration are left out.
 */
export function parseTimings(text: string, source: string): Record<string, number> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new UsageError(`--timings ${source}: not JSON (${(e as Error).message})`)
  }
  const out: Record<string, number> = {}
  const obj = data as Partial<TimingsFile & RunRecord> | null
  if (obj && typeof obj === 'object' && obj.bootcheck === 'timings' && obj.files && typeof obj.files === 'object' && !Array.isArray(obj.files)) {
    for (const [file, ms] of Object.entries(obj.files)) if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) out[timingKey(file)] = ms
    return out
  }
  if (obj && typeof obj === 'object' && Array.isArray(obj.files)) {
    for (const f of obj.files) {
      if (!f || typeof f.file !== 'string' || typeof f.durationMs !== 'number') continue
      if (f.status === 'interrupted' || !(f.durationMs > 0)) continue
      out[timingKey(f.file)] = f.durationMs
    }
    return out
  }
  throw new UsageError(`--timings ${source}: neither a results.json of a run nor a timings file ({ "bootcheck": "timings", "version": 1, "files": { … } })`)
}

/** The timings of a finished run, laid over `previous` (this run's measurements win). */
export function timingsOf(run: Pick<RunRecord, 'files'>, previous: Record<string, number> = {}): TimingsFile {
  const files: Record<string, number> = { ...previous }
  for (const f of run.files) if (f.status !== 'interrupted' && f.durationMs > 0) files[timingKey(f.file)] = f.durationMs
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return { bootcheck: 'timings', version: 1, files: sorted }
}

/** How {@link splitFiles} split the files. */
export interface Split {
  /** `shards[i]` holds the files of shard i + 1, sorted. */
  shards: string[][]
  by: 'timings' | 'count'
  /** Estimated milliseconds per shard (with timings; the median stands in for unknown files). */
  estimatedMs?: number[]
}

/**
 * Splits `files` into `total` shards. Files are deduplicated and sorted first, so the order
 * they were given in does not matter. With `timings` (file → ms, keys as {@link timingKey})
 * that know at least one of the files, the split balances durations; otherwise it deals by count.
 */
export function splitFiles(files: string[], total: number, timings?: Record<string, number>): Split {
  if (!Number.isSafeInteger(total) || total < 1) throw new UsageError(`cannot split into ${total} shards`)
  const sorted = [...new Set(files)].sort(byName)
  const shards: string[][] = Array.from({ length: total }, () => [])
  const known = timings ? sorted.map(f => timings[timingKey(f)]).filter((ms): ms is number => ms !== undefined && Number.isFinite(ms) && ms >= 0) : []
  if (known.length === 0) {
    sorted.forEach((f, i) => shards[i % total]!.push(f))
    return { shards, by: 'count' }
  }
  const fallback = median(known)
  const weighted = sorted.map(f => ({ file: f, ms: timings![timingKey(f)] ?? fallback }))
  weighted.sort((a, b) => b.ms - a.ms || byName(a.file, b.file))
  const load = new Array<number>(total).fill(0)
  for (const { file, ms } of weighted) {
    let best = 0
    for (let i = 1; i < total; i++) if (load[i]! < load[best]!) best = i
    shards[best]!.push(file)
    load[best]! += ms
  }
  for (const s of shards) s.sort(byName)
  return { shards, by: 'timings', estimatedMs: load }
}

/** The files of one shard (see {@link splitFiles}). */
export function shardFiles(files: string[], shard: Shard, timings?: Record<string, number>): { files: string[]; by: Split['by']; estimatedMs?: number } {
  const split = splitFiles(files, shard.total, timings)
  return { files: split.shards[shard.index - 1]!, by: split.by, ...(split.estimatedMs ? { estimatedMs: split.estimatedMs[shard.index - 1]! } : {}) }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Code-unit order, the same on every machine and locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

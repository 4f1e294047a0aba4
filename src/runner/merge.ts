/**
 * `bootcheck merge-reports`: the run folders of several machines (shards of one suite, from
 * folders or `.tar.gz` archives of them) become one run folder: one `results.json`,
 * `report.html` and `junit.xml`, with each run's artifacts copied to `shards/<n>/` and the
 * paths in the records pointed there, so the merged report's links and images work from it.
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { execa } from 'execa'
import { UsageError } from '../errors/errors.js'
import type { MergedShard, RunRecord } from '../report/model.js'
import { copyPlainTree, safeExtractArgs } from './merge-copy.js'
import { confineRecord, MAX_SHARD_FILE, parseRunRecord } from './merge-record.js'
import { writeReports } from './write-reports.js'

/** What {@link mergeReports} merges and where to. */
export interface MergeOptions {
  /** Run folders (or folders holding run folders, as CI downloads them), or `.tar.gz`/`.tgz` archives of them. */
  inputs: string[]
  /** The merged run folder. */
  out: string
  /** JUnit XML path (default `<out>/junit.xml`). */
  junit?: string
  stderr: NodeJS.WritableStream
}

/** One run found among the inputs. */
interface FoundRun {
  source: string
  /** Where its run folder is now (an archive's is extracted). */
  dir: string
  record: RunRecord
}

/** Merges the runs; returns the merged record (also written to `<out>/results.json`). */
export async function mergeReports(o: MergeOptions): Promise<{ run: RunRecord }> {
  const out = resolve(o.out)
  const scratch = await mkdtemp(join(tmpdir(), 'bootcheck-merge-'))
  try {
    const found: FoundRun[] = []
    for (const input of o.inputs) found.push(...(await readInput(input, scratch)))
    if (found.length === 0) throw new UsageError(`merge-reports: no run folders (with a results.json) in ${o.inputs.join(' ')}`)
    const runs = orderRuns(found)
    await mkdir(out, { recursive: true })
    const existing = await readdir(join(out, 'shards')).catch(() => [])
    if (existing.length) throw new UsageError(`merge-reports: ${join(out, 'shards')} is not empty: merge into a new folder`)

    const labels = shardLabels(runs)
    const merged: RunRecord[] = []
    const shards: MergedShard[] = []
    for (const [i, r] of runs.entries()) {
      const dir = join(out, 'shards', labels[i]!)
      await mkdir(dir, { recursive: true })
      const art = await lstat(join(r.dir, 'artifacts')).catch(() => undefined)
      if (art?.isDirectory()) await copyPlainTree(join(r.dir, 'artifacts'), join(dir, 'artifacts'))
      await writeFile(join(dir, 'results.json'), JSON.stringify(r.record, null, 2) + '\n')
      // Paths were recorded where the run ran; its folder may since have moved (a CI download).
      // Only regular files inside the shard's new folder are kept: the report reads them.
      const moved = confineRecord(relocate(relocate(r.record, r.record.dir, dir), r.dir, dir), dir)
      merged.push(moved)
      shards.push({
        ...(r.record.shard ? { shard: r.record.shard } : {}),
        dir,
        source: r.source,
        originalDir: r.record.dir,
        hostname: r.record.host.hostname,
        status: r.record.status,
        startedAt: r.record.startedAt,
        durationMs: r.record.durationMs,
        files: r.record.files.length,
        counts: r.record.counts,
      })
    }

    const total = runs[0]!.record.shard?.total
    const missing = total && runs.every(r => r.record.shard?.total === total)
      ? Array.from({ length: total }, (_, i) => i + 1).filter(i => !runs.some(r => r.record.shard?.index === i))
      : []
    if (missing.length) o.stderr.write(`bootcheck merge-reports: shard(s) ${missing.map(i => `${i}/${total}`).join(', ')} missing: their files did not run (or their reports were not given)\n`)

    const run = combine(out, merged, shards, missing)
    await writeReports(run, { junit: o.junit ?? join(out, 'junit.xml'), stderr: o.stderr })
    return { run }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** The merged record: files concatenated, counts summed, failed if any failed. */
export function combine(out: string, runs: RunRecord[], shards: MergedShard[], missingShards: number[] = []): RunRecord {
  const starts = runs.map(r => Date.parse(r.startedAt)).filter(Number.isFinite)
  const ends = runs.map(r => Date.parse(r.startedAt) + r.durationMs).filter(Number.isFinite)
  const start = starts.length ? Math.min(...starts) : Date.now()
  const sum = (f: (r: RunRecord) => number): number => runs.reduce((a, r) => a + f(r), 0)
  const status: RunRecord['status'] = runs.some(r => r.status === 'failed') || missingShards.length
    ? 'failed'
    : runs.some(r => r.status === 'interrupted') ? 'interrupted' : 'passed'
  const interrupted = runs.find(r => r.interruptedBy)?.interruptedBy
  const hostnames = [...new Set(runs.map(r => r.host.hostname))]
  return {
    dir: out,
    startedAt: new Date(start).toISOString(),
    durationMs: ends.length ? Math.max(...ends) - start : 0,
    status,
    ...(status === 'interrupted' && interrupted ? { interruptedBy: interrupted } : {}),
    host: {
      hostname: hostnames.join(', '),
      cpus: sum(r => r.host.cpus),
      memoryMiB: sum(r => r.host.memoryMiB),
      budgetMiB: sum(r => r.host.budgetMiB),
      jobs: sum(r => r.host.jobs),
    },
    files: runs.flatMap(r => r.files),
    counts: {
      passed: sum(r => r.counts.passed),
      failed: sum(r => r.counts.failed),
      skipped: sum(r => r.counts.skipped),
      todo: sum(r => r.counts.todo),
      // Shards run with --retries report flaky tests; older results.json files have no such count.
      ...(runs.some(r => r.counts.flaky !== undefined) ? { flaky: sum(r => r.counts.flaky ?? 0) } : {}),
    },
    shards,
    ...(missingShards.length ? { missingShards } : {}),
  }
}

/**
 * A copy of the record with every path under `from` moved under `to`: the folders and files
 * of machines, screen images, step attachments, and the same paths where messages and TAP
 * output mention them.
 */
export function relocate(run: RunRecord, from: string, to: string): RunRecord {
  const prefix = from.endsWith(sep) ? from : from + sep
  const target = to.endsWith(sep) ? to : to + sep
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v === from ? to : v.includes(prefix) ? v.split(prefix).join(target) : v
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return { ...(walk(run) as RunRecord), dir: to }
}

/** Shard runs in shard order, the others after them in the order given. */
function orderRuns(runs: FoundRun[]): FoundRun[] {
  const seen = new Map<string, string>()
  for (const r of runs) {
    const s = r.record.shard
    if (!s) continue
    const key = `${s.index}/${s.total}`
    if (seen.has(key)) throw new UsageError(`merge-reports: shard ${key} is given twice (${seen.get(key)} and ${r.source})`)
    seen.set(key, r.source)
  }
  const totals = new Set(runs.flatMap(r => (r.record.shard ? [r.record.shard.total] : [])))
  if (totals.size > 1) throw new UsageError(`merge-reports: the runs were split differently (${[...seen.keys()].join(', ')}): merge the shards of one split`)
  return runs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.record.shard?.index ?? Infinity) - (b.r.record.shard?.index ?? Infinity) || a.i - b.i)
    .map(x => x.r)
}

/** `shards/<n>` names: the shard index when every run has a distinct one, else their position. */
function shardLabels(runs: FoundRun[]): string[] {
  const all = runs.every(r => r.record.shard)
  return runs.map((r, i) => String(all ? r.record.shard!.index : i + 1))
}

/** The runs in one input: a run folder, a folder of run folders, or an archive of either. */
async function readInput(input: string, scratch: string): Promise<FoundRun[]> {
  const st = await stat(input).catch(() => null)
  if (!st) throw new UsageError(`merge-reports: '${input}' does not exist`)
  let dir = resolve(input)
  if (st.isFile()) {
    if (!/\.(tar\.gz|tgz)$/.test(input)) throw new UsageError(`merge-reports: '${input}' is neither a folder nor a .tar.gz archive`)
    dir = await mkdtemp(join(scratch, `${basename(input).replace(/\W+/g, '-')}-`))
    const r = await execa('tar', safeExtractArgs(resolve(input), dir), { reject: false })
    if (r.exitCode !== 0) throw new UsageError(`merge-reports: cannot extract '${input}': ${r.stderr.trim() || `tar exited ${r.exitCode}`}`)
  }
  const found: FoundRun[] = []
  const seen = new Set<string>()
  for (const file of await findResults(dir)) {
    const runDir = await realpath(dirname(file))
    if (seen.has(runDir)) continue
    seen.add(runDir)
    const st = await lstat(file)
    if (!st.isFile() || st.size > MAX_SHARD_FILE) throw new UsageError(`merge-reports: ${file} is not a results.json: not a regular file of at most ${MAX_SHARD_FILE} bytes`)
    const record = parseRunRecord(await readFile(file, 'utf8'), file)
    const where = st.isFile() ? `${input}:${relative(dir, runDir) || '.'}` : relative(process.cwd(), runDir) || '.'
    found.push({ source: where, dir: runDir, record })
  }
  if (found.length === 0) throw new UsageError(`merge-reports: no results.json in '${input}'`)
  return found
}

/** `results.json` files in a folder: its own, else those of folders below it (not through links, not in artifacts/ or shards/). */
async function findResults(dir: string): Promise<string[]> {
  if (await exists(join(dir, 'results.json'))) return [join(dir, 'results.json')]
  const out: string[] = []
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isDirectory() || e.name === 'artifacts' || e.name === 'shards' || e.name === 'node_modules') continue
    out.push(...(await findResults(join(dir, e.name))))
  }
  return out
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

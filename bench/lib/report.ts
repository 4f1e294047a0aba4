/**
 * Benchmark figures next to their baselines: each row is a figure bootcheck reaches and the
 * same work done without it (bare QEMU, raw pixelmatch, a plain indexOf loop), measured in
 * the same run, with median, min, max and the ratio of the medians. Rows are printed as a
 * table and, when `BENCH_JSON` names a file (set by `npm run bench -- --json FILE`),
 * appended to it as JSON lines for `bench/run.ts` to gather.
 * @module
 */
import { appendFileSync } from 'node:fs'

/** Median, min and max of some samples. */
export interface Stats {
  median: number
  min: number
  max: number
  n: number
}

/** One figure and its baseline. */
export interface Row {
  /** Which benchmark file. */
  bench: string
  name: string
  /** `ms` (lower is better), `MB/s` or `per s` (higher is better). */
  unit: string
  value: Stats
  baselineName: string
  baseline: Stats
  /** value.median / baseline.median. */
  ratio: number
}

/** Median, min and max of `xs`. */
export function stats(xs: readonly number[]): Stats {
  if (xs.length === 0) throw new Error('stats of no samples')
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length }
}

/** Times `fn` `n` times after one warm-up call; milliseconds. */
export async function timeIt(n: number, fn: () => unknown): Promise<Stats> {
  await fn()
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    ms.push(performance.now() - t0)
  }
  return stats(ms)
}

/** A row: `value` against `baseline`. */
export function row(bench: string, name: string, unit: string, value: Stats, baselineName: string, baseline: Stats): Row {
  return { bench, name, unit, value, baselineName, baseline, ratio: value.median / baseline.median }
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const triple = (s: Stats): string => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`

/** Prints rows as a table (median (min–max), baseline likewise, ratio) and records them for `--json`. */
export function emit(rows: readonly Row[]): void {
  const w = Math.max(...rows.map(r => r.name.length), 6)
  const bw = Math.max(...rows.map(r => r.baselineName.length), 8)
  process.stdout.write(`${'figure'.padEnd(w)}  unit  ${'median (min–max)'.padEnd(24)}  ${'baseline'.padEnd(bw)}  ${'median (min–max)'.padEnd(24)}  ratio\n`)
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(w)}  ${r.unit.padEnd(4)}  ${triple(r.value).padEnd(24)}  ${r.baselineName.padEnd(bw)}  ${triple(r.baseline).padEnd(24)}  ${r.ratio.toFixed(2)}\n`,
    )
  }
  const file = process.env.BENCH_JSON
  if (file) for (const r of rows) appendFileSync(file, JSON.stringify(r) + '\n')
}

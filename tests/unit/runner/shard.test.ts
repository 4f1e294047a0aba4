// Splitting the suite into shards: every file in exactly one shard, deterministic, balanced
// by recorded durations when there are some.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { UsageError } from '../../../src/errors/errors.js'
import type { FileRecord, RunRecord } from '../../../src/report/model.js'
import { findTestFiles } from '../../../src/runner/cli.js'
import { parseShard, parseTimings, shardFiles, splitFiles, timingKey, timingsOf } from '../../../src/runner/shard.js'

const root = new URL('../../..', import.meta.url).pathname
// The suite's own files, as `bootcheck run tests/unit tests/integration` finds them from the repository root.
const suite = (await findTestFiles([join(root, 'tests', 'unit'), join(root, 'tests', 'integration')])).map(f => f.slice(root.length))

function coversOnce(t: Test, shards: string[][], files: string[]): void {
  const all = shards.flat()
  t.equal(all.length, new Set(files).size, 'as many files in the shards as in the suite')
  t.same([...all].sort(), [...new Set(files)].sort(), 'each file in exactly one shard')
}

t.test('--shard values', async t => {
  t.same(parseShard('2/4'), { index: 2, total: 4 })
  t.same(parseShard('1/1'), { index: 1, total: 1 })
  for (const bad of ['0/4', '5/4', '2', '2/0', 'a/b', '-1/4', '1/4/2', '', '1.5/4']) t.throws(() => parseShard(bad), UsageError, `'${bad}' is a usage error`)
})

t.test('4 shards of the suite by count: each file exactly once, sizes within one', async t => {
  t.ok(suite.length > 30, `the suite has files (${suite.length})`)
  const shards = [1, 2, 3, 4].map(index => shardFiles(suite, { index, total: 4 }))
  coversOnce(t, shards.map(s => s.files), suite)
  t.ok(shards.every(s => s.by === 'count'))
  const sizes = shards.map(s => s.files.length)
  t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes.join(', ')}`)
  // The same split whatever order the files were found in.
  const reversed = [1, 2, 3, 4].map(index => shardFiles([...suite].reverse(), { index, total: 4 }).files)
  t.same(reversed, shards.map(s => s.files), 'deterministic')
})

/** A results.json of the suite with realistic durations: unit files 0.3–4 s, integration files 15–150 s. */
function fabricatedRun(files: string[]): RunRecord {
  let seed = 42
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const record = (file: string): FileRecord => ({
    file,
    status: 'passed',
    durationMs: Math.round(file.includes('integration') ? 15_000 + rand() * 135_000 : 300 + rand() * 3_700),
    tests: [],
    tap: '',
    machines: [],
  })
  return {
    dir: '/ci/.bootcheck/runs/x',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    status: 'passed',
    host: { hostname: 'ci', cpus: 2, memoryMiB: 8192, budgetMiB: 6000, jobs: 2 },
    files: files.map(record),
    counts: { passed: 0, failed: 0, skipped: 0, todo: 0 },
  }
}

t.test('4 shards of the suite by recorded durations (from a results.json)', async t => {
  const run = fabricatedRun(suite)
  const timings = parseTimings(JSON.stringify(run), 'results.json')
  t.equal(Object.keys(timings).length, suite.length)
  const split = splitFiles(suite, 4, timings)
  t.equal(split.by, 'timings')
  coversOnce(t, split.shards, suite)
  const loads = split.shards.map(s => s.reduce((sum, f) => sum + timings[timingKey(f)]!, 0))
  t.same(loads, split.estimatedMs, 'the estimate is the sum of the recorded durations')
  const longestFile = Math.max(...Object.values(timings))
  const ideal = loads.reduce((a, b) => a + b) / 4
  t.ok(longestFile < ideal, 'balance is achievable: no file is longer than a fair share')
  t.ok(Math.max(...loads) <= 1.5 * Math.min(...loads), `longest shard within 1.5× of the shortest (${loads.map(l => (l / 1000).toFixed(0)).join(', ')} s)`)
  const byCount = splitFiles(suite, 4).shards.map(s => s.reduce((sum, f) => sum + timings[timingKey(f)]!, 0))
  t.ok(Math.max(...loads) <= Math.max(...byCount), 'no worse than splitting by count')
  // Every machine computes its own shard: the same split whatever order it found the files in.
  t.same(splitFiles([...suite].reverse(), 4, timings).shards, split.shards, 'deterministic')
})

t.test('files without a timing weigh the median; ties go to the lowest shard, by name', async t => {
  const split = splitFiles(['d', 'c', 'b', 'a', 'new'], 2, { a: 10, b: 10, c: 30, d: 100 })
  // median of 10,10,30,100 = 20 → new weighs 20. LPT: d→1 (100), c→2 (30), new→2 (50), a→2 (60), b→2 (70)
  t.same(split.shards, [['d'], ['a', 'b', 'c', 'new']])
  t.same(split.estimatedMs, [100, 70])
  const ties = splitFiles(['x', 'y', 'z', 'w'], 2, { w: 5, x: 5, y: 5, z: 5 })
  t.same(ties.shards, [['w', 'y'], ['x', 'z']], 'equal durations: by name, alternating')
  t.same(splitFiles(['a', 'b', 'c'], 2, { other: 5 }).by, 'count', 'timings of none of the files: by count')
  const many = splitFiles(['a', 'b'], 4)
  t.same(many.shards, [['a'], ['b'], [], []], 'more shards than files: some are empty')
})

t.test('a file longer than a fair share gets a shard of its own', async t => {
  const timings: Record<string, number> = { huge: 1000 }
  const files = ['huge']
  for (let i = 0; i < 12; i++) (timings[`f${i}`] = 10), files.push(`f${i}`)
  const split = splitFiles(files, 3, timings)
  t.same(split.shards[0], ['huge'])
  t.same(split.estimatedMs, [1000, 60, 60])
})

t.test('timings files: read, written, and both formats', async t => {
  const run = fabricatedRun(['./tests/a.test.ts', 'tests/b.test.ts'])
  run.files.push({ file: 'tests/c.test.ts', status: 'interrupted', durationMs: 5, tests: [], tap: '', machines: [] })
  const fromRun = parseTimings(JSON.stringify(run), 'r.json')
  t.same(Object.keys(fromRun), ['tests/a.test.ts', 'tests/b.test.ts'], 'interrupted files are left out; ./ is dropped')
  const written = timingsOf(run, { 'tests/old.test.ts': 7, 'tests/a.test.ts': 1 })
  t.equal(written.bootcheck, 'timings')
  t.same(Object.keys(written.files), ['tests/a.test.ts', 'tests/b.test.ts', 'tests/old.test.ts'])
  t.equal(written.files['tests/a.test.ts'], fromRun['tests/a.test.ts'], 'this run wins over earlier timings')
  t.same(parseTimings(JSON.stringify(written), 't.json'), written.files, 'a timings file reads back')
  t.throws(() => parseTimings('{', 'x.json'), UsageError)
  t.throws(() => parseTimings('{"a":1}', 'x.json'), UsageError)
})

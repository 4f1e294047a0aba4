// Crafted shard run folders for the merge-reports attacks: a minimal valid results.json
// whose fields a test then poisons, written where the attacker's archive would put it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MachineRecord, RunRecord } from '../../src/report/model.js'

/** A valid record of one failed test with one machine, its files under `dir/artifacts`. */
export function shardRecord(dir: string, index = 1, total = 1): RunRecord {
  const art = join(dir, 'artifacts', 'm')
  const machine: MachineRecord = { machine: 'vm', test: 'attack', dir: art, screens: [] }
  return {
    dir,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1000,
    status: 'failed',
    host: { hostname: 'ci', cpus: 2, memoryMiB: 2048, budgetMiB: 1024, jobs: 1 },
    files: [{ file: 'a.test.ts', status: 'failed', durationMs: 1000, tap: 'not ok 1\n', machines: [], tests: [{ name: 'attack', status: 'failed', message: 'boom', machines: [machine] }] }],
    counts: { passed: 0, failed: 1, skipped: 0, todo: 0 },
    shard: { index, total, by: 'count', suiteFiles: 1 },
  }
}

/** Writes `record` (any shape) as `dir/results.json`, and an artifacts folder. */
export function writeShard(dir: string, record: unknown): void {
  mkdirSync(join(dir, 'artifacts', 'm'), { recursive: true })
  writeFileSync(join(dir, 'results.json'), JSON.stringify(record))
}

/** The first machine of the record (where the tests plant their paths). */
export function machineOf(r: RunRecord): MachineRecord {
  return r.files[0]!.tests[0]!.machines[0]!
}

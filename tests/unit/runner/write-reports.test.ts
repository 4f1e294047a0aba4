// The summary's list of the slowest files: each file's time, then what its own machines
// cost (how many, how many restored from a snapshot, QEMU's CPU time), which under TCG is
// where a file's time goes.
import t from 'tap'
import type { FileRecord, MachineRecord, RunRecord } from '../../../src/report/model.js'
import { slowestFiles } from '../../../src/runner/write-reports.js'

const machine = (dir: string, extra: Partial<MachineRecord> = {}): MachineRecord => ({ machine: 'vm', test: 't', dir, screens: [], ...extra })
const file = (name: string, ms: number, machines: MachineRecord[], testMachines: MachineRecord[] = []): FileRecord => ({
  file: name,
  status: 'passed',
  durationMs: ms,
  tap: '',
  machines,
  tests: [{ name: 't', status: 'passed', machines: testMachines }],
})
const run = (files: FileRecord[]): RunRecord =>
  ({ dir: '/r', startedAt: '', durationMs: 0, status: 'passed', host: { hostname: 'h', cpus: 2, memoryMiB: 1, budgetMiB: 1, jobs: 2 }, files, counts: { passed: 0, failed: 0, skipped: 0, todo: 0 } }) as RunRecord

t.test('slowest first, with each file’s machines and their QEMU CPU time', async t => {
  const lines = slowestFiles(
    run([
      file('unit.test.ts', 2_000, []),
      file('boots.test.ts', 120_000, [machine('/a/1', { cpuSeconds: 90.4 })], [machine('/a/2', { cpuSeconds: 3.2, restoredFrom: '/snap' }), machine('/a/1', { cpuSeconds: 90.4 })]),
      file('old.test.ts', 60_000, [machine('/b/1')]),
    ]),
    3,
  )
  t.equal(lines[0], 'bootcheck: the 3 slowest file(s):')
  t.equal(lines[1], '  120.0 s  boots.test.ts (2 machines, 1 restored, QEMU CPU 94 s)', 'a machine listed twice counts once')
  t.equal(lines[2], '   60.0 s  old.test.ts (1 machine)', 'no CPU figure when the machines have none (records of older runs)')
  t.equal(lines[3], '    2.0 s  unit.test.ts', 'nothing added for a file without machines')
})

t.test('nothing asked, nothing listed', async t => {
  t.same(slowestFiles(run([file('a.test.ts', 1, [])]), 0), [])
})

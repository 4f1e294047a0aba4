// Four runs of a stateless boot test ended at random moments by SIGKILL, SIGINT, SIGTERM and
// SIGHUP (one each, in a random order): no QEMU left, no temporary folder of a dead run left once the next run started,
// the media byte-identical. (bench/soak.ts runs 50 as a benchmark.)
import t from 'tap'
import { soak } from '../../bench/soak.js'
import { buildPackage } from './cli-helpers.js'

t.test('killed runs leave nothing behind', async t => {
  await buildPackage()
  const seed = Number(process.env.BOOTCHECK_SOAK_SEED ?? 4242)
  const r = await soak({ runs: 4, seed, maxDelayMs: 25_000, log: line => t.comment(line) })
  t.comment(`seed ${r.seed}`)
  t.equal(r.runs.length, 4)
  t.equal(r.qemuLeft, 0, 'no QEMU process of the soak was left running')
  t.same(r.foldersLeft, [], 'no temporary folder of a dead run or machine is left')
  t.ok(r.mediaIdentical, 'the ISO and the persist image are byte-identical')
  t.ok(r.runs.every(x => x.exitCode !== undefined || x.exitSignal !== undefined), 'every killed run ended')
  t.ok(r.runs.filter(x => x.qemuAtKill > 0).length >= 2, "at least half the kills landed while the run's QEMU was running")
  t.equal(r.runs.find(x => x.signal === 'SIGKILL')?.exitSignal, 'SIGKILL', 'the SIGKILLed runner died of it')
  t.equal(new Set(r.runs.map(x => x.signal)).size, 4, 'every kind of signal was sent')
})

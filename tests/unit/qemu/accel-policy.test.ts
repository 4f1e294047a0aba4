// The accelerator policy with a fake probe (no QEMU), the cache's lock file between
// concurrent callers, and runProbe's execa timeout against a fake QEMU that never ends.
import { execa } from 'execa'
import { chmod, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { cachedDecision, type HostIdentity } from '../../../src/qemu/accel-cache.js'
import { decideAccelerator, type AccelDecision } from '../../../src/qemu/accel-policy.js'
import { runProbe, type Accelerator, type ProbeResult } from '../../../src/qemu/probe-run.js'
import { trackedPids } from '../../../src/qemu/registry.js'

const OK = 'RPL....BOOTCHECK-PROBE-OK\n'
const dir = t.testdir()
const kvmDevice = join(dir, 'kvm')
await writeFile(kvmDevice, '') // read/writable: stands for a usable /dev/kvm

function fakeProbe(ms: Record<Accelerator, number | 'hang' | 'stuck'>) {
  const calls: Accelerator[] = []
  const probe = async (accel: Accelerator, timeoutMs: number): Promise<ProbeResult> => {
    calls.push(accel)
    const m = ms[accel]
    if (m === 'hang') return new Promise<ProbeResult>(() => undefined) // never returns
    if (m === 'stuck') {
      await new Promise(r => setTimeout(r, timeoutMs))
      return { accel, ok: false, output: 'RP', ms: timeoutMs, timedOut: true, signal: 'SIGKILL', stderr: '' }
    }
    return { accel, ok: true, output: OK, ms: m, exitCode: 33, timedOut: false, stderr: '' }
  }
  return { probe, calls }
}

t.test('KVM works: KVM, one probe', async t => {
  const f = fakeProbe({ kvm: 40, tcg: 900 })
  const d = await decideAccelerator({ probe: f.probe, timeoutMs: 5000, kvmDevice })
  t.equal(d.accel, 'kvm')
  t.equal(d.reason, 'KVM probe booted to long mode in 40 ms')
  t.same(f.calls, ['kvm'])
  t.equal(d.probes?.length, 1)
})

t.test('no /dev/kvm: TCG without any probe', async t => {
  const f = fakeProbe({ kvm: 40, tcg: 900 })
  const d = await decideAccelerator({ probe: f.probe, timeoutMs: 5000, kvmDevice: join(dir, 'no-kvm') })
  t.equal(d.accel, 'tcg')
  t.match(d.reason, /^no .*no-kvm \(KVM not available on this host\): using TCG$/)
  t.same(f.calls, [])
  t.equal(d.probes, undefined)
})

t.test('KVM present but far slower than TCG: TCG', async t => {
  const f = fakeProbe({ kvm: 4000, tcg: 300 })
  const d = await decideAccelerator({ probe: f.probe, timeoutMs: 5000, kvmDevice })
  t.equal(d.accel, 'tcg')
  t.match(d.reason, /took 4000 ms, the TCG probe only 300 ms: KVM is too slow here, falling back to TCG/)
  t.same(f.calls, ['kvm', 'tcg'])
})

t.test('KVM slow but still faster than TCG: KVM', async t => {
  const f = fakeProbe({ kvm: 2000, tcg: 3000 })
  const d = await decideAccelerator({ probe: f.probe, timeoutMs: 5000, kvmDevice })
  t.equal(d.accel, 'kvm')
  t.match(d.reason, /slow, but TCG took 3000 ms/)
})

t.test('KVM probe killed at the timeout: TCG with how far it got', async t => {
  const f = fakeProbe({ kvm: 'stuck', tcg: 300 })
  const d = await decideAccelerator({ probe: f.probe, timeoutMs: 200, kvmDevice })
  t.equal(d.accel, 'tcg')
  t.match(d.reason, /did not finish within 0\.2 s \(got "RP"\): it .*protected mode but not long mode.*falling back to TCG/)
})

t.test('a probe that never returns: TCG with a reason, soon after the probe timeout', async t => {
  const f = fakeProbe({ kvm: 'hang', tcg: 300 })
  const started = Date.now()
  const d = await decideAccelerator({ probe: f.probe, timeoutMs: 300, hangGraceMs: 100, kvmDevice })
  const took = Date.now() - started
  t.equal(d.accel, 'tcg')
  t.match(d.reason, /KVM probe did not finish within 0\.3 s .*printed nothing.*falling back to TCG/)
  t.ok(took >= 300 && took < 300 + 100 + 500, `decided in ${took} ms`)
})

t.test('a probe that fails (QEMU missing) is an error, not a decision', async t => {
  const probe = async (): Promise<ProbeResult> => {
    throw new Error('boom')
  }
  await t.rejects(decideAccelerator({ probe, timeoutMs: 100, kvmDevice }), /boom/)
})

const identity: HostIdentity = { bootId: 'b', qemu: '/usr/bin/qemu-fake', qemuVersion: 'QEMU 9', probe: 'sha' }

function countingProbe(ms: number) {
  let n = 0
  const probe = async (): Promise<AccelDecision> => {
    n++
    await new Promise(r => setTimeout(r, ms))
    return { accel: 'kvm', reason: 'fake probe', cached: false }
  }
  return { probe, count: () => n }
}

t.test('two concurrent callers of the cache run the probe once', async t => {
  const file = join(dir, 'concurrent.json')
  const p = countingProbe(400)
  const [a, b] = await Promise.all([cachedDecision(file, identity, 1000, p.probe), cachedDecision(file, identity, 1000, p.probe)])
  t.equal(p.count(), 1, 'one probe')
  t.same([a.accel, b.accel], ['kvm', 'kvm'])
  t.same([a.cached, b.cached].sort(), [false, true], 'the other caller got the cached result')
  t.same((await readdir(dir)).filter(n => n.startsWith('concurrent') || n.startsWith('.concurrent')), ['concurrent.json'], 'lock removed')
  const again = await cachedDecision(file, identity, 1000, p.probe)
  t.equal(again.cached, true)
  t.equal(p.count(), 1)
})

t.test('two processes share the probe through the lock file', async t => {
  const file = join(dir, 'processes.json')
  const marker = join(dir, 'probes.log')
  const script = `
    import { appendFileSync } from 'node:fs'
    import { cachedDecision } from ${JSON.stringify(new URL('../../../src/qemu/accel-cache.ts', import.meta.url).pathname)}
    const d = await cachedDecision(${JSON.stringify(file)}, ${JSON.stringify(identity)}, 1000, async () => {
      appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n')
      await new Promise(r => setTimeout(r, 800))
      return { accel: 'tcg', reason: 'probed by ' + process.pid, cached: false }
    })
    console.log(JSON.stringify(d))`
  const run = () => execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])
  const [a, b] = await Promise.all([run(), run()])
  const [da, db] = [JSON.parse(a.stdout) as AccelDecision, JSON.parse(b.stdout) as AccelDecision]
  t.equal((await import('node:fs')).readFileSync(marker, 'utf8').trim().split('\n').length, 1, 'one probe in all')
  t.equal(da.reason, db.reason, 'same decision')
})

t.test('a stale lock of a dead process is taken over', async t => {
  const file = join(dir, 'stale.json')
  const dead = execa('true')
  const deadPid = dead.pid as number
  await dead
  await writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid, at: Date.now() }))
  const p = countingProbe(10)
  const started = Date.now()
  const d = await cachedDecision(file, identity, 5000, p.probe)
  t.equal(p.count(), 1, 'probed')
  t.equal(d.cached, false)
  t.ok(Date.now() - started < 2000, 'without waiting for the lock to age')
  t.notOk((await readdir(dir)).includes('stale.json.lock'), 'lock removed afterwards')
})

t.test('runProbe kills a QEMU that never ends at the timeout (execa timeout)', async t => {
  const fake = join(dir, 'qemu-sleeps')
  await writeFile(fake, '#!/bin/sh\nprintf RP\nexec sleep 60\n')
  await chmod(fake, 0o755)
  const started = Date.now()
  const p = await runProbe('kvm', { qemu: fake, timeoutMs: 300, env: process.env })
  t.equal(p.ok, false)
  t.equal(p.timedOut, true)
  t.equal(p.signal, 'SIGKILL')
  t.equal(p.output, 'RP')
  t.ok(Date.now() - started < 3000, 'returned soon after the timeout')
  t.notOk(trackedPids().includes(p.pid as number), 'no longer registered')
  t.throws(() => process.kill(p.pid as number, 0), { code: 'ESRCH' }, 'reaped')
})

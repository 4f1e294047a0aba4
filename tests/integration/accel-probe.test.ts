import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { detectAccelerator, resolveQemuBinary, runProbe, type ProbeResult } from '../../src/qemu/accel.js'
import { PROBE_EXIT_STATUS, PROBE_OK_TEXT } from '../../src/qemu/probe/index.js'
import { trackedPids } from '../../src/qemu/registry.js'

const QEMU = 'qemu-system-x86_64'
const haveKvmDevice = existsSync('/dev/kvm')
// Detection results must not depend on the caller's environment.
const env = { ...process.env }
delete env.BOOTCHECK_ACCEL

/** The probe QEMU with this pid no longer exists (not even as a zombie). */
function gone(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function assertProbeGone(t: Pick<typeof import('tap').t, 'ok' | 'notOk' | 'type'>, p: ProbeResult): void {
  t.type(p.pid, 'number', `${p.accel} probe has a pid`)
  t.ok(gone(p.pid), `${p.accel} probe QEMU (pid ${p.pid}) is gone`)
  t.notOk(trackedPids().includes(p.pid as number), 'and no longer registered')
}

const tmp = await mkdtemp(join(tmpdir(), 'bootcheck-accel-it-'))
t.teardown(() => rm(tmp, { recursive: true, force: true }))

/**
 * Runs fn with os.tmpdir() pointing at an empty private folder (runProbe puts its temporary
 * image there) and returns what is left in it afterwards.
 */
async function withPrivateTmp<T>(fn: () => Promise<T>): Promise<{ value: T; leftovers: string[] }> {
  const dir = await mkdtemp(join(tmp, 'tmpdir-'))
  const saved = process.env.TMPDIR
  process.env.TMPDIR = dir
  try {
    const value = await fn()
    return { value, leftovers: await readdir(dir) }
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
  }
}

t.test('runProbe("tcg") reaches long mode under emulation', async t => {
  const { value: p, leftovers } = await withPrivateTmp(() => runProbe('tcg', { qemu: QEMU }))
  t.comment(`TCG probe: ${p.ms} ms, output ${JSON.stringify(p.output)}`)
  t.ok(p.ok, 'ok')
  t.match(p.output, /^RPL\.{4}BOOTCHECK-PROBE-OK\n$/)
  t.equal(p.exitCode, PROBE_EXIT_STATUS, 'exited through isa-debug-exit')
  t.equal(p.timedOut, false)
  t.ok(p.ms > 0 && p.ms < 5000, 'within the timeout')
  assertProbeGone(t, p)
  t.same(leftovers, [], 'temporary image removed')
})

let kvmProbe: ProbeResult | undefined
t.test('runProbe("kvm") either works or is killed at the timeout', { skip: !haveKvmDevice && 'no /dev/kvm' }, async t => {
  const started = Date.now()
  const { value: p, leftovers } = await withPrivateTmp(() => runProbe('kvm', { qemu: QEMU, timeoutMs: 5000 }))
  kvmProbe = p
  t.comment(`KVM probe: ok=${p.ok} ${p.ms} ms, output ${JSON.stringify(p.output)}, stderr ${JSON.stringify(p.stderr.trim())}`)
  if (p.ok) {
    t.match(p.output, PROBE_OK_TEXT)
    t.equal(p.exitCode, PROBE_EXIT_STATUS)
  } else if (p.timedOut) {
    t.equal(p.signal, 'SIGKILL', 'killed by pid with SIGKILL')
    t.ok(Date.now() - started < 5000 + 4000, 'returned soon after the timeout')
  }
  assertProbeGone(t, p)
  t.same(leftovers, [], 'temporary image removed')
})

t.test('detectAccelerator with a fresh cache file', async t => {
  const cacheFile = join(tmp, 'fresh.json')
  // Two concurrent callers share one probe.
  const [a, b] = await Promise.all([
    detectAccelerator({ qemu: QEMU, cacheFile, env }),
    detectAccelerator({ qemu: QEMU, cacheFile, env }),
  ])
  t.comment(`decision: ${a.accel} — ${a.reason}`)
  // with a KVM device they share one probe (the same object); without one there is no probe
  if (haveKvmDevice) t.equal(a, b, 'concurrent callers got the same in-flight decision')
  else t.same(a, b, 'concurrent callers got the same decision')
  t.ok(a.reason.length > 0, 'reason is non-empty')
  t.equal(a.cached, false)

  if (!haveKvmDevice) {
    t.equal(a.accel, 'tcg')
    t.match(a.reason, /\/dev\/kvm/)
    return
  }
  t.ok(a.probes && a.probes.length >= 1, 'a probe ran')
  for (const p of a.probes ?? []) assertProbeGone(t, p)
  const kvm = a.probes?.[0]
  t.equal(kvm?.accel, 'kvm')
  t.match(a.reason, /probe/, 'the reason mentions the probe')
  if (kvm && !kvm.ok) {
    t.equal(a.accel, 'tcg', 'KVM probe failed -> TCG')
    t.match(a.reason, /falling back to TCG/)
  } else if (a.accel === 'tcg') {
    t.match(a.reason, /too slow/, 'KVM worked but slower than TCG -> TCG')
  } else {
    t.equal(a.accel, 'kvm', 'KVM probe ok -> KVM')
  }
  // Consistent with the separate runProbe('kvm') (unless KVM is merely slow).
  if (kvmProbe && !kvmProbe.ok) t.equal(a.accel, 'tcg', 'runProbe("kvm") failed, so detect says tcg')
  if (kvmProbe?.ok && kvmProbe.ms < 1000) t.equal(a.accel, 'kvm', 'runProbe("kvm") was fast, so detect says kvm')

  // The cache file holds the decision, written atomically (no temp files left).
  const content = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, { accel: string; qemu: string; bootId: string }> }
  const entries = Object.values(content.entries)
  t.equal(entries.length, 1)
  t.equal(entries[0]?.accel, a.accel)
  t.equal(entries[0]?.qemu, await resolveQemuBinary(QEMU))
  t.equal(entries[0]?.bootId, (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim())
  t.same((await readdir(tmp)).filter(n => n.includes('fresh.json') && n !== 'fresh.json'), [], 'no temp or lock files left')

  t.test('the second call uses the cache', async t => {
    const started = Date.now()
    const again = await detectAccelerator({ qemu: QEMU, cacheFile, env })
    t.equal(again.cached, true)
    t.equal(again.accel, a.accel)
    t.equal(again.reason, a.reason)
    t.equal(again.probes, undefined, 'no probe ran')
    t.ok(Date.now() - started < 2000, 'fast')
  })

  t.test('a different binary path invalidates the cache', async t => {
    const link = join(tmp, 'qemu-link')
    await symlink(await resolveQemuBinary(QEMU), link)
    const other = await detectAccelerator({ qemu: link, cacheFile, env })
    t.equal(other.cached, false, 'probed again')
    t.ok(other.probes && other.probes.length >= 1)
    t.equal(other.accel, a.accel, 'same host, same answer')
    for (const p of other.probes ?? []) assertProbeGone(t, p)
    const content = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, unknown> }
    t.equal(Object.keys(content.entries).length, 2, 'both binaries cached')
    t.equal((await detectAccelerator({ qemu: link, cacheFile, env })).cached, true)
    t.equal((await detectAccelerator({ qemu: QEMU, cacheFile, env })).cached, true)
  })
})

t.test('detectAccelerator honours BOOTCHECK_ACCEL', async t => {
  const cacheFile = join(tmp, 'env.json')
  for (const accel of ['kvm', 'tcg'] as const) {
    const d = await detectAccelerator({ qemu: QEMU, cacheFile, env: { ...env, BOOTCHECK_ACCEL: accel } })
    t.same(d, { accel, reason: `BOOTCHECK_ACCEL=${accel}`, cached: false })
  }
  t.notOk(existsSync(cacheFile), 'no probe, no cache write')
  await t.rejects(detectAccelerator({ qemu: QEMU, cacheFile, env: { ...env, BOOTCHECK_ACCEL: 'xen' } }), {
    message: /Invalid BOOTCHECK_ACCEL="xen": valid values are kvm, tcg, auto/,
  })
})

t.test('a missing QEMU binary is a clear error', async t => {
  const message = "QEMU binary 'qemu-system-nope' not found: install it (Debian: apt-get install qemu-system-x86)"
  await t.rejects(detectAccelerator({ qemu: 'qemu-system-nope', cacheFile: join(tmp, 'missing.json'), env }), { message })
  await t.rejects(runProbe('tcg', { qemu: 'qemu-system-nope' }), { message })
})

t.test('no probe QEMU is left registered', async t => {
  t.same(trackedPids(), [])
})

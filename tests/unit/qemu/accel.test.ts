import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { detectAccelerator, resolveQemuBinary } from '../../../src/qemu/accel.js'
import { describeProbeProgress, probeQemuArgs, PROBE_EXIT_STATUS } from '../../../src/qemu/probe/index.js'
import { BootcheckError, QemuStartError } from '../../../src/errors/errors.js'

t.test('BOOTCHECK_ACCEL overrides without probing', async t => {
  for (const v of ['kvm', 'tcg', ' TCG '] as const) {
    const d = await detectAccelerator({ qemu: '/nonexistent/qemu', env: { BOOTCHECK_ACCEL: v }, cacheFile: null })
    t.equal(d.accel, v.trim().toLowerCase())
    t.equal(d.reason, `BOOTCHECK_ACCEL=${v.trim().toLowerCase()}`)
    t.equal(d.cached, false)
    t.equal(d.probes, undefined)
  }
})

t.test('an invalid BOOTCHECK_ACCEL is an error listing the valid values', async t => {
  await t.rejects(detectAccelerator({ env: { BOOTCHECK_ACCEL: 'hvf' }, cacheFile: null }), {
    name: 'BootcheckError',
    message: /BOOTCHECK_ACCEL="hvf".*kvm, tcg, auto/,
  })
  await t.rejects(detectAccelerator({ env: { BOOTCHECK_ACCEL: 'hvf' } }), BootcheckError)
})

t.test('a missing QEMU binary is a clear error', async t => {
  const msg = "QEMU binary 'qemu-does-not-exist' not found: install it (Debian: apt-get install qemu-system-x86)"
  await t.rejects(resolveQemuBinary('qemu-does-not-exist'), { message: msg })
  await t.rejects(detectAccelerator({ qemu: 'qemu-does-not-exist', cacheFile: null }), { name: 'QemuStartError', message: msg })
  await t.rejects(detectAccelerator({ qemu: '/no/such/qemu', cacheFile: null }), QemuStartError)
})

t.test('no usable KVM device means TCG without a probe', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-accel-env-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // A fake "qemu" that must never be run: it would leave a marker.
  const fake = join(dir, 'qemu-fake')
  await writeFile(fake, `#!/bin/sh\ntouch ${join(dir, 'ran')}\nexit 1\n`)
  await chmod(fake, 0o755)

  const d = await detectAccelerator({ qemu: fake, kvmDevice: join(dir, 'kvm'), cacheFile: null, env: {} })
  t.equal(d.accel, 'tcg')
  t.match(d.reason, /^no .*kvm \(KVM not available on this host\): using TCG$/)
  t.equal(d.probes, undefined)

  if (process.getuid?.() !== 0) {
    const dev = join(dir, 'kvm-ro')
    await writeFile(dev, '')
    await chmod(dev, 0o400)
    const d2 = await detectAccelerator({ qemu: fake, kvmDevice: dev, cacheFile: null, env: {} })
    t.equal(d2.accel, 'tcg')
    t.match(d2.reason, /not readable and writable/)
  }
})

t.test('describeProbeProgress says how far the probe got', async t => {
  t.match(describeProbeProgress(''), /printed nothing/)
  t.match(describeProbeProgress('R'), /real mode/)
  t.match(describeProbeProgress('RP'), /protected mode but not long mode/)
  t.match(describeProbeProgress('RPL'), /long mode but finished only 0\/4/)
  t.match(describeProbeProgress('RPL..'), /only 2\/4/)
  t.match(describeProbeProgress('RPX'), /EFER\.LMA/)
  t.match(describeProbeProgress('RPL....BOOTCHECK-PROBE-OK\n'), /finished/)
})

t.test('probe QEMU arguments', async t => {
  const args = probeQemuArgs('kvm', '/tmp/x.img')
  t.same(args.slice(0, 2), ['-accel', 'kvm'])
  t.ok(args.includes('isa-debug-exit,iobase=0xf4,iosize=0x04'))
  t.ok(args.includes('file=/tmp/x.img,format=raw,if=ide'))
  t.equal(PROBE_EXIT_STATUS, 33)
})

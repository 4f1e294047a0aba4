// Handovers on real QEMU: a reset inside the guest is reported as one (QEMU's RESET, a new
// boot id) with the next system's shell up; a handover into a panic fails within seconds
// with the panic's lines. switch-root: switch-root.test.ts; kexec: kexec.test.ts; a reset
// into an installed disk: install.test.ts.
import t from 'tap'
import { GuestFailureError } from '../../src/index.js'
import { demoShell } from './demo-shell.js'

t.test('a reset inside the guest: kind reset, a new kernel boot, the next shell answers', async t => {
  const vm = await demoShell(t, 'reset')
  await vm.succeed('echo before > /root/mark')
  const r = await vm.handover(() => vm.console.sendLine('reboot -f'), { expect: 'stage-1: bootcheck live stage 1' })
  t.equal(r.kind, 'reset')
  t.not(r.after.bootId, r.before.bootId, 'a new boot id')
  t.match(r.before.bootId, /^[0-9a-f-]{36}$/)
  t.ok(r.durationMs > 0 && r.durationMs < 120_000, `the next shell after ${r.durationMs} ms`)
  await vm.fail('test -e /root/mark') // the tmpfs root of the earlier boot is gone
})

t.test('a handover into a kernel panic fails at once with the panic lines', async t => {
  const vm = await demoShell(t, 'panic')
  const started = Date.now()
  const e = await vm.handover(() => vm.console.sendLine('echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger'), { timeout: 120_000 }).catch(x => x)
  t.type(e, GuestFailureError)
  t.match(e.message, /kernel panic[\s\S]*sysrq/i, 'the message quotes the panic')
  t.ok(Date.now() - started < 30_000, `failed after ${Date.now() - started} ms, not at the 120 s timeout`)
})

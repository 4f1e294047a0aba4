// Handovers on real QEMU, from each guest of guests.ts: a reset inside the guest is
// reported as one (QEMU's RESET, a new boot id) with the next system's shell up; from the
// Debian guest (systemd as PID 1) the CD is swapped for the demo ISO first, so its next
// boot takes 15 s instead of another 90 s live-boot; a handover into a panic fails within
// seconds with the panic's lines. switch-root: switch-root.test.ts; kexec: kexec.test.ts;
// a reset into an installed disk: install.test.ts.
import t from 'tap'
import { GuestFailureError } from '../../src/index.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { guests } from './guests.js'

const media = await demoMedia()

for (const guest of guests) {
  t.test(`${guest.name}: a reset inside the guest: kind reset, a new kernel boot, the next shell answers`, async t => {
    const vm = await guest.shell(t, 'reset')
    await vm.succeed('echo before > /root/mark')
    if (guest.name === 'debian') {
      await vm.eject('cdrom') // toram: the system runs from RAM
      await vm.insert(media.iso)
    }
    const r = await vm.handover(() => vm.console.sendLine('reboot -f'), { expect: 'stage-1: bootcheck live stage 1' })
    t.equal(r.kind, 'reset')
    t.not(r.after.bootId, r.before.bootId, 'a new boot id')
    t.match(r.before.bootId, /^[0-9a-f-]{36}$/)
    if (guest.name === 'debian') t.match(r.before.init, /systemd|\/sbin\/init/, 'before: systemd was PID 1')
    t.ok(r.durationMs > 0 && r.durationMs < 120_000, `the next shell after ${r.durationMs} ms`)
    await vm.fail('test -e /root/mark') // the tmpfs root of the earlier boot is gone
  })

  t.test(`${guest.name}: a handover into a kernel panic fails at once with the panic lines`, async t => {
    const vm = await guest.shell(t, 'panic')
    const started = Date.now()
    const e = await vm.handover(() => vm.console.sendLine('echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger'), { timeout: 120_000 }).catch(x => x)
    t.type(e, GuestFailureError)
    t.match(e.message, /kernel panic[\s\S]*sysrq/i, 'the message quotes the panic')
    t.ok(Date.now() - started < 30_000, `failed after ${Date.now() - started} ms, not at the 120 s timeout`)
  })
}

// The NixOS-driver waits on a systemd guest (the Debian live-boot ISO, restored once for
// the whole file from the 'debian-shell' snapshot that guests.ts shares): waitForUnit
// returns when a unit that starts late is active, and fails at once (long before its
// timeout) with a SystemdError quoting `systemctl status` when a unit fails, does not exist
// or is left inactive; waitForOpenPort and waitForClosedPort follow a listener the unit
// runs; vm.systemctl throws for a failed start; waitForFile waits for a file a transient unit writes.
import t from 'tap'
import { SystemdError, TimeoutError } from '../../src/index.js'
import { guests } from './guests.js'

const debian = guests.find(g => g.name === 'debian')
if (!debian) {
  t.pass('BOOTCHECK_GUESTS leaves out debian')
} else {
  const vm = await debian.shell(t, 'services')

  // Units in /run/systemd/system vanish with the machine; the snapshot is never changed.
  // printf %b turns the \n typed in the one command line into the file's newlines.
  const unit = (name: string, body: string): Promise<string> =>
    vm.succeed(`printf '%b\\n' '${body.replace(/'/g, `'\\''`).replace(/\n/g, '\\n')}' > /run/systemd/system/${name}`)
  await unit('bc-late.service', '[Service]\nExecStartPre=/bin/sleep 3\nExecStart=/usr/bin/nc -lk 7777')
  // It fails in ExecStartPre, so it is `activating` until `failed` and never `active`: a
  // failing ExecStart of a simple service is `active` for a moment (the suite saw the wait
  // return in that moment once).
  await unit('bc-broken.service', "[Service]\nExecStartPre=/bin/sh -c 'sleep 2; echo bc-broken-says-goodbye; exit 3'\nExecStart=/bin/true")
  await unit('bc-oneshot.service', '[Service]\nType=oneshot\nExecStart=/bin/true')
  // A oneshot's start job waits for ExecStart, so `systemctl start` itself fails.
  await unit('bc-start-fails.service', "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo bc-start-fails-says-no; exit 4'")
  await vm.systemctl('daemon-reload')

  t.test('units that are up: journald, basic.target', async t => {
    const journald = await vm.waitForUnit('systemd-journald.service', { timeout: 60_000 })
    t.equal(journald.activeState, 'active')
    t.equal(journald.id, 'systemd-journald.service')
    t.equal((await vm.waitForUnit('basic.target')).activeState, 'active')
  })

  t.test('a unit that starts late, its port opening and closing', async t => {
    await vm.waitForClosedPort(7777, { timeout: 10_000 })
    await vm.systemctl('start --no-block bc-late.service')
    const started = Date.now()
    const state = await vm.waitForUnit('bc-late.service', { timeout: 60_000 })
    t.ok(Date.now() - started >= 2000, 'waited through ExecStartPre (sleep 3)')
    t.equal(state.subState, 'running')
    await vm.waitForOpenPort(7777, { timeout: 30_000 })
    t.match(await vm.succeed('ss -ltn'), /:7777\b/, 'the guest lists the listener')
    await vm.systemctl(['stop', 'bc-late.service'])
    await vm.waitForClosedPort(7777, { timeout: 30_000 })
    t.pass('the port closed with the unit')
  })

  t.test('a failing unit fails the wait at once, naming it and quoting its status', async t => {
    await vm.systemctl('start --no-block bc-broken.service')
    const started = Date.now()
    const e = await vm.waitForUnit('bc-broken.service', { timeout: 120_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const took = Date.now() - started
    t.ok(e instanceof SystemdError, `a SystemdError (${String(e)})`)
    const err = e as SystemdError
    t.equal(err.code, 'BOOTCHECK_SYSTEMD')
    t.equal(err.unit, 'bc-broken.service')
    t.equal(err.state, 'failed')
    t.match(err.message, /Unit 'bc-broken\.service' on services reached state 'failed' \(result: exit-code\)/)
    t.match(err.message, /systemctl status bc-broken\.service:\n {2}\| /, 'the status is quoted')
    t.match(err.status, /bc-broken-says-goodbye|status=3/, "the status shows the unit's output or exit status")
    t.ok(took < 30_000, `failed after ${took} ms, not at the 120 s timeout`)
    await vm.systemctl('reset-failed bc-broken.service')
  })

  t.test('systemctl start of a failing unit throws a SystemdError', async t => {
    const e = await vm.systemctl('start bc-start-fails.service').then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(e instanceof SystemdError, String(e))
    const err = e as SystemdError
    t.equal(err.unit, 'bc-start-fails.service')
    t.equal(err.state, 'failed')
    t.match(err.message, /'systemctl start bc-start-fails\.service' on services exited with status 1 \(unit 'bc-start-fails\.service', now failed\)/)
    t.match(err.message, /stderr:\n {2}\| Job for bc-start-fails\.service failed/, "systemctl's own words are quoted")
    t.match(err.message, /systemctl status bc-start-fails\.service:\n(?: {2}\| .*\n)*.*bc-start-fails-says-no/, 'and the status with the unit\'s output')
    t.equal((await vm.run('systemctl is-active bc-start-fails.service')).output, 'failed\n', 'a query whose status is the answer goes through vm.run')
    await vm.systemctl('reset-failed bc-start-fails.service')
  })

  t.test('a unit that does not exist, or is left inactive, fails at once', async t => {
    const started = Date.now()
    await t.rejects(vm.waitForUnit('bc-no-such.service', { timeout: 120_000 }), { code: 'BOOTCHECK_SYSTEMD', message: /does not exist/ })
    await vm.systemctl('start bc-oneshot.service')
    await t.rejects(vm.waitForUnit('bc-oneshot.service', { timeout: 120_000 }), {
      code: 'BOOTCHECK_SYSTEMD',
      message: /is inactive \(dead\) and no job is queued that could start it/,
    })
    t.ok(Date.now() - started < 30_000, 'both long before their timeouts')
  })

  t.test('waitForFile waits for a file a transient unit writes; a file that never comes times out', async t => {
    await vm.succeed("systemd-run --quiet /bin/sh -c 'sleep 2; touch /tmp/bc-file'")
    await vm.waitForFile('/tmp/bc-file', { timeout: 30_000 })
    t.equal(await vm.succeed('test -e /tmp/bc-file && echo yes'), 'yes\n')
    const e = await vm.waitForFile('/tmp/bc-never', { timeout: 2000 }).catch((e: unknown) => e)
    t.ok(e instanceof TimeoutError, String(e))
    t.match(String((e as Error).message), /services waited 2 s for file \/tmp\/bc-never to exist/)
  })
}

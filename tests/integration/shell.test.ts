// `bootcheck shell` in a real pseudo-terminal: boot the demo ISO, type at its shell,
// Ctrl-C reaches the guest, Ctrl-] q powers it off, and no QEMU is left behind; a closed
// terminal (SIGHUP) ends QEMU too; a missing ISO fails before any QEMU starts.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnOnPty } from './cli-helpers.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { alive } from './process.js'
import { sleep } from '../../src/util/sleep.js'

const media = await demoMedia() // build before timing anything
const fixture = fileURLToPath(new URL('./fixtures/shell-cli.ts', import.meta.url))

/** The CLI on a pseudo-terminal. */
function startShell(args: string[], artifacts: string) {
  return spawnOnPty(process.execPath, ['--import', 'tsx', fixture, ...args], { env: { ...process.env, BOOTCHECK_ARTIFACTS: artifacts } })
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (alive(pid) && Date.now() < deadline) await sleep(100)
  return !alive(pid)
}

t.test('an interactive session: type, interrupt, leave with Ctrl-] q', async t => {
  const started = Date.now()
  const sh = startShell(['--iso', media.iso], join(t.testdir({}), 'artifacts'))
  let qemuPid = 0
  t.teardown(() => {
    if (qemuPid && alive(qemuPid)) process.kill(qemuPid, 'SIGKILL')
    sh.term.kill('SIGKILL')
  })
  await sh.waitFor(/QEMU pid (\d+); artifacts .* in \S+/, 120_000)
  qemuPid = Number(/QEMU pid (\d+)/.exec(sh.output())![1])
  t.match(sh.output(), /runs on (TCG|KVM), QEMU pid/, 'says which accelerator')
  t.ok(alive(qemuPid), `QEMU ${qemuPid} runs`)
  let at = await sh.waitFor(/Ctrl-\] q: power off, Ctrl-\] \?: help/, 10_000)
  at = await sh.waitFor(/# $/, 480_000, at)
  t.pass(`the guest's shell prompt after ${Math.round((Date.now() - started) / 1000)} s`)

  // Raw mode: Ctrl-C goes to the guest (interrupting sleep) instead of ending the CLI.
  sh.term.write('sleep 600\r')
  at = await sh.waitFor(/sleep 600\r*\n/, 20_000, at)
  await sleep(1000)
  sh.term.write('\x03')
  sh.term.write('echo $((6*7))\r')
  at = await sh.waitFor(/^42\r*$/m, 30_000, at)
  t.pass('Ctrl-C interrupted sleep in the guest, and the typed command printed 42')

  // Ctrl-] ? prints the help without sending anything; then Ctrl-] q powers off.
  sh.term.write('\x1d')
  await sleep(200)
  sh.term.write('?')
  at = await sh.waitFor(/send a literal Ctrl-\]/, 10_000, at)
  sh.term.write('\x1dq')
  const exit = await sh.exited
  t.equal(exit.exitCode, 0, 'the CLI exits 0')
  t.match(sh.output().slice(at), /Powering off shell \(ACPI power button\)/)
  t.match(sh.output().slice(at), /stage-2: shutting down/, 'the guest shut down by itself')
  t.match(sh.output().slice(at), /shell powered off\./)
  t.match(sh.output(), /stdin raw after: false/, 'the terminal left raw mode')
  t.ok(await gone(qemuPid, 5000), `QEMU ${qemuPid} is gone`)
  t.comment(`session took ${Math.round((Date.now() - started) / 1000)} s`)
})

t.test('closing the terminal (SIGHUP) ends QEMU', async t => {
  const sh = startShell(['--iso', media.iso, '--accel', 'tcg', '--name', 'hangup'], join(t.testdir({}), 'artifacts'))
  let qemuPid = 0
  t.teardown(() => {
    if (qemuPid && alive(qemuPid)) process.kill(qemuPid, 'SIGKILL')
  })
  const at = await sh.waitFor(/QEMU pid (\d+)/, 120_000)
  qemuPid = Number(/QEMU pid (\d+)/.exec(sh.output())![1])
  await sh.waitFor(/Serial console of hangup/, 10_000, at)
  sh.term.kill('SIGHUP')
  const exit = await sh.exited
  t.ok(exit.exitCode === 129 || exit.signal === 1, `ended by the hangup (${JSON.stringify(exit)})`)
  t.ok(await gone(qemuPid, 5000), `QEMU ${qemuPid} is gone`)
})

t.test('a missing ISO: a clear error, exit status 2, no QEMU started', async t => {
  const dir = t.testdir({})
  // A stand-in QEMU that leaves a mark if anything starts it.
  const marker = join(dir, 'qemu-started')
  const fakeQemu = join(dir, 'qemu-system-x86_64')
  writeFileSync(fakeQemu, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 })
  const r = await execa(process.execPath, ['--import', 'tsx', fixture, '--iso', join(dir, 'nope.iso')], {
    reject: false,
    env: { BOOTCHECK_QEMU: fakeQemu, BOOTCHECK_ARTIFACTS: join(dir, 'artifacts') },
  })
  t.equal(r.exitCode, 2)
  t.match(r.stderr, /^bootcheck shell: the ISO \(--iso\) '.*nope\.iso' does not exist\./)
  t.notOk(existsSync(marker), 'QEMU was never started')
  t.notOk(existsSync(join(dir, 'artifacts')), 'no machine was made')
})

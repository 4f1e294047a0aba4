import t, { type Test } from 'tap'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { QmpClient, QmpError } from '../../src/qmp/index.js'

const QEMU = 'qemu-system-x86_64'

function have(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

if (!have(QEMU)) t.plan(0, `${QEMU} not installed`)

/**
 * setpriv execs QEMU (same pid) with PR_SET_PDEATHSIG, so QEMU is killed even if
 * this test process is SIGKILLed (e.g. by tap's timeout) before any teardown runs.
 */
const LAUNCH = have('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', QEMU] : [QEMU]

interface Vm {
  proc: ChildProcess
  qmp: QmpClient
  dir: string
  exited: Promise<number | null>
  stderr: () => string
}

/** Starts a paused QEMU with a QMP socket; it is SIGKILLed (by pid) at teardown if still alive. */
async function startQemu(t: Test, extraArgs: string[] = []): Promise<Vm> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-it-'))
  await fs.chmod(dir, 0o700)
  const sock = path.join(dir, 'qmp.sock')
  const args = ['-accel', 'tcg', '-nodefaults', '-display', 'none', '-S', '-m', '64']
  args.push('-qmp', `unix:${sock},server=on,wait=off`, ...extraArgs)
  const [cmd = QEMU, ...prefix] = LAUNCH
  const proc = spawn(cmd, [...prefix, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const exited = new Promise<number | null>(resolve => proc.once('exit', code => resolve(code)))
  proc.once('error', () => {}) // spawn failure shows up as exit + isAlive() false
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null
  const killNow = (): void => {
    if (alive() && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL')
  }
  process.once('exit', killNow) // last resort if the test process dies without teardown
  t.teardown(async () => {
    killNow()
    await exited
    process.removeListener('exit', killNow)
    await fs.rm(dir, { recursive: true, force: true })
  })
  let qmp: QmpClient
  try {
    qmp = await QmpClient.connect(sock, { timeoutMs: 15_000, isAlive: alive })
  } catch (err) {
    throw new Error(`QMP connect failed; QEMU stderr:\n${stderr}`, { cause: err })
  }
  t.teardown(() => qmp.close())
  return { proc, qmp, dir, exited, stderr: () => stderr }
}

t.test('basic commands against a paused QEMU', async t => {
  const { qmp, exited, proc } = await startQemu(t)

  const version = await qmp.execute('query-version')
  t.same(version, qmp.greeting.QMP.version, 'query-version matches the greeting')
  t.equal(version.qemu.major >= 7, true)

  const status = await qmp.execute('query-status')
  t.equal(status.running, false)
  t.ok(['prelaunch', 'paused'].includes(status.status), `status is ${status.status}`)

  const commands = await qmp.execute('query-commands')
  t.ok(commands.some(c => c.name === 'blockdev-change-medium'))

  const err = await qmp.execute('query-status', { bogus: 1 } as never).catch((e: unknown) => e)
  t.type(err, QmpError)
  t.match((err as QmpError).message, /^QMP query-status \{"bogus":1\} failed: GenericError: .*bogus/)

  const notFound = await qmp.execute('eject', { id: 'nope' }).catch((e: unknown) => e)
  t.match(notFound, { name: 'QmpError', errorClass: 'DeviceNotFound', message: /^QMP eject \{"id":"nope"\} failed/ })

  const hmp = await qmp.execute('human-monitor-command', { 'command-line': 'info status' })
  t.match(hmp, /VM status: paused \(prelaunch\)/)

  const m = qmp.mark()
  t.same(await qmp.execute('quit'), {})
  const shutdown = await qmp.waitForEvent('SHUTDOWN', { after: m, timeoutMs: 5000 })
  t.equal(shutdown.data.reason, 'host-qmp-quit')
  await qmp.closed
  t.equal(await exited, 0, 'QEMU exited cleanly')
  t.equal(proc.exitCode, 0)
})

const noXorriso = have('xorriso') ? false : 'xorriso not installed'

t.test('change and eject a CD-ROM medium', { skip: noXorriso }, async t => {
  const vm = await startQemu(t, [
    '-machine', 'q35',
    '-drive', 'if=none,id=cd0,media=cdrom',
    '-device', 'ide-cd,drive=cd0,id=cdrom',
  ])
  const { qmp } = vm
  const content = path.join(vm.dir, 'iso-root')
  await fs.mkdir(content)
  await fs.writeFile(path.join(content, 'HELLO.TXT'), 'hello from bootcheck\n')
  const iso = path.join(vm.dir, 'x.iso')
  execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'BOOTCHECK', '-o', iso, content], { stdio: 'ignore' })

  const before = await qmp.execute('query-block')
  const drive = before.find(b => b.qdev === 'cdrom')
  t.ok(drive, 'cdrom listed')
  t.equal(drive?.device, 'cd0')
  t.equal(drive?.inserted, undefined, 'starts empty')

  let m = qmp.mark()
  await qmp.execute('blockdev-change-medium', { id: 'cdrom', filename: iso, format: 'raw' })
  const closedTray = await qmp.waitForEvent('DEVICE_TRAY_MOVED', {
    after: m,
    match: e => !e.data['tray-open'],
    timeoutMs: 5000,
  })
  t.equal(closedTray.data.id, 'cdrom')
  const inserted = (await qmp.execute('query-block')).find(b => b.qdev === 'cdrom')
  t.equal(inserted?.inserted?.file, iso, 'medium inserted')
  t.equal(inserted?.inserted?.ro, true, 'cdrom media are read-only')
  t.equal(inserted?.tray_open, false)

  m = qmp.mark()
  await qmp.execute('eject', { id: 'cdrom', force: true })
  const opened = await qmp.waitForEvent('DEVICE_TRAY_MOVED', { after: m, timeoutMs: 5000 })
  t.same(opened.data, { device: 'cd0', id: 'cdrom', 'tray-open': true })
  const after = (await qmp.execute('query-block')).find(b => b.qdev === 'cdrom')
  t.equal(after?.inserted, undefined, 'no medium after eject')
  t.equal(after?.tray_open, true)

  await qmp.execute('quit')
  await qmp.closed
  t.equal(await vm.exited, 0)
})

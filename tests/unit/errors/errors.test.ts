// The one error family: every error class the package exports is a BootcheckError with its
// own stable code, and bad input fails with a named error before any QEMU starts.
import t from 'tap'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as api from '../../../src/index.js'

type AnyErrorClass = new (message: string) => Error
const errorClasses = Object.entries(api as Record<string, unknown>).filter(
  (e): e is [string, AnyErrorClass] => typeof e[1] === 'function' && (e[1] as { prototype?: unknown }).prototype instanceof Error,
)

t.test('every exported error class is a BootcheckError with a distinct code', async t => {
  t.ok(errorClasses.length >= 15, `found ${errorClasses.length} error classes`)
  const codes = new Map<string, string>()
  for (const [name, Class] of errorClasses) {
    t.ok(Class === api.BootcheckError || Class.prototype instanceof api.BootcheckError, `${name} is a BootcheckError`)
    // Each constructor takes a message (or a first argument a message is made of) first.
    const code = (new Class('x') as api.BootcheckError).code
    t.match(code, /^BOOTCHECK(_[A-Z_]+)?$/, `${name} has a code`)
    t.notOk(codes.has(code), `${name}'s code ${code} is its own (also ${codes.get(code) ?? 'nobody'})`)
    codes.set(code, name)
  }
})

t.test('a QMP timeout is a TimeoutError; names and codes survive', async t => {
  const e = new api.QmpTimeoutError('event RESET', 100)
  t.type(e, api.TimeoutError)
  t.type(e, api.BootcheckError)
  t.equal(e.name, 'QmpTimeoutError')
  t.equal(e.code, 'BOOTCHECK_QMP_TIMEOUT')
  t.equal(new api.SpecError('x').code, 'BOOTCHECK_SPEC')
  t.equal(new api.QmpError('eject', { id: 'cdrom' }, 'GenericError', 'locked').code, 'BOOTCHECK_QMP')
})

t.test("boot() with memory: '0' is a SpecError at once", async t => {
  const started = Date.now()
  await t.rejects(api.boot({ cdrom: '/nonexistent.iso', memory: '0' }), { name: 'SpecError', code: 'BOOTCHECK_SPEC', message: /less than 16 MiB/ })
  t.ok(Date.now() - started < 2000)
})

t.test('under a runner that is gone, boot() fails with RunnerError and starts nothing', async t => {
  const dir = t.testdir({})
  const kernel = join(dir, 'bzImage')
  writeFileSync(kernel, 'not really a kernel, but nothing reads it before the runner is asked')
  const scratchBefore = readdirSync(tmpdir()).filter(n => n.startsWith('bootcheck-'))
  const env = { ...process.env }
  process.env.BOOTCHECK_RUNNER = join(dir, 'gone.sock')
  process.env.BOOTCHECK_ARTIFACTS = join(dir, 'artifacts')
  t.teardown(() => {
    process.env.BOOTCHECK_RUNNER = env.BOOTCHECK_RUNNER
    if (env.BOOTCHECK_RUNNER === undefined) delete process.env.BOOTCHECK_RUNNER
    process.env.BOOTCHECK_ARTIFACTS = env.BOOTCHECK_ARTIFACTS
    if (env.BOOTCHECK_ARTIFACTS === undefined) delete process.env.BOOTCHECK_ARTIFACTS
  })
  const started = Date.now()
  await t.rejects(api.boot({ kernel, accel: 'tcg', name: 'orphan' }), { name: 'RunnerError', code: 'BOOTCHECK_RUNNER', message: /cannot reach the runner/ })
  t.ok(Date.now() - started < 5000, 'fails at once')
  const machineDir = join(dir, 'artifacts')
  const qemuStarted = existsSync(machineDir) && readdirSync(machineDir, { recursive: true }).some(f => String(f).endsWith('qemu-command.txt'))
  t.notOk(qemuStarted, 'no QEMU command was even written')
  const scratchAfter = readdirSync(tmpdir()).filter(n => n.startsWith('bootcheck-') && !scratchBefore.includes(n) && !n.startsWith('bootcheck-run-'))
  t.same(scratchAfter, [], 'its temporary folder is gone')
})

t.test('a text file given as a CD is a MediumError before QEMU starts, not a 300 s wait', async t => {
  const dir = t.testdir({ 'notes.iso': 'these are my notes, not an ISO image\n'.repeat(2000) })
  const started = Date.now()
  await t.rejects(api.boot({ cdrom: join(dir, 'notes.iso'), accel: 'tcg', name: 'not-an-iso' }), {
    name: 'MediumError',
    code: 'BOOTCHECK_MEDIUM',
    message: /notes\.iso/,
  })
  t.ok(Date.now() - started < 5000, `failed in ${Date.now() - started} ms`)
})

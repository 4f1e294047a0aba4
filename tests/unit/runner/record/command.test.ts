// `bootcheck record` command lines and the machine they name: every mistake is a
// UsageError before any QEMU starts; an existing test file is never replaced.
import t from 'tap'
import { join } from 'node:path'
import { UsageError } from '../../../../src/errors/errors.js'
import { parseRecordArgs, recordCommand, resolveRecordTarget } from '../../../../src/runner/record/command.js'
import type { MachineSpec } from '../../../../src/spec/spec.js'

const noConfig = async (name: string): Promise<MachineSpec> => {
  throw new UsageError(`No machine '${name}' in bootcheck.config.ts`)
}

t.test('arguments', async t => {
  t.same(parseRecordArgs(['menu.json'], '/p'), { target: 'menu.json', out: '/p/tests/recorded.test.ts', help: false })
  t.same(parseRecordArgs(['live', '-o', 'x/menu.test.ts', '--name', 'the menu'], '/p'), { target: 'live', out: '/p/x/menu.test.ts', testName: 'the menu', help: false })
  t.equal(parseRecordArgs(['--help']).help, true)
  t.throws(() => parseRecordArgs([]), UsageError, 'no machine')
  t.throws(() => parseRecordArgs(['a', 'b']), { name: 'UsageError', message: /one machine/ })
  t.throws(() => parseRecordArgs(['a', '--out', 'x.js']), { message: /must end in \.ts or \.mts/ })
  t.throws(() => parseRecordArgs(['a', '--bogus']), { name: 'UsageError', message: /bogus/ })
})

t.test('a spec file: paths from its folder, checked, a tablet added', async t => {
  const dir = t.testdir({ 'live.iso': 'not really an ISO', 'menu.json': JSON.stringify({ name: 'menu', cdrom: 'live.iso' }), 'tabletless.json': JSON.stringify({ cdrom: 'live.iso', tablet: false }) })
  const target = await resolveRecordTarget(parseRecordArgs([join(dir, 'menu.json')], dir), noConfig)
  t.same(target.spec, { name: 'menu', cdrom: join(dir, 'live.iso'), tablet: true })
  t.same(target.machine, { spec: { name: 'menu', cdrom: join(dir, 'live.iso'), tablet: true } })
  t.same((await resolveRecordTarget(parseRecordArgs([join(dir, 'tabletless.json')], dir), noConfig)).spec.tablet, false)
})

t.test('a machine of the config: booted by name in the test', async t => {
  const dir = t.testdir({ 'live.iso': 'x' })
  const target = await resolveRecordTarget(parseRecordArgs(['live'], dir), async () => ({ cdrom: join(dir, 'live.iso') }))
  t.same(target.machine, { config: 'live', overrides: { tablet: true } })
  t.same(target.spec, { name: 'live', cdrom: join(dir, 'live.iso'), tablet: true })
})

t.test('mistakes are UsageErrors, at once', async t => {
  const dir = t.testdir({
    'live.iso': 'x',
    'bad.json': '{ nope',
    'array.json': '[]',
    'badfield.json': JSON.stringify({ cdrom: 'live.iso', memory: 'lots' }),
    'missing.json': JSON.stringify({ cdrom: 'gone.iso' }),
    'ok.json': JSON.stringify({ cdrom: 'live.iso' }),
    'exists.test.ts': '// mine',
  })
  const target = (...argv: string[]): Promise<unknown> => resolveRecordTarget(parseRecordArgs(argv, dir), noConfig)
  const started = Date.now()
  await t.rejects(target(join(dir, 'bad.json')), { name: 'UsageError', message: /bad\.json/ })
  await t.rejects(target(join(dir, 'array.json')), { name: 'UsageError', message: /JSON object/ })
  await t.rejects(target(join(dir, 'badfield.json')), { name: 'UsageError', message: /memory/ })
  await t.rejects(target(join(dir, 'missing.json')), { name: 'UsageError', message: /gone\.iso/ })
  await t.rejects(target(join(dir, 'nothere.json')), { name: 'UsageError', message: /no such file/ })
  await t.rejects(target('live'), { name: 'UsageError', message: /No machine 'live'/ })
  await t.rejects(target('a b'), { name: 'UsageError', message: /neither a spec file/ })
  await t.rejects(target(join(dir, 'ok.json'), '--out', join(dir, 'exists.test.ts')), { name: 'UsageError', message: /exists: bootcheck record never replaces/ })
  t.ok(Date.now() - started < 1000, `all answered within a second (${Date.now() - started} ms)`)
  await t.rejects(recordCommand([join(dir, 'ok.json'), '--out', join(dir, 'exists.test.ts')], { resolveMachine: noConfig }), UsageError, 'the command throws it before booting')
})

t.test('--help', async t => {
  let out = ''
  const code = await recordCommand(['--help'], { resolveMachine: noConfig, output: { write: (s: string) => ((out += s), true) } as NodeJS.WritableStream })
  t.equal(code, 0)
  t.match(out, /bootcheck record SPEC\.json/)
})

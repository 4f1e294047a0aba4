import t from 'tap'
import { join } from 'node:path'
import { loadConfig, machineFromConfig } from '../../../src/config/config.js'

t.test('a config is found upwards, its paths resolved against its folder', async t => {
  const dir = t.testdir({
    'bootcheck.config.ts': `export default { machines: { live: { cdrom: 'media/live.iso', disks: ['d.img', { image: '/abs/e.img', id: 'e' }], memory: '2G' } }, run: { jobs: 3 } }`,
    sub: { deeper: {} },
  })
  const { path, config } = await loadConfig(join(dir, 'sub', 'deeper'), {})
  t.equal(path, join(dir, 'bootcheck.config.ts'))
  t.same(config.run, { jobs: 3 })
  t.same(config.machines!.live, { name: 'live', cdrom: join(dir, 'media/live.iso'), disks: [join(dir, 'd.img'), { image: '/abs/e.img', id: 'e' }], memory: '2G' })
})

t.test('BOOTCHECK_CONFIG names the file; a missing one is an error', async t => {
  const dir = t.testdir({ 'other.ts': `export default { machines: { a: { kernel: 'k' } } }` })
  const { config } = await loadConfig('/', { BOOTCHECK_CONFIG: join(dir, 'other.ts') })
  t.equal(config.machines!.a!.kernel, join(dir, 'k'))
  await t.rejects(loadConfig('/', { BOOTCHECK_CONFIG: join(dir, 'nope.ts') }), /nope\.ts does not exist \(from BOOTCHECK_CONFIG\)/)
})

t.test('a config that does not load, or exports no object, says so', async t => {
  const dir = t.testdir({ 'broken.ts': `export default {{`, 'number.ts': `export default 42`, 'machines.ts': `export default { machines: 'x' }` })
  await t.rejects(loadConfig('/', { BOOTCHECK_CONFIG: join(dir, 'broken.ts') }), /Cannot load config .*broken\.ts/)
  await t.rejects(loadConfig('/', { BOOTCHECK_CONFIG: join(dir, 'number.ts') }), /must export an object/)
  await t.rejects(loadConfig('/', { BOOTCHECK_CONFIG: join(dir, 'machines.ts') }), /'machines' must be an object/)
})

t.test('machineFromConfig lays overrides over a definition and lists names it does not know', async t => {
  const dir = t.testdir({ 'bootcheck.config.ts': `export default { machines: { live: { cdrom: '/x.iso', memory: '1G' }, net: { kernel: '/k' } } }` })
  process.env.BOOTCHECK_CONFIG = join(dir, 'bootcheck.config.ts')
  t.teardown(() => void delete process.env.BOOTCHECK_CONFIG)
  t.same(await machineFromConfig('live', { memory: '2G', kernelParams: ['copytoram'] }), { name: 'live', cdrom: '/x.iso', memory: '2G', kernelParams: ['copytoram'] })
  await t.rejects(machineFromConfig('nope'), /No machine 'nope' in .*bootcheck\.config\.ts\. Known machines: live, net\./)
})

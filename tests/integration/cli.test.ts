// The CLI as users run it: `bootcheck run` on the examples folder (scripts/demo.sh's main job),
// against the compiled package, the way a user's project imports it.
import t from 'tap'
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { demoMedia } from '../../vm-configs/demo.js'
import { findTestFiles } from '../../src/runner/cli.js'
import { buildPackage, cli, importBoot, root } from './cli-helpers.js'


t.test('bootcheck run examples/ boots the demo media and passes', async t => {
  const media = await demoMedia()
  const dir = t.testdir({})
  const manifest = join(dir, 'media.json')
  await writeFile(manifest, JSON.stringify(media))
  await buildPackage()
  const r = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), 'examples/'], {
    cwd: root,
    reject: false,
    env: { BOOTCHECK_DEMO_MEDIA: manifest, BOOTCHECK_ARTIFACTS: join(dir, 'artifacts') },
    all: true,
  })
  t.equal(r.exitCode, 0, 'the run passes')
  t.match(r.all, /ISO detached after copytoram/)
  t.match(r.all, /a reboot wipes everything but the persisted paths/)
  t.match(r.all, /persisted paths survive a power cycle of the disk/)
  t.match(r.all, /# \{ total: \d+, pass: \d+ \}/)
})

t.test('--update-screens: a missing reference fails, the flag writes it, the next run passes', async t => {
  const media = await demoMedia()
  const dir = t.testdir({})
  const file = join(dir, 'screen.test.ts')
  await writeFile(
    file,
    [
      `import t from 'tap'`,
      importBoot,
      `t.test('the prompt', async t => {`,
      `  const vm = await boot(t, { cdrom: ${JSON.stringify(media.iso)} })`,
      `  await vm.console.waitFor('boot: ')`,
      `  await vm.type('live')`,
      `  await vm.waitForStillScreen({ stillFor: 1000, maxDiffPixels: 40 })`,
      `  await vm.expectScreen('prompt', { maxDiffPixels: 40 })`,
      `})`,
    ].join('\n'),
  )
  const run = (...args: string[]) =>
    execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), ...args, file], { cwd: root, reject: false, all: true, env: { BOOTCHECK_ARTIFACTS: join(dir, 'artifacts') } })
  const first = await run()
  t.equal(first.exitCode, 1, 'fails without a reference')
  t.match(first.all, /has no reference .*prompt\.png/)
  const update = await run('--update-screens')
  t.equal(update.exitCode, 0, 'the flag writes it')
  t.ok(existsSync(join(dir, 'screen.test.screens', 'prompt.png')))
  const again = await run()
  t.equal(again.exitCode, 0, 'the next run matches')
})

t.test('bad command lines', async t => {
  const unknown = await execa(process.execPath, [cli, 'frobnicate'], { reject: false })
  t.equal(unknown.exitCode, 2)
  t.match(unknown.stderr, /unknown command 'frobnicate'/)
  const none = await execa(process.execPath, [cli, 'run', 'vm-configs/nixos'], { cwd: root, reject: false })
  t.equal(none.exitCode, 1)
  t.match(none.stderr, /no test files/)
  const jobs = await execa(process.execPath, [cli, 'run', '--jobs', 'many', 'examples/'], { cwd: root, reject: false })
  t.match(jobs.stderr, /--jobs needs a positive whole number/)
})

t.test('folders are searched for test files only', async t => {
  const dir = t.testdir({ a: { 'x.test.ts': '', 'helper.ts': '' }, 'y.test.js': '', 'notes.md': '' })
  await mkdir(join(dir, 'node_modules', 'z'), { recursive: true })
  await writeFile(join(dir, 'node_modules', 'z', 'n.test.ts'), '')
  const files = await findTestFiles([dir])
  t.same(files.map(f => f.slice(dir.length + 1)), [join('a', 'x.test.ts'), 'y.test.js'])
})

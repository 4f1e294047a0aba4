// bootcheck as another project gets it, packed and installed once for both checks (npm pack
// and npm install take ~25 s): `npm pack` (dist built by prepack), `npm install` of the
// tarball into a fresh project outside this repository (dependencies from the npm
// registry); a hand-written test file importing 'bootcheck' that boots the demo media's
// kernel; `npx bootcheck init --iso <a Debian live ISO>` as a newcomer uses it (config,
// test, workflow, script; a second init refuses); then one `npx bootcheck run` runs both
// files and passes — one real boot of each.
import t from 'tap'
import { execa } from 'execa'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunRecord } from '../../src/report/model.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { debianLiveIso } from '../media/debian-live.js'
import { directBootFields, root } from './cli-helpers.js'
import { freshProjectWith, packEnv as env, packTarball } from './pack-helpers.js'

const media = await demoMedia()
const live = await debianLiveIso()

t.test('npm pack, npm install into a fresh project, npx bootcheck init --iso, npx bootcheck run', async t => {
  const work = await mkdtemp(join(tmpdir(), 'bootcheck-package-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))

  // Packed from a copy of the sources (see pack-helpers.ts).
  let at = Date.now()
  const { tarball, filename, files: shipped } = await packTarball(work)
  t.comment(`npm pack (with prepack's build) took ${((Date.now() - at) / 1000).toFixed(1)} s: ${filename}, ${shipped.length} files`)
  for (const f of ['package.json', 'bin/bootcheck.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/runner/cli.js', 'dist/vm-configs/demo.js', 'README.md']) t.ok(shipped.includes(f), `ships ${f}`)
  t.notOk(shipped.some(f => f.startsWith('tests/') || f.startsWith('bench/') || f.startsWith('dist/tests/')), 'no tests or benches')
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  t.ok(manifest.dependencies.tsx && manifest.dependencies.tap, 'tap and tsx are dependencies, not devDependencies')

  const project = join(work, 'my-os')
  at = Date.now()
  await freshProjectWith(project, tarball)
  await mkdir(join(project, 'tests'), { recursive: true })
  t.comment(`npm install took ${((Date.now() - at) / 1000).toFixed(1)} s`)
  t.ok(existsSync(join(project, 'node_modules', '.bin', 'bootcheck')), 'the bootcheck command is installed')

  // A test written by hand against the installed package.
  await writeFile(
    join(project, 'tests', 'boot.test.ts'),
    [
      `import t from 'tap'`,
      `import { boot, type MachineSpec } from 'bootcheck'`,
      `const spec: MachineSpec = { name: 'installed', memory: '512M', ${directBootFields(media)} }`,
      `t.test('the demo kernel boots from an installed bootcheck', async t => {`,
      `  const vm = await boot(t, spec)`,
      `  t.equal(await vm.succeed('echo pkg-$((6*7))'), 'pkg-42\\n')`,
      `})`,
    ].join('\n'),
  )

  // bootcheck init in this existing npm project, for the Debian live ISO. `--console serial`
  // skips init's probe (one more boot of the ISO, 45–90 s under TCG): init-probe.test.ts boots
  // real images for both of the probe's answers.
  const init = await execa('npx', ['bootcheck', 'init', '--iso', live.iso, '--console', 'serial'], { cwd: project, env, reject: false })
  t.equal(init.exitCode, 0, 'init works', { stderr: init.stderr })
  t.match(init.stdout, /machine 'live' \(iso\)/)
  t.match(init.stdout, /Next:\n {2}npx bootcheck run .*\n {2}npx bootcheck shell live/, 'it prints the next two commands')
  for (const f of ['bootcheck.config.ts', 'tests/live.test.ts', '.github/workflows/bootcheck.yml']) t.ok(existsSync(join(project, f)), `init wrote ${f}`)
  t.match(JSON.parse(await readFile(join(project, 'package.json'), 'utf8')), { scripts: { bootcheck: 'bootcheck run' } })
  const again = await execa('npx', ['bootcheck', 'init', '--iso', live.iso, '--console', 'serial'], { cwd: project, env, reject: false })
  t.equal(again.exitCode, 2, 'a second init refuses')
  t.match(again.stderr, /already exist; nothing was written/)

  at = Date.now()
  const run = await execa('npx', ['bootcheck', 'run', '--progress', 'plain'], { cwd: project, env, reject: false })
  t.comment(`npx bootcheck run (a demo kernel boot and a boot of the live ISO) took ${((Date.now() - at) / 1000).toFixed(1)} s`)
  t.equal(run.exitCode, 0, 'the run passes', { stdout: run.stdout.slice(-3000), stderr: run.stderr.slice(-3000) })
  const results = JSON.parse(await readFile(join(project, '.bootcheck', 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.equal(results.status, 'passed')
  t.same(results.counts, { passed: 2, failed: 0, skipped: 0, todo: 0 })
  const machineOf = (file: string) => results.files.find(f => f.file === join('tests', file))?.tests[0]?.machines[0]
  t.equal(machineOf('boot.test.ts')?.machine, 'installed', 'the hand-written test ran its machine')
  t.equal(machineOf('live.test.ts')?.machine, 'live', "init's generated test ran the machine named after the image")
  t.ok(existsSync(join(machineOf('boot.test.ts')!.dir, 'console.log')), 'the machine left its transcript in the run folder')
  t.ok(existsSync(join(project, '.bootcheck', 'runs', 'latest', 'report.html')))
})

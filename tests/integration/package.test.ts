// bootcheck as another project gets it: `npm pack` (dist built by prepack), `npm install` of
// the tarball into a fresh project outside this repository (dependencies from the npm
// registry), a test file importing 'bootcheck' that boots the demo media's kernel, and
// `npx bootcheck run`.
import t from 'tap'
import { execa } from 'execa'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunRecord } from '../../src/report/model.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { directBootFields, root } from './cli-helpers.js'
import { freshProjectWith, packEnv as env, packTarball } from './pack-helpers.js'

const media = await demoMedia()

t.test('npm pack, npm install into a fresh project, npx bootcheck run', async t => {
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

  const project = join(work, 'fresh-project')
  at = Date.now()
  await freshProjectWith(project, tarball)
  await mkdir(join(project, 'tests'), { recursive: true })
  t.comment(`npm install took ${((Date.now() - at) / 1000).toFixed(1)} s`)
  t.ok(existsSync(join(project, 'node_modules', '.bin', 'bootcheck')), 'the bootcheck command is installed')

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
  at = Date.now()
  const run = await execa('npx', ['bootcheck', 'run', '--progress', 'plain'], { cwd: project, env, reject: false })
  t.comment(`npx bootcheck run took ${((Date.now() - at) / 1000).toFixed(1)} s`)
  t.equal(run.exitCode, 0, 'the run passes', { stdout: run.stdout.slice(-3000), stderr: run.stderr.slice(-3000) })
  const results = JSON.parse(await readFile(join(project, '.bootcheck', 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.equal(results.status, 'passed')
  t.same(results.counts, { passed: 1, failed: 0, skipped: 0, todo: 0 })
  t.equal(results.files[0]!.file, join('tests', 'boot.test.ts'))
  const machine = results.files[0]!.tests[0]!.machines[0]!
  t.equal(machine.machine, 'installed')
  t.ok(existsSync(join(machine.dir, 'console.log')), 'the machine left its transcript in the run folder')
  t.ok(existsSync(join(project, '.bootcheck', 'runs', 'latest', 'report.html')))
})

// `bootcheck init` as a newcomer uses it: the packed package installed into a fresh project,
// `npx bootcheck init --iso <a Debian live ISO>`, then `npx bootcheck run` passes — one real
// boot of the ISO (about 90 s under TCG).
import t from 'tap'
import { execa } from 'execa'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunRecord } from '../../src/report/model.js'
import { debianLiveIso } from '../media/debian-live.js'
import { freshProjectWith, packEnv, packTarball } from './pack-helpers.js'

const live = await debianLiveIso()

t.test('npx bootcheck init --iso, then npx bootcheck run passes in a fresh project', async t => {
  const work = await mkdtemp(join(tmpdir(), 'bootcheck-init-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const { tarball } = await packTarball(work)
  const project = join(work, 'my-os')
  await freshProjectWith(project, tarball)

  const init = await execa('npx', ['bootcheck', 'init', '--iso', live.iso], { cwd: project, env: packEnv, reject: false })
  t.equal(init.exitCode, 0, 'init works', { stderr: init.stderr })
  t.match(init.stdout, /machine 'live' \(iso\)/)
  t.match(init.stdout, /Next:\n {2}npx bootcheck run .*\n {2}npx bootcheck shell live/, 'it prints the next two commands')
  for (const f of ['bootcheck.config.ts', 'tests/live.test.ts', '.github/workflows/bootcheck.yml']) t.ok(existsSync(join(project, f)), `wrote ${f}`)
  t.match(JSON.parse(await readFile(join(project, 'package.json'), 'utf8')), { scripts: { bootcheck: 'bootcheck run' } })

  const again = await execa('npx', ['bootcheck', 'init', '--iso', live.iso], { cwd: project, env: packEnv, reject: false })
  t.equal(again.exitCode, 2, 'a second init refuses')
  t.match(again.stderr, /already exist; nothing was written/)

  const at = Date.now()
  const run = await execa('npx', ['bootcheck', 'run', '--progress', 'plain'], { cwd: project, env: packEnv, reject: false })
  t.comment(`npx bootcheck run (one boot of the live ISO) took ${((Date.now() - at) / 1000).toFixed(1)} s`)
  t.equal(run.exitCode, 0, 'the generated test passes', { stdout: run.stdout.slice(-3000), stderr: run.stderr.slice(-3000) })
  const results = JSON.parse(await readFile(join(project, '.bootcheck', 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.same(results.counts, { passed: 1, failed: 0, skipped: 0, todo: 0 })
  t.equal(results.files[0]!.tests[0]!.machines[0]!.machine, 'live')
})

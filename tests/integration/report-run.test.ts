// The HTML report of a real `bootcheck run`, opened in headless Chromium: a run with one
// failing screen test (the reference shows something else) and one passing test.
import t from 'tap'
import { execa } from 'execa'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { readFileSync, writeFileSync } from 'node:fs'
import type { RunRecord } from '../../src/report/model.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { checkReportInBrowser, chromiumMissing } from './report-browser.js'
import { buildPackage, cli, directBootFields, importBoot } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

const missing = chromiumMissing()
t.test('the report of a run with a failing screen test, in a real browser', { skip: process.env.CI ? false : (missing ?? false) }, async t => {
  const dir = t.testdir({
    'screen.test.ts': [
      `import t from 'tap'`,
      importBoot,
      `t.test('boot prompt looks right', async t => {`,
      `  const vm = await boot(t, { name: 'bios', cdrom: ${JSON.stringify(media.iso)} })`,
      `  await vm.console.waitFor('boot: ')`,
      `  await vm.waitForStillScreen({ stillFor: 1000, maxDiffPixels: 40 })`,
      `  await vm.expectScreen('prompt', { maxDiffPixels: 40 })`,
      `})`,
      `t.test('the shell answers', async t => {`,
      `  const vm = await boot(t, { name: 'direct', ${directBootFields(media)} })`,
      `  t.equal(await vm.succeed('echo ready'), 'ready\\n')`,
      `})`,
    ].join('\n'),
  })
  // A reference that cannot match: a white square on black, the size of the VGA text screen.
  await mkdir(join(dir, 'screen.test.screens'))
  const png = new PNG({ width: 720, height: 400 })
  for (let y = 0; y < 400; y++)
    for (let x = 0; x < 720; x++) {
      const i = (y * 720 + x) * 4
      const on = x > 200 && x < 500 && y > 100 && y < 300 ? 255 : 0
      png.data[i] = png.data[i + 1] = png.data[i + 2] = on
      png.data[i + 3] = 255
    }
  writeFileSync(join(dir, 'screen.test.screens', 'prompt.png'), PNG.sync.write(png))

  const r = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'screen.test.ts'], { cwd: dir, reject: false })
  t.equal(r.exitCode, 1, 'the run fails')
  t.match(r.stderr, /✗ screen\.test\.ts › boot prompt looks right/)
  const results = JSON.parse(readFileSync(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.ok(results.files[0]!.tap.length < 50_000, `the failure's TAP stays small, no pixels in it (${results.files[0]!.tap.length} characters)`)
  // The filmstrip holds the frames before the failure: the boot, then the prompt it failed on.
  const bios = results.files[0]!.tests.find(x => x.name === 'boot prompt looks right')!.machines[0]!
  const failedAt = Date.parse(bios.endedAt!) - Date.parse(bios.startedAt!)
  t.ok((bios.filmstrip?.length ?? 0) >= 2, `the failed test kept a filmstrip (${bios.filmstrip?.length ?? 0} frames)`)
  const check = await checkReportInBrowser(join(dir, 'runs', 'latest', 'report.html'), {
    status: 'failed',
    failed: [{ test: 'boot prompt looks right', message: "Screen 'prompt'", transcript: 'boot:', screens: ['prompt'], filmstrip: { minFrames: 2, before: failedAt, console: 'boot:' } }],
    passed: ['the shell answers'],
    noFilmstrip: ['the shell answers'],
  })
  t.same(check.problems, [], 'the browser shows the failure, its transcript and its images, and the passing test')
  t.same(Object.keys(check.tests).sort(), ['boot prompt looks right', 'the shell answers'])
})

// `bootcheck run --debug` in a real pseudo-terminal: a failing test keeps its machine, the
// terminal attaches to its serial console, the guest answers typed commands, and Ctrl-] q
// powers it off so the run goes on and ends as failed, with no QEMU left. With `--ui` the
// kept machine stays in the live view (real Chromium): marked failing, its screen
// connected, and what the terminal types shows in the page's console.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoMedia } from '../../vm-configs/demo.js'
import { alive } from './process.js'
import { sleep } from '../../src/util/sleep.js'
import { buildPackage, cli, directBootFields, importBoot, spawnOnPty } from './cli-helpers.js'
import { chromiumMissing, launchChromium } from './report-browser.js'

const media = await demoMedia()
await buildPackage()

t.test('--debug attaches the terminal to the machine of a failing test', async t => {
  const dir = t.testdir({
    'broken.test.ts': [
      `import t from 'tap'`,
      importBoot,
      `t.test('expects too much', async t => {`,
      `  const vm = await boot(t, { name: 'kept', ${directBootFields(media)} })`,
      `  await vm.succeed('echo marker-file > /tmp/left-by-test')`,
      `  t.equal(await vm.succeed('echo 1'), '2\\n')`,
      `})`,
    ].join('\n'),
  })
  const { term, exited, waitFor, output } = spawnOnPty(process.execPath, [cli, 'run', '--debug', '--runs-dir', join(dir, 'runs'), 'broken.test.ts'], { cwd: dir })
  t.teardown(() => term.kill('SIGKILL'))

  let at = await waitFor(/'expects too much' failed; kept is kept running\. Artifacts: (\S+)/, 180_000)
  const artifacts = /Artifacts: (\S+)/.exec(output())![1]!
  const pid = (JSON.parse(readFileSync(join(artifacts, 'machine.json'), 'utf8')) as { pid: number }).pid
  t.ok(alive(pid), `QEMU ${pid} still runs after the failure`)
  at = await waitFor(/Serial console of kept\. Ctrl-\] q: power off and go on/, 10_000, at)
  term.write('cat /tmp/left-by-test\r')
  at = await waitFor(/^marker-file\r?$/m, 30_000, at)
  t.pass('the guest is the one the test left: its file is there')
  term.write('\x1dq')
  at = await waitFor(/powered off/, 60_000, at)
  const exit = await exited
  t.equal(exit.exitCode, 1, 'the run ends as failed')
  t.match(output().slice(at), /✗ broken\.test\.ts › expects too much/)
  await sleep(500)
  t.notOk(alive(pid), 'no QEMU left')
})

t.test('--debug --ui: the kept machine stays in the live view, failing, while the terminal drives it', { skip: process.env.CI ? false : (chromiumMissing() ?? false) }, async t => {
  const dir = t.testdir({
    'broken.test.ts': [
      `import t from 'tap'`,
      importBoot,
      `t.test('expects too much', async t => {`,
      `  const vm = await boot(t, { name: 'kept', ${directBootFields(media)} })`,
      `  t.equal(await vm.succeed('echo 1'), '2\\n')`,
      `})`,
    ].join('\n'),
  })
  const { term, exited, waitFor, output } = spawnOnPty(process.execPath, [cli, 'run', '--debug', '--ui', '--runs-dir', join(dir, 'runs'), 'broken.test.ts'], { cwd: dir })
  t.teardown(() => term.kill('SIGKILL'))
  let at = await waitFor(/bootcheck: live view (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/, 60_000)
  const url = /bootcheck: live view (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(output())![1]!
  at = await waitFor(/Serial console of kept\. Ctrl-\] q: power off and go on/, 180_000, at)

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url)
  const card = page.locator('section.machine[data-machine=kept]')
  await card.waitFor({ timeout: 30_000 })
  await page.waitForSelector('section.machine[data-machine=kept][data-status=failing]', { timeout: 30_000 })
  t.pass('the kept machine is in the live view, marked failing')
  await page.waitForSelector('section.machine[data-machine=kept][data-vnc=connected] canvas', { timeout: 30_000 })
  t.pass('its screen is connected')
  term.write('echo typed-$((6*7))\r')
  at = await waitFor(/typed-42/, 30_000, at)
  await card.locator('.xterm-rows', { hasText: 'typed-42' }).waitFor({ timeout: 30_000 })
  t.pass("what the terminal typed shows in the page's console")
  term.write('\x1dq')
  const exit = await exited
  t.equal(exit.exitCode, 1, 'the run ends as failed')
  t.same(errors, [], 'no script errors')
})

// `bootcheck record` on the demo ISO's isolinux prompt, driven in a real headless Chromium
// as a user would: wait for the prompt (a dragged screen region; the guest pauses while it
// is marked, so isolinux's 1 s timeout does not run out), Tab (isolinux lists its entries),
// wait for the listed entries (a line picked from the screen's OCR), type "live", wait for
// "boot: live" (typed), stop. The test file written type-checks and passes under
// `bootcheck run`. After a mark the guest stays paused until the next key, so the Tab is in
// time however slow the page is; the replay polls the screen every 200 ms. Bad command lines fail at once, an existing file is never replaced.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { demoMedia } from '../../vm-configs/demo.js'
import { chromiumMissing, launchChromium } from './report-browser.js'
import { buildPackage, cli, root } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

const until = async (what: string, ok: () => boolean, ms = 120_000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); await new Promise(r => setTimeout(r, 50))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
}

t.test('bad command lines are UsageErrors within a second; an existing file is never replaced', async t => {
  const dir = t.testdir({ 'menu.json': JSON.stringify({ cdrom: media.iso }), 'mine.test.ts': '// mine\n' })
  const cases: Array<[string[], RegExp]> = [
    [[], /give one machine/],
    [['nothing.json'], /nothing\.json: no such file/],
    [['menu.json', '--out', 'mine.test.ts'], /mine\.test\.ts exists: bootcheck record never replaces a file/],
    [['menu.json', '--out', 'x.js'], /must end in \.ts/],
  ]
  // The CLI's own start (node, the compiled package) is measured by `bootcheck help`. In
  // process the checks take well under a second (tests/unit/runner/record/command.test.ts);
  // here, on a loaded host, the bound only proves that nothing boots first.
  const timed = async (args: string[]): Promise<number> => {
    const started = Date.now()
    await execa(process.execPath, [cli, ...args], { cwd: dir, reject: false })
    return Date.now() - started
  }
  const baseline = await timed(['help'])
  for (const [args, message] of cases) {
    const started = Date.now()
    const r = await execa(process.execPath, [cli, 'record', ...args], { cwd: dir, reject: false })
    const ms = Date.now() - started
    t.equal(r.exitCode, 2, `record ${args.join(' ')}: exit 2`)
    t.match(r.stderr, message)
    t.ok(ms - baseline < 2000, `answered in ${ms} ms, ${ms - baseline} ms more than \`bootcheck help\` (${baseline} ms)`)
  }
  t.equal(readFileSync(join(dir, 'mine.test.ts'), 'utf8'), '// mine\n')
})

t.test('Ctrl-C writes the test recorded so far; no QEMU is left', async t => {
  const dir = t.testdir({ 'menu.json': JSON.stringify({ name: 'menu', cdrom: media.iso }) })
  const rec = execa(process.execPath, [cli, 'record', 'menu.json', '--out', 'ctrl-c.test.ts'], { cwd: dir, reject: false })
  let stderr = ''
  rec.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
  t.teardown(() => void rec.kill('SIGKILL'))
  await until('the recording to start', () => /bootcheck record: recording menu .*QEMU pid (\d+)/.test(stderr), 60_000)
  const pid = Number(/QEMU pid (\d+)/.exec(stderr)![1])
  rec.kill('SIGINT')
  const r = await rec
  t.equal(r.exitCode, 130, 'ended as by SIGINT')
  t.match(stderr, /wrote .*ctrl-c\.test\.ts \(0 steps\)/)
  t.match(readFileSync(join(dir, 'ctrl-c.test.ts'), 'utf8'), /const vm = await boot\(t, \{\n    "name": "menu",/)
  await until(`QEMU (pid ${pid}) to be gone`, () => {
    try {
      process.kill(pid, 0)
      return false
    } catch {
      return true
    }
  }, 5000).catch(() => undefined)
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `QEMU (pid ${pid}) is gone`)
})

t.test('a recorded session of the isolinux prompt replays green', { skip: process.env.CI ? false : (chromiumMissing() ?? false) }, async t => {
  // Under the repository, so the written test's `import … from 'bootcheck'` is this package.
  const dir = t.testdir({ 'menu.json': JSON.stringify({ name: 'menu', cdrom: media.iso }) })
  const out = join(dir, 'menu.test.ts')
  const rec = execa(process.execPath, [cli, 'record', 'menu.json', '--out', 'menu.test.ts', '--name', 'the isolinux prompt, recorded'], { cwd: dir, reject: false, ...(process.env.RECORD_DEBUG ? { env: { BOOTCHECK_ARTIFACTS: process.env.RECORD_DEBUG } } : {}) })
  let stderr = ''
  rec.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
  t.teardown(() => void rec.kill('SIGTERM'))
  await until('the live view URL', () => /bootcheck: live view http/.test(stderr), 60_000)
  const url = /bootcheck: live view (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(stderr)![1]!

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url)
  const card = page.locator('section.machine[data-machine=menu]')
  await page.waitForSelector('section.machine[data-machine=menu][data-vnc=connected][data-input=unlocked][data-recording] button.rec-region', { timeout: 60_000 })
  t.pass('the recorded machine is shown with its input unlocked and the recording tools')

  // The guest waits, paused at its start: the page is open before isolinux's 1 s countdown.
  t.equal(await card.getAttribute('data-recording'), 'paused', 'paused at its start')
  t.notMatch(await card.locator('.xterm-rows').textContent(), /boot:/, 'before the boot prompt')
  // Resume; as soon as the serial console shows the prompt, mark the screen: the guest pauses.
  const sawPrompt = await page.evaluate(
    () =>
      new Promise<number>(resolve => {
        const d = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null; click(): void } | null } }).document
        d.querySelector('button.rec-resume')!.click()
        const timer = setInterval(() => {
          if (!d.querySelector('section.machine .xterm-rows')?.textContent?.includes('boot:')) return
          clearInterval(timer)
          d.querySelector('button.rec-region')!.click()
          resolve(Date.now())
        }, 10)
      }),
  )
  await page.waitForSelector('section.machine[data-recording=paused] .rec-overlay', { timeout: 10_000 })
  t.comment(`the guest paused ${Date.now() - sawPrompt} ms after the page saw the prompt`)
  // Drag over the line 'bootcheck live: entries …' (text row 4: y 64..80 of the 720x400 screen).
  const box = (await card.locator('canvas').boundingBox())!
  const at = (x: number, y: number): [number, number] => [box.x + (x * box.width) / 720, box.y + (y * box.height) / 400]
  await page.mouse.move(...at(1, 65))
  await page.mouse.down()
  await page.mouse.move(...at(300, 72), { steps: 4 })
  await page.mouse.move(...at(560, 79), { steps: 4 })
  await page.mouse.up()
  await card.locator('input.rec-name').fill('entries')
  await card.locator('button.rec-save').click()
  await card.locator('.rec-status', { hasText: "waitForScreen('entries'" }).waitFor({ timeout: 10_000 })
  // The guest stays paused until the next key: Tab (focused without a click on the screen, which would be a step).
  await page.evaluate(`for (const c of window.bootcheckLive.cards.values()) c.rfb.focus()`)
  await page.keyboard.press('Tab')

  // Wait for a text picked from the screen's OCR: the entries isolinux listed.
  await page.waitForTimeout(1000)
  await card.locator('button.rec-text').click()
  await card.locator('button.rec-read').click()
  await card.locator('button.rec-line').first().waitFor({ timeout: 30_000 })
  t.comment(`OCR read: ${JSON.stringify(await card.locator('button.rec-line').allTextContents())}`)
  if (process.env.RECORD_DEBUG) await page.screenshot({ path: join(process.env.RECORD_DEBUG, 'read.png') })
  const line = card.locator('button.rec-line', { hasText: /^live\s+live-copytoram$/ })
  await line.waitFor({ timeout: 5_000 })
  await line.click()
  await card.locator('button.rec-save').click()
  await card.locator('.rec-status', { hasText: 'waitForText(' }).waitFor({ timeout: 30_000 })

  await page.evaluate(`for (const c of window.bootcheckLive.cards.values()) c.rfb.focus()`)
  await page.keyboard.type('live', { delay: 60 })
  await page.waitForTimeout(1000)
  // Wait for a text typed in: what was typed reached the prompt.
  await card.locator('button.rec-text').click()
  await card.locator('input.rec-pattern').fill('boot: live')
  await card.locator('button.rec-save').click()
  await card.locator('.rec-status', { hasText: "waitForText('boot: live')" }).waitFor({ timeout: 30_000 })
  await card.locator('button.rec-stop').click()
  await card.locator('.rec-status', { hasText: 'written:' }).waitFor({ timeout: 10_000 })
  const r = await rec
  t.equal(r.exitCode, 0, `bootcheck record ended once the test was written\n${stderr.slice(-1500)}`)
  t.match(stderr, /bootcheck record: wrote .*menu\.test\.ts \(5 steps\)/)
  t.same(errors, [], 'no script errors')

  const source = readFileSync(out, 'utf8')
  t.comment(source)
  const body = source.split('\n').filter(l => l.startsWith('  await vm.')).map(l => l.trim().replace(/\{ x: \d+, y: \d+, width: \d+, height: \d+ \}/, 'R'))
  t.same(body, [
    "await vm.waitForScreen('entries', { region: R, interval: 200 })",
    "await vm.sendKey('tab')",
    body[2]!.startsWith("await vm.waitForText('live") ? body[2] : 'a waitForText of the listed entries',
    "await vm.type('live')",
    "await vm.waitForText('boot: live')",
  ])
  t.match(source, "import { boot } from 'bootcheck'")
  const sidecar = JSON.parse(readFileSync(join(dir, 'menu.test.screens', 'entries.json'), 'utf8')) as { region: { x: number; y: number; width: number; height: number } }
  t.ok(Math.abs(sidecar.region.y - 65) <= 2 && Math.abs(sidecar.region.width - 559) <= 3, `the dragged region, in screen pixels: ${JSON.stringify(sidecar.region)}`)
  t.ok(existsSync(join(dir, 'menu.test.screens', 'entries.png')))

  // The file type-checks as users compile their tests (strict, NodeNext, the package's types).
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['menu.test.ts'] }))
  const tsc = await execa('npx', ['tsc', '-p', join(dir, 'tsconfig.json')], { cwd: dir, reject: false })
  t.equal(tsc.exitCode, 0, `the recorded test type-checks\n${tsc.stdout}${tsc.stderr}`)

  // And it replays green.
  const started = Date.now()
  const run = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'menu.test.ts'], { cwd: dir, reject: false })
  t.equal(run.exitCode, 0, `bootcheck run ${relative(root, out)} passed in ${((Date.now() - started) / 1000).toFixed(1)} s\n${run.exitCode === 0 ? '' : run.stdout.slice(-3000)}`)
})

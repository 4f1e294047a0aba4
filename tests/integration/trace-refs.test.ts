// References made where the screen is: a real `bootcheck run` of a test whose expectScreen
// has no reference yet fails (the demo system on real QEMU, its VGA text console holding a
// title and a clock); in its trace, served by `bootcheck show-trace` and opened in a real
// headless Chromium, a rectangle dragged on the actual screen is saved as the reference
// (its region) and another dragged over the clock is added as a mask; the next run of the
// same test passes. The OCR pass of the run is drawn over its screen, a word giving its
// clickText line; from file:// the editor is read-only.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Page } from 'playwright-core'
import { decodePng } from '../../src/screens/image.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { chromiumMissing, launchChromium } from './report-browser.js'
import { buildPackage, cli, directBootFields, importBoot, root, startShowTrace } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

// VGA text mode, 9x16 pixel cells: the title on row 0, the clock (nanoseconds since the epoch) on row 2.
const testFile = [
  `import t from 'tap'`,
  importBoot,
  `t.test('a screen with a clock', async t => {`,
  `  const vm = await boot(t, { name: 'demo', ${directBootFields(media)} })`,
  `  await vm.succeed('dmesg -n 1')`,
  "  await vm.succeed(`printf '\\\\033[2J\\\\033[H\\\\033[?25lBOOTCHECK REFERENCE TITLE\\\\n\\\\nclock %s\\\\n' \"$(date +%s%N)\" > /dev/tty0`)",
  `  await vm.screenText()`,
  `  await vm.expectScreen('banner')`,
  `})`,
].join('\n')

/** Drags from screen pixel `a` to `b` on `img` (in the screen's coordinates, `scale` screen pixels per image pixel). */
async function drag(page: Page, img: string, a: [number, number], b: [number, number], screenWidth: number): Promise<void> {
  const box = (await page.locator(img).boundingBox())!
  const k = box.width / screenWidth
  await page.mouse.move(box.x + a[0] * k, box.y + a[1] * k)
  await page.mouse.down()
  await page.mouse.move(box.x + b[0] * k, box.y + b[1] * k, { steps: 6 })
  await page.mouse.up()
}

t.test('a reference and a mask made by dragging in the trace make the next run pass', { skip: process.env.CI ? false : (chromiumMissing() ?? false) }, async t => {
  const dir = t.testdir({ 'clock.test.ts': testFile })
  const run = () => execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'clock.test.ts'], { cwd: dir, reject: false })
  const first = await run()
  t.equal(first.exitCode, 1, 'the first run fails: no reference')
  t.match(first.stdout + first.stderr, /has no reference/)
  const refDir = join(dir, 'clock.test.screens')
  t.notOk(existsSync(join(refDir, 'banner.png')))

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const { server, url } = await startShowTrace(join(dir, 'runs', 'latest'), dir)
  t.teardown(() => void server.kill('SIGTERM'))
  t.match(url, /\/trace\.html\?token=[A-Za-z0-9_-]{32}$/, 'the URL carries the token')
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url)
  await page.waitForSelector('body[data-ready=true][data-editor=write]', { timeout: 10_000 })
  t.match(await page.locator('#steps .step.selected').textContent(), /expectScreen.*banner/, 'opens at the failed check')

  // (a) A rectangle over the title and the clock, on the actual screen: saved as the reference.
  const actual = '#attachments figure[data-name=actual] img'
  await page.locator(actual).scrollIntoViewIfNeeded()
  await drag(page, actual, [0, 0], [300, 50], 720)
  await page.waitForSelector('#edit:not([hidden])')
  t.match(await page.locator('#edit-code').textContent(), /await vm\.waitForScreen\('banner', \{ region: \{ x: 0, y: 0, width: \d+, height: \d+ \} \}\)/, 'the line to paste')
  await page.locator('#edit-save').click()
  await page.waitForSelector('#edit-status.edit-ok', { timeout: 5000 })
  t.match(await page.locator('#edit-status').textContent(), /Wrote .*banner\.png, .*banner\.json/)
  // (b) A rectangle over the clock's digits: a mask of that reference.
  await drag(page, actual, [50, 28], [310, 50], 720)
  await page.locator('#edit-mask').click()
  await page.waitForSelector('#edit-status.edit-ok', { timeout: 5000 })
  t.match(await page.locator('#edit-status').textContent(), /Wrote .*banner\.json/)
  if (process.env.BOOTCHECK_DOC_IMAGES) await page.screenshot({ path: join(root, 'docs', 'images', 'trace-references.png') })

  // (c) The failed check's actual screen accepted as the reference (the same screen here): the sidecar stays.
  await page.locator('#attachments figure[data-name=actual] button.accept').click()
  await page.waitForSelector('#edit-status.edit-ok', { timeout: 5000 })
  t.match(await page.locator('#edit-status').textContent(), /Wrote \S*banner\.png\. In the test: await vm\.expectScreen\('banner'\)/, 'accepted')
  const actualFile = new URL((await page.locator(actual).getAttribute('src'))!, page.url()).pathname
  t.ok(readFileSync(join(refDir, 'banner.png')).equals(readFileSync(join(dir, 'runs', 'latest', decodeURIComponent(actualFile)))), 'the reference is the actual screen, byte for byte')

  const sidecar = JSON.parse(readFileSync(join(refDir, 'banner.json'), 'utf8')) as { region: { width: number; height: number }; mask: object[] }
  t.ok(sidecar.region.width >= 295 && sidecar.region.width <= 305 && sidecar.region.height >= 45, `the region as dragged (${JSON.stringify(sidecar.region)})`)
  t.equal(sidecar.mask.length, 1, `one mask (${JSON.stringify(sidecar.mask)})`)
  const png = decodePng(readFileSync(join(refDir, 'banner.png')))
  t.same([png.width, png.height], [720, 400], 'the reference is the whole screen, compared in its region')

  // The OCR pass of the screenText step: its words boxed over the screen, a click gives the line.
  await page.locator('#steps .step', { hasText: 'screenText' }).click()
  await page.waitForSelector('#ocr:not([hidden]) .ocr-chip')
  const boxes = await page.locator('#attachments figure[data-name="ocr screen"] .ocr-layer .ocr-box').count()
  t.ok(boxes >= 3, `the words boxed over the screen the pass read (${boxes} boxes)`)
  await page.locator('.ocr-chip', { hasText: 'TITLE' }).first().click()
  t.equal(await page.locator('#ocr-code').textContent(), 'await vm.clickText(/TITLE/)')
  if (process.env.BOOTCHECK_DOC_IMAGES) await page.screenshot({ path: join(root, 'docs', 'images', 'trace-ocr.png') })
  t.same(errors, [], 'no script errors')
  await page.close()

  // From file://: the same page shows the line to paste but writes nothing.
  const trace = url.replace(/^http:\/\/127\.0\.0\.1:\d+\//, '').replace(/\?.*$/, '')
  const local = await browser.newPage()
  await local.goto(pathToFileURL(join(dir, 'runs', 'latest', decodeURIComponent(trace))).href)
  await local.waitForSelector('body[data-ready=true][data-editor=read-only]')
  t.match(await local.locator('#edit-note').textContent(), /open the trace with bootcheck show-trace/)
  t.ok(await local.locator('#edit-save').isDisabled(), 'saving is disabled')
  await local.close()

  const second = await run()
  t.equal(second.exitCode, 0, 'the next run passes with the reference and the mask made in the trace')
  if (second.exitCode !== 0) t.comment(second.stdout.slice(-2000))
})

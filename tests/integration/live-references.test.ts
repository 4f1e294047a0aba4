// References made where the screen is, in the live view: a real `bootcheck run --ui` of a
// test holding the demo ISO's isolinux prompt on real QEMU, its live view in a real
// headless Chromium. Take the screen (QEMU's screendump, held over the live one), drag a
// rectangle on it: the reference is written beside the test file at referencePath, from
// QEMU's pixels; a second rectangle is added as a mask to its sidecar; writes without the
// token are refused. Then the line the page showed is pasted into the test, and a second
// `bootcheck run` of it passes.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { decodePng } from '../../src/screens/image.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { chromiumMissing, launchChromium } from './report-browser.js'
import { buildPackage, cli, importBoot, root } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

const until = async (what: string, ok: () => boolean, ms = 120_000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); await new Promise(r => setTimeout(r, 100))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
}

/** The test: the isolinux prompt held (its 1 s timeout stopped), then `then` (lines of the test's body). */
const testFile = (then: string[]): string =>
  [
    `import t from 'tap'`,
    `import { existsSync, writeFileSync } from 'node:fs'`,
    importBoot,
    `t.test('the isolinux prompt', async t => {`,
    `  const vm = await boot(t, { name: 'menu', cdrom: ${JSON.stringify(media.iso)} })`,
    `  await vm.console.waitFor('boot: ')`,
    `  await vm.type('q') // stops isolinux's 1 s timeout`,
    `  await vm.sendKey('backspace')`,
    ...then.map(l => `  ${l}`),
    `})`,
  ].join('\n')

type Rect = { x: number; y: number; width: number; height: number }

/** The rectangle in a line of code, and whether it is within 2 pixels of \`want\` (the mouse lands on whole CSS pixels). */
function rectIn(text: string, want: Rect): { rect: Rect; near: boolean } {
  const m = /\{ x: (\d+), y: (\d+), width: (\d+), height: (\d+) \}/.exec(text)
  const rect = m ? { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) } : { x: -99, y: -99, width: 0, height: 0 }
  return { rect, near: (Object.keys(want) as (keyof Rect)[]).every(k => Math.abs(rect[k] - want[k]) <= 2) }
}

/** Drags from screen pixel a to b on the held screen (the image over the live one). */
async function drag(page: Page, a: [number, number], b: [number, number]): Promise<void> {
  const img = page.locator('section.machine[data-ref=held] img.ref-shot')
  const box = (await img.boundingBox())!
  const width = (await img.evaluate(e => (e as unknown as { naturalWidth: number }).naturalWidth)) as number
  const k = box.width / width
  await page.mouse.move(box.x + a[0] * k, box.y + a[1] * k)
  await page.mouse.down()
  await page.mouse.move(box.x + b[0] * k, box.y + b[1] * k, { steps: 6 })
  await page.mouse.up()
}

t.test('a reference and a mask made on the live screen of a run make the test pass', { skip: process.env.CI ? false : (chromiumMissing() ?? false) }, async t => {
  const dir = t.testdir({})
  const file = join(dir, 'menu.test.ts')
  // The first run holds the prompt until the page has made its reference (the file `done`), its own screendump saved to compare.
  writeFileSync(
    file,
    testFile([
      `await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000, maxDiffPixels: 40 })`,
      `writeFileSync(process.env.LIVE_OUT + '/menu.png', await vm.screenshot())`,
      `while (!existsSync(process.env.LIVE_OUT + '/done')) await new Promise(r => setTimeout(r, 100))`,
    ]),
  )
  const run = execa(process.execPath, [cli, 'run', '--ui', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'menu.test.ts'], { cwd: dir, reject: false, env: { LIVE_OUT: dir } })
  t.teardown(() => void run.kill('SIGTERM')) // on a failure before the end: the run stops its test and machine
  let stderr = ''
  run.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
  await until('the live view URL', () => /bootcheck: live view http/.test(stderr), 60_000)
  const url = /bootcheck: live view (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32}))/.exec(stderr)!
  const base = `http://127.0.0.1:${url[2]}`

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url[1]!)
  const card = page.locator('section.machine[data-machine=menu]')
  await page.waitForSelector('section.machine[data-machine=menu][data-vnc=connected][data-references=available] canvas', { timeout: 60_000 })
  t.match(await card.locator('.ref-reason').textContent(), /References go beside menu\.test\.ts/, 'the card names the test file')
  await until('the guest at its prompt, its screen saved', () => existsSync(join(dir, 'menu.png')))

  // Requests without the token (in the header) are refused, before anything is taken or written.
  const id = (await card.getAttribute('data-id'))!
  const rect = { x: 0, y: 0, width: 8, height: 8 }
  const noToken = await fetch(`${base}/api/reference/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'mask', name: 'prompt', rect }) })
  t.equal(noToken.status, 403, 'a write without the token: refused')
  const cookieOnly = await fetch(`${base}/api/screen/${id}`, { method: 'POST', headers: { cookie: `bootcheck_live=${url[3]}` } })
  t.equal(cookieOnly.status, 403, 'the cookie alone does not let a page take the screen: the token must be in a header')
  t.equal((await fetch(`${base}/api/reference/${id}?token=${url[3]}`, { method: 'POST', body: JSON.stringify({ op: 'mask', name: 'prompt', rect }) })).status, 403, 'nor the token in the URL')

  // Take the screen, drag over its first five text rows (SeaBIOS, isolinux's banner and entries; not the prompt's row
  // with its cursor): saved as the reference, from QEMU's pixels.
  await card.locator('button.ref-take').click()
  await page.waitForSelector('section.machine[data-ref=held] img.ref-shot', { timeout: 10_000 })
  await drag(page, [0, 0], [560, 78])
  await card.locator('input.ref-name').fill('prompt')
  const code = (await card.locator('pre.ref-code').textContent())!
  t.match(code, /^await vm\.waitForScreen\('prompt', \{ region: \{ x: \d+, y: \d+, width: \d+, height: \d+ \} \}\)\n/, 'the line to paste, before writing')
  const region = rectIn(code, { x: 0, y: 0, width: 560, height: 78 })
  t.ok(region.near, `the rectangle in screen pixels: ${JSON.stringify(region.rect)}`)
  await card.locator('button.ref-save').click()
  await card.locator('.ref-status.ref-ok').waitFor({ timeout: 10_000 })
  const status = (await card.locator('.ref-status').textContent())!
  t.match(status, /Wrote .*menu\.test\.screens\/prompt\.png, .*menu\.test\.screens\/prompt\.json\. In the test: await vm\.waitForScreen\('prompt', \{ region: /)
  if (process.env.BOOTCHECK_DOC_IMAGES) {
    mkdirSync(join(root, 'docs', 'images'), { recursive: true })
    await card.screenshot({ path: join(root, 'docs', 'images', 'live-references.png') })
  }
  const line = /In the test: (await vm\.waitForScreen\('prompt', \{ region: \{[^}]*\} \}\))/.exec(status)![1]!
  const refPng = join(dir, 'menu.test.screens', 'prompt.png')
  const sidecar = join(dir, 'menu.test.screens', 'prompt.json')
  t.same(JSON.parse(readFileSync(sidecar, 'utf8')), { region: region.rect }, 'the region in its sidecar')
  const saved = decodePng(readFileSync(refPng))
  const own = decodePng(readFileSync(join(dir, 'menu.png')))
  let differ = 0
  for (let i = 0; i < own.data.length; i += 4) if (own.data[i] !== saved.data[i] || own.data[i + 1] !== saved.data[i + 1] || own.data[i + 2] !== saved.data[i + 2]) differ++
  t.equal(`${saved.width}x${saved.height}`, `${own.width}x${own.height}`, "the whole screen, at QEMU's size")
  t.ok(differ < 40 * 16, `the same pixels as the test's own screendump (${differ} differ: the cursor at most)`)

  // A second rectangle, over SeaBIOS's version (another QEMU, another line): a mask of that reference.
  await drag(page, [0, 0], [400, 16])
  await card.locator('button.ref-mask').click()
  await card.locator('.ref-status.ref-ok', { hasText: 'expectScreen' }).waitFor({ timeout: 10_000 })
  const masked = (await card.locator('.ref-status').textContent())!
  t.match(masked, /Wrote .*prompt\.json\. In the test: await vm\.expectScreen\('prompt', \{ mask: \[\{ x: \d+, y: \d+, width: \d+, height: \d+ \}\] \}\)/)
  const mask = rectIn(masked, { x: 0, y: 0, width: 400, height: 16 })
  t.ok(mask.near, `the mask in screen pixels: ${JSON.stringify(mask.rect)}`)
  t.same(JSON.parse(readFileSync(sidecar, 'utf8')), { region: region.rect, mask: [mask.rect] }, 'the mask added to the sidecar, the region kept')
  // A name with path parts is refused, and the page says so.
  await card.locator('input.ref-name').fill('../escape')
  await card.locator('button.ref-save').click()
  await card.locator('.ref-status.ref-error').waitFor({ timeout: 10_000 })
  t.match(await card.locator('.ref-status').textContent(), /Not written: BOOTCHECK_SPEC: invalid reference name/)
  t.notOk(existsSync(join(dir, 'escape.png')) || existsSync(join(dir, 'escape.json')), 'nothing written for it')
  await card.locator('button.ref-release').click()
  await page.waitForSelector('section.machine[data-machine=menu]:not([data-ref]) canvas')
  t.equal(await card.locator('img.ref-shot').count(), 0, 'back to the live screen')
  writeFileSync(join(dir, 'done'), '')
  const first = await run
  t.equal(first.exitCode, 0, `the first run passed${first.exitCode === 0 ? '' : `\n${first.stdout.slice(-1500)}`}`)
  t.same(errors, [], 'no script errors')

  // The line the page showed, pasted into the test: the second run waits for that screen and passes.
  writeFileSync(file, testFile([line]))
  const second = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'menu.test.ts'], { cwd: dir, reject: false })
  t.equal(second.exitCode, 0, `the second run, with ${line}, passed${second.exitCode === 0 ? '' : `\n${second.stdout.slice(-2000)}`}`)
  t.match(second.stdout, /ok 1 - the isolinux prompt/)
})

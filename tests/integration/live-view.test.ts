// The live view of a real `bootcheck run --ui`: the demo ISO booted from its CD on real
// QEMU, watched in a real headless Chromium. Its boot prompt is in the page within 2 s of
// the guest printing it; keys typed while input is locked never reach the guest (even
// from a page that turned noVNC's view-only off: the server drops them), keys typed after
// unlocking do; requests without the token, or from another address, are refused.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { demoMedia } from '../../vm-configs/demo.js'
import { chromiumMissing, launchChromium } from './report-browser.js'
import { buildPackage, cli, importBoot, root } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

const until = async (what: string, ok: () => boolean, ms = 120_000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); await new Promise(r => setTimeout(r, 100))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
}

function reachableElsewhere(port: number): Promise<string[]> {
  const others = Object.values(networkInterfaces()).flat().filter(a => a && a.family === 'IPv4' && !a.internal).map(a => a!.address)
  return Promise.all(others.map(host => new Promise<string>(resolve => {
    const s = connect({ host, port })
    s.once('connect', () => (s.destroy(), resolve(`${host}: connected`)))
    s.once('error', e => resolve(`${host}: ${(e as NodeJS.ErrnoException).code}`))
  })))
}

/** Page script: samples the live canvas every 20 ms, keeping each change with the page's time (red channel, every third pixel). */
const SAMPLE_FRAMES = `
  window.frames_ = [];
  let last = '';
  setInterval(() => {
    const c = document.querySelector('section.machine canvas');
    if (!c || !c.width) return;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum = (sum * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
    const key = c.width + 'x' + c.height + ':' + sum;
    if (key === last || window.frames_.length > 400) return;
    last = key;
    const red = [c.width, c.height];
    for (let y = 0; y < c.height; y += 3) for (let x = 0; x < c.width; x += 3) red.push(d[(y * c.width + x) * 4]);
    window.frames_.push({ at: Date.now(), data: red });
  }, 20);
`

t.test('the live view shows the boot prompt at once; input only after unlocking; token and address enforced', { skip: process.env.CI ? false : (chromiumMissing() ?? false) }, async t => {
  const dir = t.testdir({
    'live.test.ts': [
      `import t from 'tap'`,
      `import { writeFileSync } from 'node:fs'`,
      importBoot,
      `t.test('the boot prompt waits for typed keys', async t => {`,
      `  const vm = await boot(t, { name: 'menu', cdrom: ${JSON.stringify(media.iso)} })`,
      `  await vm.console.waitFor('boot: ')`,
      `  writeFileSync(process.env.LIVE_OUT + '/prompt-at', String(Date.now()))`,
      `  await vm.type('q') // stops isolinux's 1 s timeout`,
      `  await vm.sendKey('backspace')`,
      `  await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000, maxDiffPixels: 40 })`,
      `  writeFileSync(process.env.LIVE_OUT + '/menu.png', await vm.screenshot())`,
      `  const m = await vm.console.waitFor('xyz', { timeout: 120_000 })`,
      `  t.notMatch(m.before, /abc/, 'keys typed while input was locked never reached the guest')`,
      `})`,
    ].join('\n'),
  })
  const run = execa(process.execPath, [cli, 'run', '--ui', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'live.test.ts'], { cwd: dir, reject: false, env: { LIVE_OUT: dir } })
  let stderr = ''
  run.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
  await until('the live view URL', () => /bootcheck: live view http/.test(stderr), 60_000)
  const url = /bootcheck: live view (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32}))/.exec(stderr)!
  t.ok(url, `the URL is printed with a token (${url?.[1]})`)
  const port = Number(url[2])
  const base = `http://127.0.0.1:${port}`
  t.equal((await fetch(`${base}/`)).status, 403, 'the page without the token: refused')
  t.equal((await fetch(`${base}/api/state?token=wrong${url[3]!.slice(5)}`)).status, 403, 'a wrong token: refused')
  t.equal((await fetch(`${base}/api/state`, { headers: { cookie: 'bootcheck_live=nope' } })).status, 403, 'a wrong cookie: refused')
  t.equal((await fetch(`${base}/api/input/000000000000?unlock=1`, { method: 'POST' })).status, 403, 'unlocking without the token: refused')
  t.equal((await fetch(`${base}/api/state?token=${url[3]}`)).status, 200, 'with the token: served')
  for (const answer of await reachableElsewhere(port)) t.notMatch(answer, /connected/, `not reachable from another address (${answer})`)

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url[1]!)
  const card = page.locator('section.machine[data-machine=menu]')
  await card.waitFor({ timeout: 60_000 })
  await page.waitForSelector('section.machine[data-vnc=connected] canvas', { timeout: 60_000 })
  // Sample the live canvas: every change, with the time the page had it.
  await page.evaluate(SAMPLE_FRAMES)
  await until('the guest at its prompt, its screen saved', () => existsSync(join(dir, 'menu.png')))
  const promptAt = Number(readFileSync(join(dir, 'prompt-at'), 'utf8'))
  const menu = PNG.sync.read(readFileSync(join(dir, 'menu.png')))
  const frames = (await page.evaluate('window.frames_')) as { at: number; data: number[] }[]
  // The first frame of the page that shows QEMU's own screendump of the prompt (red channel, 0.5% of pixels may differ: the cursor).
  const expected: number[] = []
  for (let y = 0; y < menu.height; y += 3) for (let x = 0; x < menu.width; x += 3) expected.push(menu.data[(y * menu.width + x) * 4]!)
  const same = (f: number[]): boolean => {
    if (f[0] !== menu.width || f[1] !== menu.height) return false
    let diff = 0
    for (let i = 0; i < expected.length; i++) if (Math.abs(f[i + 2]! - expected[i]!) > 32) diff++
    return diff < expected.length * 0.005
  }
  const shown = frames.find(f => f.at >= promptAt - 1000 && same(f.data))
  t.ok(shown, `the page showed the boot prompt (${frames.length} frames sampled)`)
  if (shown) t.ok(shown.at - promptAt < 2000, `within 2 s of the guest printing it: ${shown.at - promptAt} ms`)

  // Locked: a page that turns noVNC's view-only off still cannot type (the server drops it).
  await page.evaluate(`for (const c of window.bootcheckLive.cards.values()) { c.rfb.viewOnly = false; c.rfb.focus() }`)
  await page.keyboard.type('abc', { delay: 80 })
  await page.waitForTimeout(1500)
  t.equal(await card.getAttribute('data-input'), 'locked')
  await card.locator('button.unlock').click()
  await page.waitForSelector('section.machine[data-machine=menu][data-input=unlocked]')
  if (process.env.BOOTCHECK_DOC_IMAGES) {
    mkdirSync(join(root, 'docs', 'images'), { recursive: true })
    await page.screenshot({ path: join(root, 'docs', 'images', 'live-view.png') })
  }
  await card.locator('canvas').click()
  await page.keyboard.type('xyz', { delay: 80 })
  const r = await run
  t.equal(r.exitCode, 0, `the nested run passed: the keys typed after unlocking reached the guest, the ones before did not${r.exitCode === 0 ? '' : `\n${r.stdout.slice(-1500)}`}`)
  t.match(await card.locator('.xterm-rows').textContent(), /boot: xyz/, 'the serial console in the page shows them')
  t.same(errors, [], 'no script errors')
})

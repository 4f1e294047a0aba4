/**
 * Opens an HTML report in a real headless Chromium (Debian's `chromium`, through
 * playwright-core) and checks what a reader sees. Shared by the reporter's own test and
 * the end-to-end test of `bootcheck run`.
 */
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'

/** Where Chromium is looked for: `$BOOTCHECK_CHROMIUM`, then Debian's and Ubuntu's paths. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.BOOTCHECK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  return candidates.find((p): p is string => !!p && existsSync(p))
}

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return findChromium() ? undefined : 'no Chromium at $BOOTCHECK_CHROMIUM or /usr/bin/chromium: run scripts/setup.sh (apt-get install chromium)'
}

/** Launches headless Chromium as root can (no sandbox, no GPU, no /dev/shm). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium()
  if (!executablePath) throw new Error(chromiumMissing())
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-extensions'],
  })
}

/** A failed test the report must show. */
export interface FailedExpectation {
  /** The test's name (`data-test`). */
  test: string
  /** Text the visible failure message contains. */
  message?: string
  /** Text the visible console transcript contains. */
  transcript?: string
  /** Screens whose expected, actual and diff images must be visible and loaded. */
  screens?: string[]
  /**
   * The filmstrip: at least this many frames, each image loaded, with its time, taken no
   * later than `before` (ms after the start; the failure), and console lines in one of them.
   */
  filmstrip?: { minFrames: number; before?: number; console?: string }
}

/** What {@link checkReportInBrowser} checks. */
export interface ReportExpectations {
  /** The run's status in the header. */
  status: 'passed' | 'failed' | 'interrupted'
  failed?: FailedExpectation[]
  /** Tests that must be shown as passed. */
  passed?: string[]
  /** Tests that must show no filmstrip (passed tests keep none by default). */
  noFilmstrip?: string[]
  /** Tests that must be shown as skipped (or todo). */
  skipped?: string[]
}

/** The outcome: empty `problems` means every expectation held. */
export interface ReportCheck {
  problems: string[]
  /** Every test in the page: name → status. */
  tests: Record<string, string>
}

/**
 * Opens `reportPath` (a `report.html`) in headless Chromium and checks: the header status;
 * each failed test shown failed and expanded, with its message, transcript and screen
 * images (visible and decoded, naturalWidth > 0); passed and skipped tests shown with their
 * status; the filter buttons; no script errors and no request leaving `file:`/`data:`.
 */
export async function checkReportInBrowser(reportPath: string, exp: ReportExpectations): Promise<ReportCheck> {
  const browser = await launchChromium()
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const problems: string[] = []
    page.on('pageerror', e => problems.push(`script error: ${e.message}`))
    page.on('console', m => m.type() === 'error' && problems.push(`console error: ${m.text()}`))
    page.on('request', r => /^(file|data):/.test(r.url()) || problems.push(`network request: ${r.url()}`))
    await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' })
    const check = async (ok: boolean | Promise<boolean>, what: string): Promise<void> => {
      if (!(await ok)) problems.push(what)
    }

    await check((await page.getAttribute('header.run', 'data-status')) === exp.status, `header status is not ${exp.status}`)
    await check(page.locator('header.run .why').isVisible(), 'the header does not say why')
    for (const f of exp.failed ?? []) await checkFailed(page, f, check)
    for (const name of exp.passed ?? []) await checkShown(test(page, name), name, ['passed'], check)
    for (const name of exp.noFilmstrip ?? []) await check((await test(page, name).locator('.filmstrip').count()) === 0, `test '${name}' shows a filmstrip`)
    for (const name of exp.skipped ?? []) await checkShown(test(page, name), name, ['skipped', 'todo'], check)
    await checkFilters(page, exp, check)

    const tests = await page.$$eval('.test', els => Object.fromEntries(els.map(e => [(e as El).dataset.test ?? '', (e as El).dataset.status ?? ''])))
    return { problems, tests }
  } finally {
    await browser.close()
  }
}

// The DOM as the page functions below use it (this project compiles without the DOM library).
type El = { dataset: Record<string, string | undefined>; hidden: boolean }
type Img = { complete: boolean; naturalWidth: number; addEventListener(type: string, listener: () => void): void }

type Check = (ok: boolean | Promise<boolean>, what: string) => Promise<void>

function test(page: Page, name: string): Locator {
  return page.locator(`.test[data-test=${JSON.stringify(name)}]`)
}

async function checkShown(el: Locator, name: string, statuses: string[], check: Check): Promise<void> {
  if ((await el.count()) !== 1) return check(false, `test '${name}' is not in the report exactly once`)
  await check(el.locator('> summary').isVisible(), `test '${name}' is not visible`)
  const status = (await el.getAttribute('data-status')) ?? ''
  await check(statuses.includes(status), `test '${name}' is ${status}, not ${statuses.join('/')}`)
  const badge = (await el.locator('> summary .badge').innerText()).trim().toLowerCase()
  await check(badge === status, `test '${name}' shows '${badge}' for status ${status}`)
}

async function checkFailed(page: Page, f: FailedExpectation, check: Check): Promise<void> {
  const el = test(page, f.test)
  await checkShown(el, f.test, ['failed', 'interrupted'], check)
  if ((await el.count()) !== 1) return
  await check(el.evaluate(d => (d as { open: boolean }).open), `failed test '${f.test}' is not expanded`)
  const message = el.locator('.failure-message').first()
  await check(message.isVisible(), `failed test '${f.test}' shows no failure message`)
  if (f.message) await check((await message.innerText()).includes(f.message), `failure message of '${f.test}' lacks ${JSON.stringify(f.message)}`)
  if (f.transcript) {
    const pre = el.locator('pre.transcript').filter({ hasText: f.transcript })
    await check(pre.first().isVisible(), `transcript of '${f.test}' does not visibly show ${JSON.stringify(f.transcript)}`)
  }
  for (const screen of f.screens ?? []) {
    for (const kind of ['expected', 'actual', 'diff']) {
      const img = el.locator(`.screen[data-screen=${JSON.stringify(screen)}] .screen-${kind} img`)
      if ((await img.count()) !== 1) {
        await check(false, `screen '${screen}' of '${f.test}' has no ${kind} image`)
        continue
      }
      await check(img.isVisible(), `${kind} image of screen '${screen}' is not visible`)
      const width = await loadedWidth(img)
      await check(width > 0, `${kind} image of screen '${screen}' did not load (${await img.getAttribute('src')})`)
      await check(!!(await img.getAttribute('alt')), `${kind} image of screen '${screen}' has no alt text`)
    }
  }
  if (f.filmstrip) await checkFilmstrip(el, f, check)
}

async function checkFilmstrip(el: Locator, f: FailedExpectation, check: Check): Promise<void> {
  const want = f.filmstrip!
  const frames = el.locator('.filmstrip .filmstrip-frame')
  const n = await frames.count()
  if (n < want.minFrames) return check(false, `filmstrip of '${f.test}' has ${n} frames, fewer than ${want.minFrames}`)
  await check(el.locator('.filmstrip').isVisible(), `filmstrip of '${f.test}' is not visible`)
  const consoles: string[] = []
  for (let i = 0; i < n; i++) {
    const frame = frames.nth(i)
    const img = frame.locator('img')
    await img.scrollIntoViewIfNeeded()
    await check((await loadedWidth(img)) > 0, `filmstrip frame ${i + 1} of '${f.test}' did not load`)
    const time = await frame.locator('.frame-time').innerText()
    await check(/^\+\d+\.\d s$/.test(time), `filmstrip frame ${i + 1} of '${f.test}' shows no time ('${time}')`)
    const offset = Number(await frame.getAttribute('data-offset-ms'))
    if (want.before !== undefined) await check(offset <= want.before, `filmstrip frame ${i + 1} of '${f.test}' is after the failure (${offset} ms)`)
    if ((await frame.locator('.frame-console').count()) > 0) consoles.push(await frame.locator('.frame-console').innerText())
  }
  if (want.console) await check(consoles.some(c => c.includes(want.console!)), `no filmstrip frame of '${f.test}' shows the console line ${JSON.stringify(want.console)}`)
}

/** An image's natural width once it loaded or failed (0). */
function loadedWidth(img: Locator): Promise<number> {
  return img.evaluate(
    i =>
      new Promise<number>(resolve => {
        const im = i as Img
        if (im.complete) resolve(im.naturalWidth)
        else {
          im.addEventListener('load', () => resolve(im.naturalWidth))
          im.addEventListener('error', () => resolve(0))
        }
      }),
  )
}

async function checkFilters(page: Page, exp: ReportExpectations, check: Check): Promise<void> {
  const visible = (names: string[]): Promise<boolean[]> => Promise.all(names.map(n => test(page, n).isVisible()))
  const failed = (exp.failed ?? []).map(f => f.test)
  const passed = exp.passed ?? []
  const skipped = exp.skipped ?? []
  const views: [string, string[], string[]][] = [
    ['failed', failed, [...passed, ...skipped]],
    ['passed', passed, [...failed, ...skipped]],
    ['skipped', skipped, [...failed, ...passed]],
    ['all', [...failed, ...passed, ...skipped], []],
  ]
  for (const [filter, shown, hidden] of views) {
    const button = page.locator(`nav.filters button[data-filter=${filter}]`)
    if (!(await button.isVisible())) {
      await check(false, `no visible '${filter}' filter button`)
      continue
    }
    await button.click()
    await check((await button.getAttribute('aria-pressed')) === 'true', `'${filter}' button not pressed after a click`)
    const [on, off] = [await visible(shown), await visible(hidden)]
    for (const [i, name] of shown.entries()) await check(on[i] === true, `filter '${filter}' hides '${name}'`)
    for (const [i, name] of hidden.entries()) await check(off[i] === false, `filter '${filter}' shows '${name}'`)
    if (filter !== 'all') {
      const wrong = await page.$$eval('.test', (els, f) => {
        const ok: Record<string, string[]> = { failed: ['failed', 'interrupted'], passed: ['passed'], skipped: ['skipped', 'todo'] }
        return els.filter(e => !(e as El).hidden && !ok[f]!.includes((e as El).dataset.status ?? '')).map(e => (e as El).dataset.test)
      }, filter)
      await check(wrong.length === 0, `filter '${filter}' shows ${wrong.join(', ')}`)
    }
  }
}

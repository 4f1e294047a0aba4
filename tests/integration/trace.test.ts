// The trace of a real `bootcheck run` (the demo system booted on real QEMU, three commands,
// the last failing), opened in a real headless Chromium: from file://, through
// `bootcheck show-trace` (which listens on 127.0.0.1 only), and in a merged report.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { connect } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import type { RunRecord } from '../../src/report/model.js'
import { parseActions } from '../../src/report/actions.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { chromiumMissing, launchChromium } from './report-browser.js'
import { buildPackage, cli, directBootFields, importBoot, root, startShowTrace } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

/** What the trace page shows once its script ran. */
async function openTrace(browser: Browser, url: string, screenshot?: string) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  page.on('console', m => m.type() === 'error' && errors.push(m.text()))
  await page.goto(url)
  await page.waitForSelector('body[data-ready=true]', { timeout: 10_000 })
  const seen = {
    errors,
    selected: (await page.locator('#steps .step.selected').textContent()) ?? '',
    highlighted: (await page.locator('#console .line.hl').allTextContents()).join(''),
    commands: (await page.locator('#commands').textContent()) ?? '',
    outcome: (await page.locator('#step-outcome').textContent()) ?? '',
    frame: await page.locator('#frame img').count(),
    visibleHighlight: await page.locator('#console .line.hl').first().isVisible(),
  }
  // Another step under the cursor: its own lines.
  await page.locator('#steps .step').first().hover()
  const first = (await page.locator('#console .line.hl').allTextContents()).join('')
  if (screenshot) {
    await page.locator('#steps .step.step-error').hover()
    await page.screenshot({ path: screenshot })
  }
  await page.close()
  return { ...seen, first }
}

function listensOnlyOnLoopback(port: number): Promise<string[]> {
  const others = Object.values(networkInterfaces()).flat().filter(a => a && a.family === 'IPv4' && !a.internal).map(a => a!.address)
  return Promise.all(
    others.map(
      host =>
        new Promise<string>(resolve => {
          const s = connect({ host, port })
          s.once('connect', () => (s.destroy(), resolve(`${host}: connected`)))
          s.once('error', e => resolve(`${host}: ${(e as NodeJS.ErrnoException).code}`))
        }),
    ),
  )
}

t.test('the trace of a failed run opens at its failing step with its console lines highlighted', { skip: process.env.CI ? false : (chromiumMissing() ?? false) }, async t => {
  const dir = t.testdir({
    'steps.test.ts': [
      `import t from 'tap'`,
      importBoot,
      `t.test('three commands, the last fails', async t => {`,
      `  const vm = await boot(t, { name: 'demo', ${directBootFields(media)} })`,
      `  t.equal(await vm.succeed('echo ready'), 'ready\\n')`,
      `  await vm.succeed("printf '\\\\033[1;32mgreen\\\\033[0m\\\\n'")`,
      `  await vm.succeed('echo the-failing-step; false')`,
      `})`,
    ].join('\n'),
  })
  const r = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', 'steps.test.ts'], { cwd: dir, reject: false })
  t.equal(r.exitCode, 1, 'the run fails')
  t.match(r.stderr, /trace \(opens at the failing step\): runs\/\S+\/trace\.html, or bootcheck show-trace /, 'the summary names the trace')
  const runDir = join(dir, 'runs', 'latest')
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunRecord
  const machine = results.files[0]!.tests[0]!.machines[0]!
  const steps = parseActions(readFileSync(machine.actionsLog!, 'utf8'))
  const failing = steps.find(s => s.outcome === 'error')!
  t.ok(failing.console && failing.console.to > failing.console.from, `the failing step recorded its console offsets (${JSON.stringify(failing.console)})`)
  const raw = readFileSync(machine.transcript!)
  t.match(raw.subarray(failing.console!.from, failing.console!.to).toString('utf8'), /the-failing-step/, 'the offsets hold its command')
  const trace = join(machine.dir, '..', 'trace.html')
  t.ok(existsSync(trace), 'trace.html beside the machine folder')
  t.match(readFileSync(join(runDir, 'report.html'), 'utf8'), /<p class="trace-link"><a href="artifacts\/[^"]*\/trace\.html">Open the trace<\/a>/, 'the report links it')

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const shot = process.env.BOOTCHECK_DOC_IMAGES ? join(root, 'docs', 'images', 'trace.png') : undefined
  if (shot) mkdirSync(join(root, 'docs', 'images'), { recursive: true })
  const local = await openTrace(browser, pathToFileURL(trace).href, shot)
  t.same(local.errors, [], 'no script errors from file://')
  t.match(local.selected, /succeed.*echo the-failing-step; false/, 'opens at the failing step')
  t.match(local.outcome, /failed: CommandFailedError/)
  t.match(local.highlighted, /__bcx BC[0-9a-f]{12} 'echo the-failing-step; false'/, "its command's lines are highlighted")
  t.notMatch(local.highlighted, /echo ready/, 'and not those of another step')
  t.ok(local.visibleHighlight, 'scrolled into view')
  t.match(local.commands, /# echo the-failing-step; false\s*the-failing-step\s*exit status 1/, 'the clean view of its command')
  t.ok(local.frame >= 1, 'a filmstrip frame is shown')
  t.match(local.first, /echo ready/, 'the first step under the cursor highlights its own lines')

  const { server, url } = await startShowTrace(runDir, dir)
  const served = await openTrace(browser, url)
  t.same(served.errors, [], 'no script errors when served')
  t.match(served.selected, /echo the-failing-step; false/, 'served, it opens at the failing step too')
  const port = Number(new URL(url).port)
  for (const answer of await listensOnlyOnLoopback(port)) t.notMatch(answer, /connected/, `show-trace is not reachable from another address (${answer})`)
  server.kill('SIGTERM')
  t.equal((await server).exitCode, 0, 'show-trace stops on SIGTERM')

  const merged = join(dir, 'merged')
  const m = await execa(process.execPath, [cli, 'merge-reports', runDir, '--out', merged], { cwd: dir, reject: false })
  t.equal(m.exitCode, 1, 'the merged report fails too')
  const mergedRun = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')) as RunRecord
  const mergedTrace = join(mergedRun.files[0]!.tests[0]!.machines[0]!.dir, '..', 'trace.html')
  t.ok(mergedTrace.startsWith(merged), `the merged report has its own trace (${mergedTrace})`)
  const inMerged = await openTrace(browser, pathToFileURL(mergedTrace).href)
  t.same(inMerged.errors, [])
  t.match(inMerged.highlighted, /echo the-failing-step; false/, 'the merged trace opens at the failing step with its lines highlighted')
})

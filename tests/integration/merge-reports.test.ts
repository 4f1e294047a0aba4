// Two machines' shards of one suite, merged: `bootcheck run --shard i/2` twice (one file
// boots the demo media, one fails a plain assertion, one passes), then `bootcheck
// merge-reports` of a run folder and a .tar.gz of the other into one results.json,
// report.html (checked in Chromium, with the originals gone) and junit.xml.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, readFileSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { RunRecord } from '../../src/report/model.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { kids, parseXml } from '../unit/report/xml.js'
import { buildPackage, cli, directBootFields, importBoot } from './cli-helpers.js'
import { checkReportInBrowser, chromiumMissing, launchChromium } from './report-browser.js'

const media = await demoMedia()
await buildPackage()

const files = {
  // Sorted: a-boot, b-fail, c-pure; by count shard 1/2 gets a-boot and c-pure, 2/2 gets b-fail.
  'a-boot.test.ts': [
    `import t from 'tap'`,
    importBoot,
    `t.test('the demo kernel boots', async t => {`,
    `  const vm = await boot(t, { name: 'demo', memory: '512M', ${directBootFields(media)} })`,
    `  t.equal(await vm.succeed('echo merged-$((20+1))'), 'merged-21\\n')`,
    `  await vm.screenshot({ name: 'shell' })`,
    `})`,
  ].join('\n'),
  'b-fail.test.ts': [`import t from 'tap'`, `t.test('sums go wrong', async t => { t.equal(2 + 2, 5, 'two and two make five') })`].join('\n'),
  'c-pure.test.ts': [`import t from 'tap'`, `t.test('sums go right', async t => { t.equal(2 + 2, 4) })`].join('\n'),
}

function run(dir: string, ...args: string[]) {
  return execa(process.execPath, [cli, ...args], { cwd: dir, reject: false, env: { ...process.env, CI: '1' } })
}

t.test('bad --shard values are usage errors', async t => {
  const dir = t.testdir(files)
  for (const bad of ['3/2', '0/2', 'two']) {
    const r = await run(dir, 'run', '--shard', bad, '.')
    t.equal(r.exitCode, 2, `--shard ${bad} exits 2`)
    t.match(r.stderr, /--shard/)
  }
  const r = await run(dir, 'run', '--timings', 'x.json', '.')
  t.equal(r.exitCode, 2, '--timings without --shard')
})

t.test('two shards on two "machines", merged into one report', async t => {
  const dir = t.testdir({ suite: files })
  const started = Date.now()
  const s1 = await run(dir, 'run', '--shard', '1/2', '--runs-dir', join(dir, 'm1'), '--progress', 'plain', '--write-timings', join(dir, 'timings.json'), 'suite')
  const s2 = await run(dir, 'run', '--shard', '2/2', '--runs-dir', join(dir, 'm2'), '--progress', 'plain', 'suite')
  t.comment(`two shard runs took ${((Date.now() - started) / 1000).toFixed(1)} s`)
  t.equal(s1.exitCode, 0, 'shard 1 passes', { stderr: s1.stderr })
  t.equal(s2.exitCode, 1, 'shard 2 fails')
  t.match(s1.stderr, /shard 1\/2: 2 of 3 test file\(s\), split by count/)
  const r1 = JSON.parse(readFileSync(join(dir, 'm1', 'latest', 'results.json'), 'utf8')) as RunRecord
  const r2 = JSON.parse(readFileSync(join(dir, 'm2', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.same(r1.shard, { index: 1, total: 2, by: 'count', suiteFiles: 3 }, 'the shard is in results.json')
  t.same(r1.files.map(f => f.file), [join('suite', 'a-boot.test.ts'), join('suite', 'c-pure.test.ts')])
  t.same(r2.files.map(f => f.file), [join('suite', 'b-fail.test.ts')])
  const timings = JSON.parse(readFileSync(join(dir, 'timings.json'), 'utf8')) as { files: Record<string, number> }
  t.same(Object.keys(timings.files), ['suite/a-boot.test.ts', 'suite/c-pure.test.ts'], '--write-timings wrote the files of the shard')

  // The second machine's run folder arrives as an archive, as CI artifacts do.
  const archive = join(dir, 'shard-2.tar.gz')
  await execa('tar', ['-czf', archive, '-C', join(dir, 'm2'), '.'])
  const out = join(dir, 'merged')
  const m = await run(dir, 'merge-reports', join(dir, 'm1', 'latest'), archive, '--out', out, '--write-timings', join(dir, 'timings.json'))
  t.equal(m.exitCode, 1, 'the merge says the suite failed', { stderr: m.stderr })
  t.match(m.stderr, /✗ suite\/b-fail\.test\.ts › sums go wrong/)
  const timings2 = JSON.parse(readFileSync(join(dir, 'timings.json'), 'utf8')) as { files: Record<string, number> }
  t.same(Object.keys(timings2.files), ['suite/a-boot.test.ts', 'suite/b-fail.test.ts', 'suite/c-pure.test.ts'], 'merge-reports --write-timings knows every file')

  // The originals are gone: everything the merged report shows must be under --out.
  await rm(join(dir, 'm1'), { recursive: true })
  await rm(join(dir, 'm2'), { recursive: true })
  await rm(archive)

  const merged = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunRecord
  t.equal(merged.status, 'failed')
  t.same(merged.counts, { passed: r1.counts.passed + r2.counts.passed, failed: r1.counts.failed + r2.counts.failed, skipped: 0, todo: 0 }, 'counts are the sums')
  t.same(merged.counts, { passed: 2, failed: 1, skipped: 0, todo: 0 })
  t.same(merged.files.map(f => f.file), [...r1.files, ...r2.files].map(f => f.file), 'files concatenated in shard order')
  t.same(merged.shards!.map(s => [s.shard?.index, s.status, s.files, s.dir]), [
    [1, 'passed', 2, join(out, 'shards', '1')],
    [2, 'failed', 1, join(out, 'shards', '2')],
  ], 'the shards are listed')
  t.match(merged.shards![1]!.source, /shard-2\.tar\.gz/)
  const machine = merged.files[0]!.tests[0]!.machines[0]!
  t.equal(machine.machine, 'demo')
  t.ok(machine.dir.startsWith(join(out, 'shards', '1', 'artifacts') + '/'), `the machine's folder moved under --out (${machine.dir})`)
  for (const p of [machine.transcript, machine.command, machine.qmpLog, machine.actionsLog]) t.ok(p && existsSync(p), `${p} exists`)
  const shot = machine.actions!.find(a => a.action === 'screenshot')!.attachments![0]!.path
  t.ok(shot.startsWith(out) && existsSync(shot), 'the screenshot attachment points at its copy')
  t.match(readFileSync(machine.transcript!, 'utf8'), /stage-1: bootcheck live stage 1/, 'the copied transcript is the machine\'s')
  t.same((await readdir(join(out, 'shards'))).sort(), ['1', '2'])

  const junit = parseXml(readFileSync(join(out, 'junit.xml'), 'utf8'))
  t.same([junit.attrs.tests, junit.attrs.failures, junit.attrs.errors, junit.attrs.skipped], ['3', '1', '0', '0'], 'JUnit totals are the sums')
  t.same(kids(junit, 'testsuite').map(s => s.attrs.name), ['suite/a-boot.test.ts', 'suite/c-pure.test.ts', 'suite/b-fail.test.ts'])
  t.match(readFileSync(join(out, 'junit.xml'), 'utf8'), join(out, 'shards', '1', 'artifacts'), 'JUnit attachments point at the copies')

  const html = readFileSync(join(out, 'report.html'), 'utf8')
  t.match(html, /<ul class="shards"[^>]*><li data-shard="1\/2" data-status="passed">/, 'the report lists the shards')

  const missing = chromiumMissing()
  t.test('the merged report in a real browser', { skip: process.env.CI ? false : (missing ?? false) }, async t => {
    const report = join(out, 'report.html')
    const check = await checkReportInBrowser(report, {
      status: 'failed',
      failed: [{ test: 'sums go wrong', message: 'two and two make five' }],
      passed: ['the demo kernel boots', 'sums go right'],
    })
    t.same(check.problems, [], 'status, failure, passed tests and filters as in a single run')
    // Every relative link resolves to a file under --out, and the screenshot loads as an image from there.
    const browser = await launchChromium()
    t.teardown(() => browser.close())
    const page = await browser.newPage()
    await page.goto(pathToFileURL(report).href)
    const hrefs = await page.$$eval('a[href]', as => as.map(a => (a as unknown as { href: string }).href))
    const local = hrefs.filter(h => h.startsWith('file:'))
    t.ok(local.length >= 5, `the machine's logs are linked (${local.length} links)`)
    for (const h of local) {
      const p = fileURLToPath(h)
      t.ok(p.startsWith(resolve(out) + '/') && existsSync(p), `link ${p} is a file under --out`)
    }
    const shotHref = hrefs.find(h => h.endsWith('.png'))
    t.ok(shotHref, 'the screenshot is linked')
    const width = await page.evaluate(
      src =>
        new Promise<number>(done => {
          const Img = (globalThis as unknown as { Image: new () => { src: string; naturalWidth: number; onload: () => void; onerror: () => void } }).Image
          const img = new Img()
          img.onload = () => done(img.naturalWidth)
          img.onerror = () => done(0)
          img.src = src
        }),
      shotHref!,
    )
    t.ok(width > 0, `the screenshot loads as an image from the merged folder (${width} px wide)`)
    // A passing test's transcript is collapsed: its text is there, not shown.
    const transcript = await page.locator('.test[data-test="the demo kernel boots"] pre.transcript-clean').textContent()
    t.match(transcript, /stage-1: bootcheck live stage 1/, 'the passing machine\'s transcript is inlined from its copy')
  })
})

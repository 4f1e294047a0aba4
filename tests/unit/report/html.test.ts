import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { renderHtml, writeHtmlReport } from '../../../src/report/index.js'
import type { RunRecord } from '../../../src/report/index.js'
import { FIXTURE, makeFixtureRun, removeFixtureRun } from '../../integration/report-fixture.js'

const runs: RunRecord[] = []
t.teardown(() => Promise.all(runs.map(removeFixtureRun)))
async function fixture(opts: { outside?: boolean } = {}): Promise<RunRecord> {
  const run = await makeFixtureRun(opts)
  runs.push(run)
  return run
}

/** The markup of the `<tag>` element whose opening tag comes last before `marker`, nested tags included. */
function element(html: string, marker: string, tag: string): string {
  const at = html.indexOf(marker)
  const start = html.lastIndexOf(`<${tag}`, at)
  if (at < 0 || start < 0) throw new Error(`no <${tag}> with ${marker}`)
  const re = new RegExp(`<${tag}[\\s>]|</${tag}>`, 'g')
  re.lastIndex = start
  let depth = 0
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[0].startsWith('</') ? -1 : 1
    if (depth === 0) return html.slice(start, m.index + m[0].length)
  }
  throw new Error(`<${tag}> with ${marker} is not closed`)
}

t.test('a self-contained page with the run in its header', async t => {
  const run = await fixture()
  const html = renderHtml(run)
  t.match(html, /^<!doctype html>\n<html lang="en">/)
  t.match(html, '<title>bootcheck: failed (2 passed, 1 failed, 2 skipped)</title>')
  t.match(html, /<style>[^]*<\/style>/)
  t.match(html, /<script>[^]*<\/script>/)
  t.notMatch(html, /<link\b|<script src|(?:src|href)="https?:/, 'nothing loaded from the network')
  for (const tag of ['section', 'details', 'figure', 'header', 'main', 'pre'])
    t.equal(html.split(`<${tag}`).length, html.split(`</${tag}>`).length, `<${tag}> balanced`)
  t.match(html, '<header class="run" data-status="failed">')
  t.match(html, '<p class="why">1 test failed in 1 file.</p>')
  t.match(html, /data-fact="passed"><dt>Passed<\/dt><dd>2</)
  t.match(html, /data-fact="duration"><dt>Duration<\/dt><dd>42.0 s</)
  t.match(html, /data-fact="hostname"><dt>Host<\/dt><dd>builder-1</)
  for (const [f, n] of [['all', 5], ['failed', 1], ['passed', 2], ['skipped', 2]] as const) t.match(html, new RegExp(`<button type="button" data-filter="${f}" aria-pressed="${f === 'all'}">\\w+ \\(${n}\\)</button>`))
})

t.test('files and tests with status, time and open state', async t => {
  const run = await fixture()
  const html = renderHtml(run)
  t.match(html, `<section class="file" data-file="${FIXTURE.failedFile}" data-status="failed">`)
  t.match(html, '<section class="file" data-file="tests/other.test.ts" data-status="passed">')
  const failed = element(html, `data-test="${FIXTURE.failedTest.replace('>', '&gt;')}"`, 'details')
  t.match(failed, /^<details class="test" data-test="GRUB menu &gt; looks right" data-status="failed" open>/, 'failed test expanded')
  t.match(failed, '<h3 class="test-name">GRUB menu &gt; looks right</h3> <span class="time">12.0 s</span>')
  t.match(failed, '<pre class="failure-message">Screen &apos;grub-menu&apos; does not match its reference: 12.5% of pixels differ &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</pre>')
  t.notMatch(html, '<script>alert', 'the message is escaped')
  t.match(failed, '<pre class="diagnostic">at: tests/boot.test.ts:20:5')
  const passed = element(html, 'data-test="boots to a shell"', 'details')
  t.match(passed, /^<details class="test" data-test="boots to a shell" data-status="passed">/, 'passed test collapsed')
  t.match(passed, '<details class="transcript-block"><summary>', 'its transcript collapsed')
  t.match(html, /data-test="needs KVM" data-status="skipped">[^]*<p class="reason">Skipped: no KVM on this host<\/p>/)
  t.match(html, /data-test="UEFI secure boot" data-status="todo">/)
})

t.test('machines: transcript inlined and cleaned, logs and screens linked relatively', async t => {
  const run = await fixture()
  const html = renderHtml(run)
  const machine = element(html, 'data-machine="uefi vm"', 'section')
  t.match(machine, '<h4>Machine <code>uefi vm</code></h4>')
  t.match(machine, 'tcg · 512 MiB · ran 10.5 s')
  t.match(machine, '<details class="transcript-block" open>')
  t.match(machine, /<pre class="transcript">SeaBIOS \(version 1.16\)\nWelcome to &lt;Bootcheck Linux&gt; &amp; friends\nbell\\x07 and NUL here\nFIXTURE-LAST-LINE login:<\/pre>/, 'ANSI and CR removed, escaped, controls visible')
  t.notMatch(html, /[\x00-\x08\x0b\x0c\x0e-\x1f]/, 'no control characters in the page')
  const base = 'artifacts/tests-boot.test.ts/GRUB-menu-looks-right/uefi%20vm'
  t.match(machine, `<a class="log-transcript" href="${base}/console.log">console.log</a>`)
  t.match(machine, `<a class="log-command" href="${base}/qemu-command.txt">qemu-command.txt</a>`)
  t.match(machine, `<a class="log-qmp" href="${base}/qmp.log">`)
  t.match(machine, `<a class="log-stderr" href="${base}/qemu-stderr.log">`)
  t.match(machine, `<a class="log-pcap" data-network="lan" href="artifacts/tests-boot.test.ts/GRUB-menu-looks-right/network-lan/lan.pcap"`, 'the capture of each network the machine was on')
  const screen = element(html, `data-screen="${FIXTURE.screen}"`, 'section')
  t.match(screen, "<h5>Screen <code>grub-menu</code> did not match its reference</h5>")
  for (const [kind, label] of [['expected', 'Expected'], ['actual', 'Actual'], ['diff', 'Difference']])
    t.match(screen, `<figure class="screen-${kind}"><a href="${base}/grub-menu-${kind}.png" target="_blank"><img src="${base}/grub-menu-${kind}.png" alt="${label} screen &apos;grub-menu&apos;"`)
})

t.test('images outside the report folder are inlined; missing files are named', async t => {
  const run = await fixture({ outside: true })
  const html = renderHtml(run)
  const outside = element(html, 'data-screen="outside"', 'section')
  t.equal(outside.match(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/g)?.length, 3, 'three data: URIs')
  const m = run.files[0]!.tests[1]!.machines[0]!
  m.screens[0]!.diff = join(run.dir, 'gone.png')
  m.transcript = join(run.dir, 'gone.log')
  const html2 = renderHtml(run)
  t.match(html2, `<p class="missing">Missing file ${join(run.dir, 'gone.png')}</p>`)
  t.match(html2, 'class="missing transcript-missing">Transcript ')
})

t.test('long transcripts show their tail with a note and a link', async t => {
  const run = await fixture()
  const m = run.files[0]!.tests[1]!.machines[0]!
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} of the boot`)
  await writeFile(m.transcript!, lines.join('\r\n') + '\r\n')
  const html = renderHtml(run, { failedTranscriptBytes: 10_000 })
  const pre = element(html, '<pre class="transcript">line', 'pre')
  t.match(pre, /^<pre class="transcript">line \d+ of the boot\n/, 'starts at a whole line')
  t.match(pre, 'line 19999 of the boot\n</pre>')
  t.notMatch(pre, 'line 0 of')
  t.ok(pre.length < 11_000, 'about the limit')
  t.match(html, /<p class="transcript-note muted">Showing the last 9\.\d KiB of 4\d\d\.\d KiB; the whole transcript is <a href="artifacts\/[^"]+\/console.log">console.log<\/a>.<\/p>/)
})

t.test('interrupted and crashed runs say why', async t => {
  const run = await fixture()
  run.status = 'interrupted'
  run.interruptedBy = 'SIGTERM'
  run.files[1]!.status = 'interrupted'
  t.match(renderHtml(run), '<p class="why">Interrupted by SIGTERM; 1 file did not finish.</p>')
  run.status = 'failed'
  run.files[1]!.status = 'failed'
  run.files[1]!.tap = 'TAP version 14\nBail out! <boom>\n'
  const html = renderHtml(run)
  t.match(html, '<p class="why">1 test failed; 1 file failed outside any test (tests/other.test.ts) in 2 files.</p>')
  t.match(html, '<p class="file-failure">The file failed outside any test')
  t.match(html, '<pre class="tap">TAP version 14\nBail out! &lt;boom&gt;\n</pre>')
})

t.test('writeHtmlReport writes report.html and links relative to where it is written', async t => {
  const run = await fixture()
  const path = await writeHtmlReport(run)
  t.equal(path, join(run.dir, 'report.html'))
  t.match(await readFile(path, 'utf8'), 'src="artifacts/tests-boot.test.ts/')
  const elsewhere = await mkdtemp(join(tmpdir(), 'bootcheck-elsewhere-'))
  t.teardown(() => rm(elsewhere, { recursive: true, force: true }))
  const html = await readFile(await writeHtmlReport(run, join(elsewhere, 'r.html')), 'utf8')
  t.match(html, 'src="data:image/png;base64,')
  t.match(html, `href="file://${run.dir}/artifacts/`)
})

t.test('a filmstrip: each frame with its time and the console lines then; a missing frame is named', async t => {
  const run = await fixture()
  const m = run.files[0]!.tests[1]!.machines[0]!
  const png = join(m.dir, 'filmstrip-001.png')
  await writeFile(png, Buffer.from('89504e470d0a1a0a', 'hex'))
  m.filmstrip = [
    { file: png, offsetMs: 1500, at: '2026-12-02T06:00:01.500Z', console: ['SeaBIOS', 'boot: <menu>'] },
    { file: join(m.dir, 'gone.png'), offsetMs: 12_345, at: '2026-12-02T06:00:12.345Z', console: [] },
  ]
  const html = renderHtml(run)
  const strip = element(html, 'class="filmstrip"', 'section')
  t.match(strip, '<h5>Filmstrip <span class="muted">(2 frames: the screen whenever it changed)</span></h5>')
  t.match(strip, /<figure class="filmstrip-frame" data-offset-ms="1500"><img src="artifacts\/[^"]+\/filmstrip-001.png" alt="Screen at \+1.5 s" loading="lazy" decoding="async">/, 'frames load as they come into view')
  t.match(strip, '<span class="frame-time">+1.5 s</span> <span class="muted">06:00:01</span><pre class="frame-console">SeaBIOS\nboot: &lt;menu&gt;</pre>')
  t.match(strip, `<p class="missing">Missing file ${join(m.dir, 'gone.png')}</p><figcaption><span class="frame-time">+12.3 s</span>`)
  delete m.filmstrip
  t.notMatch(renderHtml(run), 'class="filmstrip"', 'no filmstrip, no section')
})

/** The HTML of the report's header, its files and their tests. */
import type { FileRecord, RunRecord, Status, TestRecord } from '../model.js'
import { escapeAttribute as attr, escapeMarkup as esc, humanDuration, isFailure, tail } from '../text.js'
import { fileHref } from './files.js'
import { renderMachine } from './machine.js'

/** Limits and places the sections render with. */
export interface SectionContext {
  reportDir: string
  /** Transcript tail shown for failed/interrupted tests and files (bytes). */
  failedTranscriptBytes: number
  /** Transcript tail shown for other tests (bytes), collapsed. */
  otherTranscriptBytes: number
  /** TAP output tail shown for a failed file (characters). */
  tapChars: number
  /** Each test's trace page, when written. */
  traces: ReadonlyMap<TestRecord, string>
}

/** A status word as a badge. */
export function badge(status: Status | 'running'): string {
  return `<span class="badge" data-status="${attr(status)}">${esc(status)}</span>`
}

/** One line on why the run ended as it did. */
export function runSummary(run: RunRecord): string {
  const tests = run.files.flatMap(f => f.tests)
  const failedTests = tests.filter(t => isFailure(t.status)).length
  const badFiles = run.files.filter(f => isFailure(f.status))
  if (run.status === 'interrupted') {
    const unfinished = run.files.filter(f => f.status === 'interrupted').length
    return `Interrupted${run.interruptedBy ? ` by ${run.interruptedBy}` : ''}; ${plural(unfinished, 'file')} did not finish.`
  }
  if (run.status === 'failed') {
    const parts: string[] = []
    if (failedTests) parts.push(`${plural(failedTests, 'test')} failed`)
    const crashed = badFiles.filter(f => !f.tests.some(t => isFailure(t.status)))
    if (crashed.length) parts.push(`${plural(crashed.length, 'file')} failed outside any test (${crashed.map(f => f.file).join(', ')})`)
    if (!parts.length) parts.push('the run failed')
    return `${cap(parts.join('; '))} in ${plural(badFiles.length || run.files.length, 'file')}.`
  }
  return `All ${plural(run.counts.passed, 'test')} passed${run.counts.skipped + run.counts.todo ? ` (${run.counts.skipped + run.counts.todo} skipped or todo)` : ''}.`
}

/** The header: status and why, counts, duration, host facts, filter buttons. */
export function renderHeader(run: RunRecord): string {
  const tests = run.files.flatMap(f => f.tests)
  const n = (ok: (s: Status) => boolean): number => tests.filter(t => ok(t.status)).length
  const fact = (label: string, value: string, key: string): string => `<div data-fact="${key}"><dt>${label}</dt><dd>${value}</dd></div>` // label, key: literals; value: escaped by the caller
  const c = run.counts
  const button = (filter: string, label: string, count: number): string =>
    `<button type="button" data-filter="${filter}" aria-pressed="${filter === 'all'}">${label} (${esc(String(count))})</button>`
  return [
    `<header class="run" data-status="${attr(run.status)}">`,
    `<h1>bootcheck run ${badge(run.status)}</h1>`,
    `<p class="why">${esc(runSummary(run))}</p>`,
    '<dl class="facts counts">',
    fact('Passed', esc(String(c.passed)), 'passed'),
    fact('Failed', esc(String(c.failed)), 'failed'),
    ...(c.flaky !== undefined ? [fact('Flaky', esc(String(c.flaky)), 'flaky')] : []),
    fact('Skipped', esc(String(c.skipped)), 'skipped'),
    fact('Todo', esc(String(c.todo)), 'todo'),
    fact('Files', esc(String(run.files.length)), 'files'),
    fact('Duration', esc(humanDuration(run.durationMs)), 'duration'),
    '</dl>',
    '<dl class="facts host">',
    fact('Started', `<time datetime="${attr(run.startedAt)}">${esc(run.startedAt)}</time>`, 'started'),
    fact('Host', esc(run.host.hostname), 'hostname'),
    fact('CPUs', esc(String(run.host.cpus)), 'cpus'),
    fact('Memory', `${esc(String(run.host.memoryMiB))} MiB`, 'memory'),
    fact('QEMU budget', `${esc(String(run.host.budgetMiB))} MiB`, 'budget'),
    fact('Jobs', esc(String(run.host.jobs)), 'jobs'),
    fact('Run folder', `<code>${esc(run.dir)}</code>`, 'dir'),
    ...(run.shard ? [fact('Shard', `${esc(`${run.shard.index}/${run.shard.total}`)} <span class="muted">(${run.files.length} of ${esc(String(run.shard.suiteFiles))} files, by ${esc(run.shard.by)})</span>`, 'shard')] : []),
    '</dl>',
    ...(run.shards?.length || run.missingShards?.length ? [renderShards(run)] : []),
    '<nav class="filters" aria-label="Show tests by status">',
    button('all', 'All', tests.length),
    button('failed', 'Failed', n(isFailure)),
    ...(c.flaky ? [button('flaky', 'Flaky', n(s => s === 'flaky'))] : []),
    ...(c.known ? [button('known', 'Known', n(s => s === 'known'))] : []),
    button('passed', 'Passed', n(s => s === 'passed')),
    button('skipped', 'Skipped', n(s => s === 'skipped' || s === 'todo')),
    '</nav>',
    '</header>',
  ].join('\n')
}

/** The runs a merged report was made of: `<ul class="shards">` with one `li[data-shard]` each. */
function renderShards(run: RunRecord): string {
  const items = (run.shards ?? []).map((s, i) => {
    const label = s.shard ? `${s.shard.index}/${s.shard.total}` : String(i + 1)
    const c = s.counts
    return `<li data-shard="${attr(label)}" data-status="${attr(s.status)}">${badge(s.status)} shard <b>${esc(label)}</b> on <code>${esc(s.hostname)}</code>: ${esc(plural(s.files, 'file'))}, ${esc(String(c.passed))} passed, ${esc(String(c.failed))} failed, ${esc(String(c.skipped + c.todo))} skipped, ${humanDuration(s.durationMs)} <span class="muted">(from ${esc(s.source)})</span></li>`
  })
  for (const m of run.missingShards ?? []) items.push(`<li data-shard="${attr(String(m))}" data-status="failed" class="missing">${badge('failed')} shard <b>${esc(String(m))}</b> is missing: its files did not run, or its report was not merged</li>`)
  return `<ul class="shards" aria-label="Merged runs">${items.join('')}</ul>`
}

/** A file as `<section class="file" data-file data-status>` with its tests. */
export function renderFile(file: FileRecord, ctx: SectionContext): string {
  const failed = isFailure(file.status)
  const out = [
    `<section class="file" data-file="${attr(file.file)}" data-status="${attr(file.status)}">`,
    `<h2>${badge(file.status)} <span class="file-name">${esc(file.file)}</span>${file.project !== undefined ? ` <span class="project muted" data-project="${attr(file.project)}">[${esc(file.project)}]</span>` : ''}${file.repeat !== undefined ? ` <span class="repeat muted">repeat ${esc(String(file.repeat))}</span>` : ''} <span class="time">${esc(humanDuration(file.durationMs))}</span></h2>`,
  ]
  if (file.attempts?.length) out.push(renderAttempts(file, ctx))
  if (failed && !file.tests.some(t => isFailure(t.status))) {
    const why = file.status === 'interrupted' ? 'The file was interrupted before it finished.' : 'The file failed outside any test (it crashed, timed out or exited non-zero).'
    out.push(`<p class="file-failure">${why}</p>`)
  }
  if (file.tests.length === 0) out.push('<p class="muted no-tests">No tests reported.</p>')
  out.push(...file.tests.map(t => renderTest(t, ctx)))
  if (file.machines.length) {
    const open = failed
    out.push('<div class="file-machines"><h3>Machines outside a listed test</h3>')
    out.push(...file.machines.map(m => renderMachine(m, { reportDir: ctx.reportDir, open, transcriptBytes: open ? ctx.failedTranscriptBytes : ctx.otherTranscriptBytes })))
    out.push('</div>')
  }
  if (failed && file.tap.trim()) {
    const t = tail(file.tap, ctx.tapChars)
    const note = t.dropped ? ` <span class="muted">(last ${t.text.length} characters)</span>` : ''
    out.push(`<details class="tap-output"><summary>TAP output${note}</summary><pre class="tap">${esc(t.text)}</pre></details>`)
  }
  out.push('</section>')
  return out.join('\n')
}

/**
 * The failed attempts before a retried file's last, each a `<details class="attempt"
 * data-attempt data-status>` with its failed tests and their machines (folders `attempt-<n>/`).
 */
function renderAttempts(file: FileRecord, ctx: SectionContext): string {
  const attempts = file.attempts ?? []
  const last = file.attempt ?? attempts.length + 1
  const out = [`<p class="attempts">${file.status === 'flaky' ? 'Flaky: failed' : 'Failed'} on attempt ${attempts.map(a => a.attempt).join(', ')}; the tests below are attempt ${last}'s.</p>`]
  for (const a of attempts) {
    const failed = a.tests.filter(t => isFailure(t.status))
    const body = failed.map(t => renderTest(t, ctx))
    if (!failed.length) body.push(`<p class="file-failure">Attempt ${a.attempt} failed outside any test (it crashed, timed out or exited non-zero).</p>`)
    body.push(...a.machines.map(m => renderMachine(m, { reportDir: ctx.reportDir, open: false, transcriptBytes: ctx.otherTranscriptBytes })))
    if (a.tap.trim()) body.push(`<details class="tap-output"><summary>TAP output of attempt ${a.attempt}</summary><pre class="tap">${esc(tail(a.tap, ctx.tapChars).text)}</pre></details>`)
    out.push(`<details class="attempt" data-attempt="${a.attempt}" data-status="${a.status}"><summary>${badge(a.status)} attempt ${a.attempt} <span class="time">${humanDuration(a.durationMs)}</span></summary>${body.join('\n')}</details>`)
  }
  return out.join('\n')
}

/** A test as `<details class="test" data-test data-status>`, open when it failed. */
export function renderTest(t: TestRecord, ctx: SectionContext): string {
  const failed = isFailure(t.status)
  const body: string[] = []
  const trace = ctx.traces.get(t)
  if (trace) body.push(`<p class="trace-link"><a href="${attr(fileHref(trace, ctx.reportDir))}">Open the trace</a> <span class="muted">(${failed ? 'at the failing step: ' : ''}each step with its console lines, screen, QMP events and network frames)</span></p>`)
  if (failed && t.message) body.push(`<pre class="failure-message">${esc(t.message)}</pre>`)
  if (failed && !t.message) body.push(`<p class="failure-message">${t.status === 'interrupted' ? 'Interrupted.' : 'Failed (no message).'}</p>`)
  if (t.diagnostic?.trim()) body.push(`<pre class="diagnostic">${esc(t.diagnostic)}</pre>`)
  if (t.knownFailure) body.push(`<p class="known-failure">Known failure, tracked at ${trackerLink(t.knownFailure.tracker)} (<code>${esc(t.knownFailure.pattern)}</code>) ${t.knownFailure.expired ? `— the entry expired on ${esc(t.knownFailure.expires)}: it fails again` : `until ${esc(t.knownFailure.expires)}`}.</p>`)
  if (t.status === 'known' && t.message) body.push(`<pre class="failure-message">${esc(t.message)}</pre>`)
  if (t.reason) body.push(`<p class="reason">${t.status === 'todo' ? 'Todo' : 'Skipped'}: ${esc(t.reason)}</p>`)
  const transcriptBytes = failed ? ctx.failedTranscriptBytes : ctx.otherTranscriptBytes
  body.push(...t.machines.map(m => renderMachine(m, { reportDir: ctx.reportDir, open: failed, transcriptBytes })))
  if (!body.length) body.push('<p class="muted">Nothing more to show.</p>')
  return [
    `<details class="test" data-test="${attr(t.name)}" data-status="${attr(t.status)}"${failed ? ' open' : ''}>`,
    `<summary>${badge(t.status)} <h3 class="test-name">${esc(t.name)}</h3> <span class="time">${t.durationMs === undefined ? '' : esc(humanDuration(t.durationMs))}</span></summary>`,
    `<div class="test-body">${body.join('\n')}</div>`,
    '</details>',
  ].join('\n')
}

/** A link to an http(s) tracker; anything else (a hand-edited results.json) as text. */
function trackerLink(url: string): string {
  return /^https?:\/\//.test(url) ? `<a href="${attr(url)}">${esc(url)}</a>` : `<code>${esc(url)}</code>`
}

function plural(n: number, word: string): string {
  return `${esc(String(n))} ${word}${n === 1 ? '' : 's'}`
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

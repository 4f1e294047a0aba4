/**
 * JUnit XML for CI systems (Jenkins, GitLab, GitHub test-report actions): one `<testsuite>`
 * per test file, one `<testcase>` per test. See {@link renderJUnit}.
 */
import { relative } from 'node:path'
import { earlierFailures, type EarlierFailure } from './attempts.js'
import type { FileRecord, MachineRecord, RunRecord, TestRecord } from './model.js'
import { entryLabel, escapeAttribute as attr, escapeMarkup as text, isFailure, seconds, tail } from './text.js'

/** Options of {@link renderJUnit}. */
export interface JUnitOptions {
  /**
   * Writes attachment paths relative to this folder (GitLab wants them relative to
   * `$CI_PROJECT_DIR`); default: absolute paths, as Jenkins' attachments plugin wants.
   */
  relativeTo?: string
  /** How much of a failed file's raw TAP output goes into its `<system-out>` (characters, default 64 KiB). */
  tapTailChars?: number
}

type Outcome = { failures: number; errors: number; skipped: number; tests: number }

/**
 * Renders a run as JUnit XML. `<testsuites>` carries the run's totals; each file becomes a
 * `<testsuite>` (`classname` of its test cases: the path without extension, `/` → `.`, other
 * dots → `_`); a `failed` test gets `<failure>`, `skipped`/`todo` gets `<skipped>`, an
 * `interrupted` test gets `<error>`. With retries, as Maven Surefire writes reruns: a `flaky`
 * test (failed, then passed) gets one `<flakyFailure>` per failed attempt; a test that failed
 * every attempt gets the first attempt's `<failure>` and a `<rerunFailure>` per later one. A failed or interrupted file without such a test gets
 * one extra test case named after the file, so CI still shows it red. Each test case's
 * `<system-out>` names its artifacts folders and has `[[ATTACHMENT|path]]` lines for screen
 * images (actual first) and transcripts. Times are seconds; timestamps are UTC without zone,
 * as the JUnit schema wants.
 */
export function renderJUnit(run: RunRecord, opts: JUnitOptions = {}): string {
  const suites = run.files.map(f => renderSuite(run, f, opts))
  const total = suites.reduce<Outcome>((a, s) => add(a, s.outcome), { failures: 0, errors: 0, skipped: 0, tests: 0 })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bootcheck"${counts(total)} time="${seconds(run.durationMs)}" timestamp="${attr(timestamp(run.startedAt))}">`,
    ...suites.map(s => s.xml),
    '</testsuites>',
    '',
  ].join('\n')
}

function renderSuite(run: RunRecord, file: FileRecord, opts: JUnitOptions): { xml: string; outcome: Outcome } {
  const tests = [...file.tests]
  if (isFailure(file.status) && !tests.some(t => isFailure(t.status))) tests.push(fileCase(file, run))
  // A file that crashed on an attempt and passed on the next: one case carries the crash.
  if (file.status === 'flaky' && !tests.some(t => t.status === 'flaky')) tests.push({ name: file.file, status: 'flaky', durationMs: file.durationMs, machines: [] })
  const outcome: Outcome = { tests: tests.length, failures: 0, errors: 0, skipped: 0 }
  for (const t of tests) {
    if (t.status === 'failed') outcome.failures++
    else if (t.status === 'interrupted') outcome.errors++
    else if (t.status === 'skipped' || t.status === 'todo' || t.status === 'known') outcome.skipped++
  }
  const cls = className(file.file)
  const name = entryLabel(file)
  const lines = [
    `  <testsuite name="${attr(name)}"${counts(outcome)} time="${seconds(file.durationMs)}" timestamp="${attr(timestamp(run.startedAt))}" hostname="${attr(run.host.hostname)}" file="${attr(file.file)}">`,
    ...tests.map(t => renderCase(t, cls, file, opts)),
  ]
  const out = suiteOut(file, run, opts)
  if (out) lines.push(`    <system-out>${text(out)}</system-out>`)
  lines.push('  </testsuite>')
  return { xml: lines.join('\n'), outcome }
}

function renderCase(t: TestRecord, cls: string, file: FileRecord, opts: JUnitOptions): string {
  const open = `    <testcase name="${attr(t.name)}" classname="${attr(cls)}" time="${seconds(t.durationMs)}" file="${attr(file.file)}"`
  const inner: string[] = []
  const body = [t.message, t.diagnostic].filter(s => s && s.trim()).join('\n\n')
  const earlier = earlierFailures(file, t.name)
  if (t.status === 'flaky') {
    // As Maven Surefire writes a test that passed on a rerun: one <flakyFailure> per failed run.
    for (const e of earlier) inner.push(rerunElement('flakyFailure', e, file, opts))
  } else if (t.status === 'failed' && earlier.length) {
    // Surefire: the first run's failure is <failure>, each rerun's failure a <rerunFailure>.
    const [first, ...rest] = earlier
    const firstBody = [first!.message, first!.diagnostic].filter(s => s && s.trim()).join('\n\n')
    inner.push(`      <failure message="${attr(shortMessage(first!.message) || 'failed')}" type="failure">${text(`attempt ${first!.attempt}: ${firstBody}`)}</failure>`)
    for (const e of rest) inner.push(rerunElement('rerunFailure', e, file, opts))
    inner.push(rerunElement('rerunFailure', { attempt: file.attempt ?? earlier.length + 1, status: t.status, ...(t.message ? { message: t.message } : {}), ...(t.diagnostic ? { diagnostic: t.diagnostic } : {}) }, file, opts))
  } else if (t.status === 'failed') {
    inner.push(`      <failure message="${attr(shortMessage(t.message) || 'failed')}" type="failure">${text(body)}</failure>`)
  } else if (t.status === 'interrupted') {
    inner.push(`      <error message="${attr(shortMessage(t.message) || 'interrupted')}" type="interrupted">${text(body)}</error>`)
  } else if (t.status === 'known' && t.knownFailure) {
    // CI shows it as skipped, not red: the failure is tracked (message and tracker kept).
    inner.push(`      <skipped message="${attr(`known failure: ${t.knownFailure.tracker} (until ${t.knownFailure.expires})`)}">${text(body)}</skipped>`)
  } else if (t.status === 'skipped' || t.status === 'todo') {
    const why = t.reason ? `${t.status}: ${t.reason}` : t.status
    inner.push(`      <skipped message="${attr(why)}"/>`)
  }
  const out = machinesOut(t.machines, opts)
  if (out) inner.push(`      <system-out>${text(out)}</system-out>`)
  return inner.length === 0 ? `${open}/>` : [`${open}>`, ...inner, '    </testcase>'].join('\n')
}

/** A `<flakyFailure>`/`<rerunFailure>` as Surefire writes it: message, type, `<stackTrace>` and the attempt's artifacts in `<system-out>`. */
function rerunElement(tag: 'flakyFailure' | 'rerunFailure', e: EarlierFailure, file: FileRecord, opts: JUnitOptions): string {
  const body = [e.message, e.diagnostic].filter(s => s && s.trim()).join('\n\n')
  const attempt = file.attempts?.find(a => a.attempt === e.attempt)
  const out = attempt ? machinesOut([...attempt.machines, ...attempt.tests.flatMap(x => x.machines)], opts) : ''
  return [
    `      <${tag} message="${attr(shortMessage(e.message) || e.status)}" type="${e.status}">`,
    `        <stackTrace>${text(`attempt ${e.attempt}: ${body}`)}</stackTrace>`,
    ...(out ? [`        <system-out>${text(out)}</system-out>`] : []),
    `      </${tag}>`,
  ].join('\n')
}

/** A stand-in test for a file that failed or was interrupted outside any listed test. */
function fileCase(file: FileRecord, run: RunRecord): TestRecord {
  const interrupted = file.status === 'interrupted'
  const message = interrupted
    ? `${file.file} was interrupted${run.interruptedBy ? ` by ${run.interruptedBy}` : ''} before it finished`
    : `${file.file} failed outside any test (it crashed, timed out or exited non-zero); see its TAP output`
  return { name: file.file, status: interrupted ? 'interrupted' : 'failed', durationMs: file.durationMs, message, machines: [] }
}

function suiteOut(file: FileRecord, run: RunRecord, opts: JUnitOptions): string {
  const parts: string[] = []
  const machines = machinesOut(file.machines, opts)
  if (machines) parts.push(machines)
  if (isFailure(file.status) && file.tap.trim()) {
    const { text: tapText, dropped } = tail(file.tap, opts.tapTailChars ?? 64 * 1024)
    parts.push(`TAP output${dropped ? ` (last ${tapText.length} characters)` : ''}:\n${tapText}`)
  }
  for (const a of file.attempts ?? []) {
    if (!a.tap.trim()) continue
    const { text: tapText, dropped } = tail(a.tap, opts.tapTailChars ?? 64 * 1024)
    parts.push(`TAP output of attempt ${a.attempt} (${a.status})${dropped ? ` (last ${tapText.length} characters)` : ''}:\n${tapText}`)
  }
  if (file.status === 'interrupted' && run.interruptedBy) parts.unshift(`Interrupted by ${run.interruptedBy}.`)
  return parts.join('\n\n')
}

function machinesOut(machines: MachineRecord[], opts: JUnitOptions): string {
  const p = (path: string): string => (opts.relativeTo ? relative(opts.relativeTo, path) || '.' : path)
  const lines: string[] = []
  for (const m of machines) {
    lines.push(`Machine ${m.machine}: artifacts in ${p(m.dir)}`)
    for (const s of m.screens) {
      if (s.expected || s.actual || s.diff) lines.push(`Screen '${s.name}' did not match:`)
      for (const f of [s.actual, s.diff, s.expected]) if (f) lines.push(`[[ATTACHMENT|${p(f)}]]`)
    }
    for (const f of [m.transcript, m.command, m.qmpLog, m.stderr]) if (f) lines.push(`[[ATTACHMENT|${p(f)}]]`)
  }
  return lines.join('\n')
}

function counts(o: Outcome): string {
  return ` tests="${o.tests}" failures="${o.failures}" errors="${o.errors}" skipped="${o.skipped}"`
}

function add(a: Outcome, b: Outcome): Outcome {
  return { tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors, skipped: a.skipped + b.skipped }
}

/** `tests/boot.test.ts` → `tests.boot_test`: Jenkins shows `tests` as the package, `boot_test` as the class. */
export function className(file: string): string {
  const noExt = file.replace(/\.[cm]?[jt]sx?$/, '').replace(/^\.\//, '')
  return noExt.split(/[\\/]+/).filter(Boolean).map(part => part.replace(/\./g, '_')).join('.')
}

/** ISO time as the JUnit schema's timestamp: `2024-05-01T10:20:30` (UTC, no zone, no fraction). */
function timestamp(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19)
}

/** The message for the `message` attribute: trimmed and capped at 4000 characters. */
function shortMessage(s: string | undefined): string {
  const m = (s ?? '').trim()
  return m.length > 4000 ? `${m.slice(0, 4000)}…` : m
}

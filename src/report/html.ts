/**
 * The static HTML report: one self-contained file (`<run folder>/report.html`) with inline
 * CSS and script, no network. See {@link renderHtml}.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { STYLE, SCRIPT } from './html/assets.js'
import { renderFile, renderHeader, runSummary } from './html/sections.js'
import type { RunRecord, TestRecord } from './model.js'
import { writeTraces } from './trace/write.js'
import { escapeMarkup as esc, selfContainedPagePolicy } from './text.js'

/**
 * The report's Content-Security-Policy: nothing loads from the network, the one inline
 * script runs (by its hash) and no other, images only from the report's own folder, data:
 * URIs or file: links; a string that escaped escaping still could not run script.
 */
export const CSP = selfContainedPagePolicy(SCRIPT)

/** Options of {@link renderHtml}. */
export interface HtmlOptions {
  /** The folder the report will be written to (links and images are relative to it); default `run.dir`. */
  reportDir?: string
  /** Transcript tail inlined for failed or interrupted tests, in bytes (default 200 KiB). */
  failedTranscriptBytes?: number
  /** Transcript tail inlined (collapsed) for other tests, in bytes (default 32 KiB). */
  otherTranscriptBytes?: number
  /** TAP output tail shown for a failed file, in characters (default 64 KiB). */
  tapChars?: number
  /** Each test's trace page (see `writeTraces`), linked from the test. */
  traces?: ReadonlyMap<TestRecord, string>
}

/**
 * Renders a run as one HTML page. Transcripts are read from disk now (their tails, cleaned
 * of ANSI sequences, escaped); screen images and logs inside `reportDir` are linked
 * relatively, images outside it are inlined as data: URIs, logs outside it get `file:` links.
 *
 * Markup for tests and tools: `header.run[data-status]`, `section.file[data-file][data-status]`,
 * `details.test[data-test][data-status]` (open when failed or interrupted),
 * `.failure-message`, `section.machine[data-machine]`, `section.screen[data-screen]` with
 * `figure.screen-expected|screen-actual|screen-diff img`, `pre.transcript`, `a.log-*`,
 * and `nav.filters button[data-filter=all|failed|passed|skipped]`.
 */
export function renderHtml(run: RunRecord, opts: HtmlOptions = {}): string {
  const ctx = {
    reportDir: resolve(opts.reportDir ?? run.dir),
    failedTranscriptBytes: opts.failedTranscriptBytes ?? 200 * 1024,
    otherTranscriptBytes: opts.otherTranscriptBytes ?? 32 * 1024,
    tapChars: opts.tapChars ?? 64 * 1024,
    traces: opts.traces ?? new Map<TestRecord, string>(),
  }
  const c = run.counts
  const title = `bootcheck: ${run.status} (${c.passed} passed, ${c.failed} failed, ${c.skipped + c.todo} skipped)`
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<meta name="description" content="${esc(runSummary(run))}">`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body data-status="${esc(run.status)}">`,
    renderHeader(run),
    '<main>',
    ...run.files.map(f => renderFile(f, ctx)),
    run.files.length ? '<p class="filter-empty muted" hidden>No tests with this status.</p>' : '<p class="muted">No test files ran.</p>',
    '</main>',
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

/**
 * Renders the run and writes the report to `file` (default `<run.dir>/report.html`), with
 * links relative to the file's folder, and each test's trace page (`trace.html` in its
 * artifacts folder), linked from the test. Returns the path written.
 */
export async function writeHtmlReport(run: RunRecord, file: string = join(run.dir, 'report.html'), opts: Omit<HtmlOptions, 'reportDir'> = {}): Promise<string> {
  const path = resolve(file)
  await mkdir(dirname(path), { recursive: true })
  const traces = await writeTraces(run, path)
  await writeFile(path, renderHtml(run, { ...opts, traces, reportDir: dirname(path) }))
  return path
}

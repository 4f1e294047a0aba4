import { Parser, type Result } from 'tap-parser'
import type { FileRecord, Status, TestRecord } from '../report/model.js'

/**
 * Reads the TAP of a whole `tap` run (`--reporter=tap`: one subtest per test file) into
 * per-file records: each file's top-level tests with status, time and, for failures, the
 * failing assertions inside them. Output cut short gives the tests finished so far, and
 * the file is marked `interrupted` (when the run was) or `failed` (when it crashed).
 */
export function readTapRun(tap: string, interrupted = false): Omit<FileRecord, 'machines'>[] {
  const files: Omit<FileRecord, 'machines'>[] = []
  const raw = splitFiles(tap)
  const root = new Parser()
  root.on('child', (file: Parser) => {
    // Until its closing test point: a file cut short was interrupted (or crashed).
    const record: Omit<FileRecord, 'machines'> = { file: file.name, status: interrupted ? 'interrupted' : 'failed', durationMs: 0, tests: [], tap: raw.get(file.name) ?? '' }
    files.push(record)
    let pending: string[] = []
    file.on('child', (test: Parser) => {
      pending = []
      collectFailures(test, [], lines => pending.push(...lines))
    })
    file.on('assert', (r: Result) => {
      record.tests.push(toTest(r, pending))
      pending = []
    })
  })
  root.on('assert', (r: Result) => {
    const record = files.find(f => f.file === r.name)
    if (!record) return
    record.status = statusOf(r)
    record.durationMs = r.time ?? 0
  })
  root.end(tap)
  return files
}

function toTest(r: Result, nestedFailures: string[]): TestRecord {
  const t: TestRecord = { name: r.name, status: statusOf(r), machines: [] }
  if (r.time != null) t.durationMs = r.time
  if (typeof r.skip === 'string' && r.skip) t.reason = r.skip
  if (typeof r.todo === 'string' && r.todo) t.reason = r.todo
  if (!r.ok && !r.todo) {
    const own = messageOf(r)
    t.message = [own, ...nestedFailures].filter(Boolean).join('\n') || r.name
    const diag = r.diag ? diagText(r.diag) : ''
    if (diag) t.diagnostic = diag
  }
  return t
}

/** Failing assertions under a subtest, as `✗ outer > inner > name` lines with their error messages. */
function collectFailures(p: Parser, path: string[], add: (lines: string[]) => void): void {
  const here = [...path, p.name]
  const subtests = new Set<string>()
  p.on('child', (c: Parser) => {
    subtests.add(c.name)
    collectFailures(c, here, add)
  })
  p.on('assert', (r: Result) => {
    if (r.ok || r.todo || r.skip) return
    // A failed subtest is reported by the assertions inside it; a failed plain assertion
    // (t.ok, t.notOk: no diff, no message) by its own name.
    const message = messageOf(r)
    if (subtests.has(r.name) && r.diag && !message && !r.diag.diff && !r.diag.found && Object.keys(r.diag).every(k => ['at', 'source', 'stack'].includes(k))) return
    const detail = r.diag ? diagText(r.diag) : ''
    const whole = typeof r.diag?.messageLines === 'string' // the thrown error's message, its line breaks kept: it is the name
    add([`✗ ${[...here.slice(1), whole ? message : r.name].join(' > ')}${message && !whole && message !== r.name ? `: ${message}` : ''}`, ...(detail ? [indent(detail)] : [])])
  })
}

/** An assertion's message: tap's `message`, or a thrown BootcheckError's whole message (`messageLines`). */
function messageOf(r: Result): string | undefined {
  const m = r.diag?.message ?? r.diag?.messageLines
  return typeof m === 'string' ? m : undefined
}

function indent(text: string): string {
  return text.split('\n').map(l => `    ${l}`).join('\n')
}

function statusOf(r: Result): Status {
  if (r.todo) return 'todo'
  if (r.skip) return 'skipped'
  return r.ok ? 'passed' : 'failed'
}

function diagText(diag: Record<string, unknown>): string {
  const keep = Object.entries(diag).filter(([k]) => k !== 'source' && k !== 'at' && k !== 'stack' && k !== 'messageLines')
  const at = diag.at as { fileName?: string; lineNumber?: number } | undefined
  const lines = keep.map(([k, v]) => `${k}: ${typeof v === 'string' ? v.trimEnd() : JSON.stringify(v)}`)
  if (at?.fileName) lines.push(`at: ${at.fileName}:${at.lineNumber ?? '?'}`)
  return lines.join('\n')
}

/** The raw TAP of each file's subtest, de-indented. */
export function splitFiles(tap: string): Map<string, string> {
  const out = new Map<string, string>()
  let current: string | undefined
  let body: string[] = []
  for (const line of tap.split('\n')) {
    const start = /^# Subtest: (.*)$/.exec(line)
    if (start) {
      current = start[1]!
      body = []
      continue
    }
    if (current === undefined) continue
    if (line.startsWith('    ') || line === '') {
      body.push(line.slice(4))
      continue
    }
    body.push(line)
    out.set(current, body.join('\n').trimEnd() + '\n')
    if (/^(not )?ok \d+/.test(line)) current = undefined
  }
  if (current !== undefined) out.set(current, body.join('\n').trimEnd() + '\n')
  return out
}

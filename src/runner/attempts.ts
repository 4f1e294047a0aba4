/**
 * Retries and repeats, as a pure plan: where each attempt's artifacts go, which files run
 * again, how a file's attempts combine into one record (`flaky` when a failure was followed
 * by a pass), the run's counts and its exit status. `run.ts` does the running.
 */
import { join } from 'node:path'
import type { AttemptRecord, FileRecord, RunRecord, Status, TestRecord } from '../report/model.js'

/** How often files run: `--retries` and `--repeat-each`. */
export interface AttemptPolicy {
  /** Further attempts of a file that failed (0: none). */
  retries: number
  /** Times every file runs (1: once). */
  repeatEach: number
}

/**
 * The artifacts folder of one attempt: `artifacts/` in a plain run; `artifacts/attempt-<k>/`
 * with retries; `artifacts/repeat-<r>/…` with `--repeat-each` above 1, under
 * `artifacts/project-<name>/` with projects — so no attempt's
 * machines overwrite another's.
 */
export function attemptArtifactsDir(root: string, policy: AttemptPolicy, repeat: number, attempt: number, project?: string): string {
  const parts = [root]
  if (project !== undefined) parts.push(`project-${project}`)
  if (policy.repeatEach > 1) parts.push(`repeat-${repeat}`)
  if (policy.retries > 0) parts.push(`attempt-${attempt}`)
  return join(...parts)
}

/** The files of an attempt that run again: those that failed (an interrupted run is not retried). */
export function filesToRetry(records: FileRecord[]): string[] {
  return records.filter(r => r.status === 'failed').map(r => r.file)
}

/**
 * One file's attempts (oldest first) as the record the reports show: the last attempt, with
 * the earlier ones in `attempts`. A file whose last attempt passed after a failed one is
 * `flaky`, and so is each test that passed last but failed (or never finished) before.
 */
export function combineAttempts(tries: FileRecord[]): FileRecord {
  const last = tries[tries.length - 1]
  if (!last) throw new Error('combineAttempts needs at least one attempt')
  if (tries.length === 1) return last
  const earlier: AttemptRecord[] = tries.slice(0, -1).map((r, i) => ({
    attempt: r.attempt ?? i + 1,
    status: r.status,
    durationMs: r.durationMs,
    tests: r.tests,
    tap: r.tap,
    machines: r.machines,
  }))
  const passedLast = last.status === 'passed'
  const failedBefore = (name: string): boolean => earlier.some(a => a.tests.some(t => t.name === name && isFailed(t.status)) || (isFailed(a.status) && !a.tests.some(t => t.name === name)))
  const tests: TestRecord[] = last.tests.map(t => (passedLast && t.status === 'passed' && failedBefore(t.name) ? { ...t, status: 'flaky' } : t))
  return { ...last, status: passedLast ? 'flaky' : last.status, tests, attempts: earlier }
}

/** Counts the tests of a run's files by status (a file that failed outside any test counts as one failure). */
export function countTests(files: FileRecord[]): RunRecord['counts'] {
  const counts = { passed: 0, failed: 0, skipped: 0, todo: 0, flaky: 0, known: 0 }
  for (const f of files) {
    if (isFailed(f.status) && !f.tests.some(t => isFailed(t.status))) counts.failed++
    // A flaky file whose failure was outside every test still counts as one flaky test.
    if (f.status === 'flaky' && !f.tests.some(t => t.status === 'flaky')) counts.flaky++
    for (const t of f.tests) {
      if (t.status === 'passed') counts.passed++
      else if (isFailed(t.status)) counts.failed++
      else if (t.status === 'flaky') counts.flaky++
      else if (t.status === 'known') counts.known++
      else if (t.status === 'skipped') counts.skipped++
      else if (t.status === 'todo') counts.todo++
    }
  }
  // Only the counts a run can have: no flaky without retries, no known without the file.
  const { flaky, known, ...rest } = counts
  return { ...rest, ...(flaky ? { flaky } : {}), ...(known ? { known } : {}) }
}

/** A run's status and exit status from its files: 1 when one failed (or, with `failOnFlaky`, was flaky). */
export function runOutcome(files: FileRecord[], o: { failOnFlaky?: boolean }): { status: 'passed' | 'failed'; exitCode: number } {
  const failed = files.some(f => isFailed(f.status)) || (o.failOnFlaky === true && files.some(f => f.status === 'flaky'))
  return { status: failed ? 'failed' : 'passed', exitCode: failed ? 1 : 0 }
}

function isFailed(s: Status): boolean {
  return s === 'failed' || s === 'interrupted'
}

/** Reading a retried file's earlier attempts (`bootcheck run --retries`), for the reporters. */
import type { FileRecord, Status } from './model.js'

/** One failure of a test on an attempt before its file's last. */
export interface EarlierFailure {
  attempt: number
  status: Status
  message?: string
  diagnostic?: string
  durationMs?: number
}

/**
 * The failures of one test in the attempts before the last, oldest first (a file that failed
 * outside any test counts against every test it did not list). For JUnit's
 * `<flakyFailure>`/`<rerunFailure>` and the report's attempt list.
 */
export function earlierFailures(file: FileRecord, testName: string): EarlierFailure[] {
  const out: EarlierFailure[] = []
  for (const a of file.attempts ?? []) {
    const t = a.tests.find(x => x.name === testName)
    if (t && isFailed(t.status)) out.push({ attempt: a.attempt, status: t.status, ...(t.message ? { message: t.message } : {}), ...(t.diagnostic ? { diagnostic: t.diagnostic } : {}), ...(t.durationMs !== undefined ? { durationMs: t.durationMs } : {}) })
    else if (!t && isFailed(a.status)) out.push({ attempt: a.attempt, status: a.status, message: `attempt ${a.attempt} of ${file.file} failed before this test finished (it crashed, timed out or exited non-zero)`, durationMs: a.durationMs })
  }
  return out
}

function isFailed(s: Status): boolean {
  return s === 'failed' || s === 'interrupted'
}

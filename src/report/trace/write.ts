/**
 * Writes the trace page of every test that had machines: `trace.html` in the test's
 * artifacts folder (beside its machines' folders, so their images are relative links and
 * the folder can be moved or served as a whole).
 * @module
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { RunRecord, TestRecord } from '../model.js'
import { fileHref } from '../html/files.js'
import { traceOf } from './data.js'
import { renderTracePage } from './page.js'

/** The file name of a test's trace page in its artifacts folder. */
export const TRACE_FILE = 'trace.html'

/**
 * Writes the trace pages of `run`'s tests (not of earlier attempts) linking back to the
 * report at `reportFile`; returns each test's trace path. A test whose artifacts folder
 * is gone gets none.
 */
export async function writeTraces(run: RunRecord, reportFile: string): Promise<Map<TestRecord, string>> {
  const out = new Map<TestRecord, string>()
  for (const f of run.files) {
    for (const t of f.tests) {
      const first = t.machines[0]
      if (!first) continue
      const dir = dirname(first.dir)
      if (!existsSync(dir)) continue
      const file = join(dir, TRACE_FILE)
      await writeFile(file, renderTracePage(traceOf(t, f.file, dir, resolve(f.file)), fileHref(reportFile, dir)))
      out.set(t, file)
    }
  }
  return out
}

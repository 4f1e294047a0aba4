import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { writeHtmlReport } from '../report/html.js'
import { renderJUnit } from '../report/junit.js'
import type { RunRecord } from '../report/model.js'

/**
 * Writes a run's `results.json` and `report.html` into its folder, the JUnit XML where asked,
 * and a closing summary to stderr naming each failure's artifacts folder.
 */
export async function writeReports(run: RunRecord, o: { junit?: string; stderr: NodeJS.WritableStream }): Promise<void> {
  await writeFile(join(run.dir, 'results.json'), JSON.stringify(run, null, 2) + '\n')
  const html = await writeHtmlReport(run, join(run.dir, 'report.html'))
  if (o.junit) {
    await mkdir(dirname(resolve(o.junit)), { recursive: true })
    await writeFile(o.junit, renderJUnit(run))
  }
  o.stderr.write(summary(run, html, o.junit))
}

/** The lines printed at the end of a run. */
export function summary(run: RunRecord, html: string, junit?: string): string {
  const rel = (p: string): string => relative(process.cwd(), p) || p
  const lines: string[] = ['']
  for (const f of run.files) {
    const failed = f.tests.filter(t => t.status === 'failed' || t.status === 'interrupted')
    if (failed.length === 0 && (f.status === 'passed' || f.status === 'skipped' || f.status === 'todo')) continue
    if (failed.length === 0) lines.push(`✗ ${f.file}: ${f.status}${f.machines.length ? ` — artifacts: ${f.machines.map(m => rel(m.dir)).join(', ')}` : ''}`)
    for (const t of failed) {
      lines.push(`✗ ${f.file} › ${t.name}${t.status === 'interrupted' ? ' (interrupted)' : ''}`)
      for (const m of t.machines) lines.push(`    artifacts of ${m.machine}: ${rel(m.dir)}`)
    }
  }
  const c = run.counts
  const how = run.status === 'interrupted' ? `interrupted by ${run.interruptedBy ?? 'a signal'}` : run.status
  lines.push(
    `bootcheck: ${how}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${c.todo ? `, ${c.todo} todo` : ''} in ${(run.durationMs / 1000).toFixed(1)} s`,
    `bootcheck: report ${rel(html)}${junit ? `, JUnit ${rel(junit)}` : ''}`,
    '',
  )
  return lines.join('\n')
}

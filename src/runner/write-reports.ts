import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { writeHtmlReport } from '../report/html.js'
import { TRACE_FILE } from '../report/trace/write.js'
import { renderJUnit } from '../report/junit.js'
import type { FileRecord, RunRecord } from '../report/model.js'
import { entryLabel } from '../report/text.js'

/**
 * Writes a run's `results.json` and `report.html` into its folder, the JUnit XML where asked,
 * and a closing summary to stderr naming each failure's artifacts folder.
 */
export async function writeReports(run: RunRecord, o: { junit?: string; slowest?: number; stderr: NodeJS.WritableStream }): Promise<void> {
  await writeFile(join(run.dir, 'results.json'), JSON.stringify(run, null, 2) + '\n')
  const html = await writeHtmlReport(run, join(run.dir, 'report.html'))
  if (o.junit) {
    await mkdir(dirname(resolve(o.junit)), { recursive: true })
    await writeFile(o.junit, renderJUnit(run))
  }
  o.stderr.write(summary(run, html, o.junit, o.slowest))
}

/** The lines printed at the end of a run; with `slowest`, the slowest files first. */
export function summary(run: RunRecord, html: string, junit?: string, slowest = 0): string {
  const rel = (p: string): string => relative(process.cwd(), p) || p
  const lines: string[] = ['', ...slowestFiles(run, slowest)]
  for (const f of run.files) {
    const name = entryLabel(f)
    if (f.status === 'flaky') lines.push(...flakyLines(f, name, rel))
    for (const t of f.tests) if (t.knownFailure) lines.push(`${t.knownFailure.expired ? '✗' : '!'} ${name} › ${t.name}: known failure ${t.knownFailure.tracker} ${t.knownFailure.expired ? `expired on ${t.knownFailure.expires}: failing again` : `(until ${t.knownFailure.expires})`}`)
    const failed = f.tests.filter(t => t.status === 'failed' || t.status === 'interrupted')
    if (failed.length === 0 && f.status !== 'failed' && f.status !== 'interrupted') continue
    if (failed.length === 0) lines.push(`✗ ${name}: ${f.status}${f.machines.length ? ` — artifacts: ${f.machines.map(m => rel(m.dir)).join(', ')}` : ''}`)
    for (const t of failed.filter(x => !x.knownFailure)) {
      lines.push(`✗ ${name} › ${t.name}${t.status === 'interrupted' ? ' (interrupted)' : ''}`)
      for (const m of t.machines) lines.push(`    artifacts of ${m.machine}: ${rel(m.dir)}`)
      const trace = t.machines[0] && join(dirname(t.machines[0].dir), TRACE_FILE)
      if (trace && existsSync(trace)) lines.push(`    trace (opens at the failing step): ${rel(trace)}, or bootcheck show-trace ${rel(trace)}`)
    }
    if (f.attempts?.length) lines.push(`    failed on all ${f.attempts.length + 1} attempts`)
  }
  const c = run.counts
  const how = run.status === 'interrupted' ? `interrupted by ${run.interruptedBy ?? 'a signal'}` : run.status
  const repeats = run.repeatEach ? ` (every file ${run.repeatEach} times)` : ''
  lines.push(
    `bootcheck: ${how}: ${c.passed} passed, ${c.failed} failed${c.flaky ? `, ${c.flaky} flaky` : ''}${c.known ? `, ${c.known} known` : ''}, ${c.skipped} skipped${c.todo ? `, ${c.todo} todo` : ''} in ${(run.durationMs / 1000).toFixed(1)} s${repeats}`,
    `bootcheck: report ${rel(html)}${junit ? `, JUnit ${rel(junit)}` : ''}`,
    '',
  )
  return lines.join('\n')
}

/** A flaky file: which attempts failed, which passed, and where each attempt's machines are. */
function flakyLines(f: FileRecord, name: string, rel: (p: string) => string): string[] {
  const earlier = f.attempts ?? []
  const tests = f.tests.filter(t => t.status === 'flaky').map(t => t.name)
  const lines = [`~ ${name}${tests.length ? ` › ${tests.join(', ')}` : ''}: flaky — failed on attempt ${earlier.map(a => a.attempt).join(', ')}, passed on attempt ${f.attempt ?? earlier.length + 1}`]
  for (const a of earlier) {
    const dirs = [...a.machines, ...a.tests.flatMap(t => t.machines)].map(m => rel(m.dir))
    if (dirs.length) lines.push(`    attempt ${a.attempt} artifacts: ${dirs.join(', ')}`)
  }
  return lines
}

/** The `n` slowest files of the run, slowest first, as lines under a heading. */
export function slowestFiles(run: RunRecord, n: number): string[] {
  if (n <= 0 || run.files.length === 0) return []
  const total = (f: FileRecord): number => f.durationMs + (f.attempts ?? []).reduce((s, a) => s + a.durationMs, 0)
  const top = [...run.files].sort((a, b) => total(b) - total(a)).slice(0, n)
  const width = Math.max(...top.map(f => (total(f) / 1000).toFixed(1).length))
  const line = (f: FileRecord): string => {
    const notes = [...(f.attempts?.length ? [`${f.attempts.length + 1} attempts`] : []), ...machineCpu(f)]
    return `  ${(total(f) / 1000).toFixed(1).padStart(width)} s  ${entryLabel(f)}${notes.length ? ` (${notes.join('; ')})` : ''}`
  }
  return [`bootcheck: the ${top.length} slowest file(s):`, ...top.map(line), '']
}

/**
 * What a file's own machines cost (machines of runs it starts are not counted), e.g.
 * `4 machines, 2 restored, QEMU CPU 180 s`: where its time went under TCG. Empty without machines.
 */
function machineCpu(f: FileRecord): string[] {
  const all = [f, ...(f.attempts ?? [])].flatMap(a => [...a.machines, ...a.tests.flatMap(t => t.machines)])
  const machines = [...new Map(all.map(m => [m.dir, m])).values()]
  if (machines.length === 0) return []
  const restored = machines.filter(m => m.restoredFrom !== undefined).length
  const cpu = machines.reduce((s, m) => s + (m.cpuSeconds ?? 0), 0)
  return [`${machines.length} machine${machines.length > 1 ? 's' : ''}${restored ? `, ${restored} restored` : ''}${cpu > 0 ? `, QEMU CPU ${cpu.toFixed(0)} s` : ''}`]
}

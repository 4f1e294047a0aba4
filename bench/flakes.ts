/**
 * The project's own flake rate: every integration file run `--repeat` times (default 3) by
 * `bootcheck run --repeat-each`, one at a time after the other repeats' files, and per file
 * how many repeats passed and failed: `stable` (all passed), `flaky` (some failed), `failed`
 * (all failed). Long (the whole integration suite three times); not in CI.
 *
 *   npm run bench -- flakes                                     # tests/integration, 3 repeats
 *   node --import tsx bench/flakes.ts [--repeat N] [--jobs N] [files or folders…]
 *
 * The run folder (report.html, every repeat's artifacts) is kept and named at the end.
 */
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { execa } from 'execa'
import type { RunRecord } from '../src/report/model.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))

/** One file's repeats. */
export interface FlakeRow {
  file: string
  passed: number
  failed: number
  verdict: 'stable' | 'flaky' | 'failed'
  /** The repeats that failed (1-based). */
  failedRepeats: number[]
}

/** Per file, its repeats' outcomes (a retried-then-passed repeat counts as failed here: it flaked). */
export function flakeRows(run: RunRecord): FlakeRow[] {
  const rows = new Map<string, FlakeRow>()
  for (const f of run.files) {
    const row = rows.get(f.file) ?? { file: f.file, passed: 0, failed: 0, verdict: 'stable', failedRepeats: [] }
    if (f.status === 'passed' || f.status === 'skipped' || f.status === 'todo') row.passed++
    else {
      row.failed++
      row.failedRepeats.push(f.repeat ?? 1)
    }
    row.verdict = row.failed === 0 ? 'stable' : row.passed === 0 ? 'failed' : 'flaky'
    rows.set(f.file, row)
  }
  return [...rows.values()]
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { repeat: { type: 'string', default: '3' }, jobs: { type: 'string', default: '2' } } })
  const runsDir = await mkdtemp(join(tmpdir(), 'bootcheck-flakes-'))
  const files = positionals.length ? positionals : ['tests/integration']
  const started = Date.now()
  await execa(process.execPath, [join(root, 'bin', 'bootcheck.js'), 'run', '--repeat-each', values.repeat, '--jobs', values.jobs, '--progress', 'plain', '--runs-dir', runsDir, ...files], { cwd: root, stdout: 'ignore', stderr: 'inherit', reject: false })
  const run = JSON.parse(await readFile(join(runsDir, 'latest', 'results.json'), 'utf8')) as RunRecord
  const rows = flakeRows(run)
  const width = Math.max(4, ...rows.map(r => r.file.length))
  process.stdout.write(`\n${'file'.padEnd(width)}  passed  failed  verdict\n`)
  for (const r of rows) process.stdout.write(`${r.file.padEnd(width)}  ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.verdict}${r.failedRepeats.length ? ` (repeat ${r.failedRepeats.join(', ')})` : ''}\n`)
  const count = (v: FlakeRow['verdict']): number => rows.filter(r => r.verdict === v).length
  process.stdout.write(`${rows.length} file(s) × ${values.repeat}: ${count('stable')} stable, ${count('flaky')} flaky, ${count('failed')} failed in ${((Date.now() - started) / 1000).toFixed(0)} s; report ${join(run.dir, 'report.html')}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()

// `npm run bench`: runs every benchmark in this folder (or those named) one after another.
// `npm run bench -- --json FILE` also writes every row (figure, baseline, median/min/max,
// ratio; see bench/lib/report.ts) to FILE as a JSON array.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { execa } from 'execa'

const dir = fileURLToPath(new URL('.', import.meta.url))
const { values, positionals: wanted } = parseArgs({ options: { json: { type: 'string' } }, allowPositionals: true })
const jsonOut = values.json ? resolve(values.json) : undefined
const rowsFile = join(tmpdir(), `bootcheck-bench-rows-${process.pid}.jsonl`)
writeFileSync(rowsFile, '')
// The soak (50 killed runs, ~20 min) and the flake hunt (the integration suite 3 times) run only when named.
const ONLY_BY_NAME = ['soak.ts', 'flakes.ts']
const files = (await readdir(dir)).filter(
  f => f.endsWith('.ts') && f !== 'run.ts' && (wanted.length === 0 ? !ONLY_BY_NAME.includes(f) : wanted.some(w => f.includes(w))),
)
try {
  for (const f of files.sort()) {
    process.stdout.write(`\n== ${f}\n`)
    await execa(process.execPath, ['--import', 'tsx', `${dir}${f}`], { stdio: 'inherit', env: { BENCH_JSON: rowsFile } })
  }
} finally {
  if (jsonOut) {
    const rows = readFileSync(rowsFile, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as unknown)
    writeFileSync(jsonOut, JSON.stringify({ node: process.version, cpus: (await import('node:os')).cpus().length, rows }, null, 2) + '\n')
    process.stdout.write(`\n${rows.length} rows written to ${jsonOut}\n`)
  }
  rmSync(rowsFile, { force: true })
}

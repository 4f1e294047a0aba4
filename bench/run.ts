// `npm run bench`: runs every benchmark in this folder (or those named) one after another.
import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'

const dir = fileURLToPath(new URL('.', import.meta.url))
const wanted = process.argv.slice(2)
// The soak (50 killed runs, ~20 min) runs only when named.
const ONLY_BY_NAME = ['soak.ts']
const files = (await readdir(dir)).filter(
  f => f.endsWith('.ts') && f !== 'run.ts' && (wanted.length === 0 ? !ONLY_BY_NAME.includes(f) : wanted.some(w => f.includes(w))),
)
for (const f of files.sort()) {
  process.stdout.write(`\n== ${f}\n`)
  await execa(process.execPath, ['--import', 'tsx', `${dir}${f}`], { stdio: 'inherit' })
}

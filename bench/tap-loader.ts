// How bootcheck's runner loads TypeScript test files: each test process started as tap
// starts it, with tsx (what `bootcheck run` gives tap, src/runner/tap.ts) against tap's
// default TypeScript plugin (ts-node, which loads the TypeScript compiler), on three unit
// test files of this repository (no QEMU). CPU seconds of the process and its children
// (bash's `times`), and wall time; interleaved, so a busy moment hits both.
import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { emit, row, stats } from './lib/report.js'

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3)
const root = fileURLToPath(new URL('..', import.meta.url))
const url = (m: string): string => import.meta.resolve(m)
const files = ['tests/unit/runner/write-reports.test.ts', 'tests/unit/qemu/process.test.ts', 'tests/unit/vm-configs/debian/apt-memo.test.ts']
// the imports tap puts before a test file (`tap` prints them as `args:` when a file fails)
const tapImports = [url('@tapjs/mock/import'), url('@tapjs/processinfo/import')]
const loaders = {
  tsx: [`--import=${url('tsx')}`],
  'ts-node': [`--import=${url('@tapjs/typescript/import')}`],
}

/** CPU seconds (user + system, with children) and wall seconds of one test process. */
async function once(loader: readonly string[], file: string): Promise<{ cpu: number; wall: number }> {
  const argv = [process.execPath, ...loader, ...tapImports.map(u => `--import=${u}`), '--enable-source-maps', file].map(a => `'${a}'`).join(' ')
  const t0 = performance.now()
  const r = await execa('bash', ['-c', `${argv} > /dev/null 2>&1 || { echo failed >&2; exit 1; }; times`], { cwd: root, env: { TS_NODE_TRANSPILE_ONLY: '1' } })
  const wall = (performance.now() - t0) / 1000
  // `times`: the shell's own line, then its children's: "0m1.234s 0m0.456s"
  const [user, sys] = [...r.stdout.trim().split('\n').at(-1)!.matchAll(/(\d+)m([\d.]+)s/g)].map(m => Number(m[1]) * 60 + Number(m[2]))
  return { cpu: user! + sys!, wall }
}

const cpu = { tsx: [] as number[], 'ts-node': [] as number[] }
const wall = { tsx: [] as number[], 'ts-node': [] as number[] }
for (const file of files) await once(loaders.tsx, file) // tsx's transform cache warm, as in a suite
for (let i = 0; i < REPEATS; i++) {
  for (const file of files) {
    for (const name of ['tsx', 'ts-node'] as const) {
      const r = await once(loaders[name], file)
      cpu[name].push(r.cpu)
      wall[name].push(r.wall)
    }
  }
}
emit([
  row('tap-loader', 'test process, tsx (bootcheck run): CPU', 's', stats(cpu.tsx), "tap's default (ts-node)", stats(cpu['ts-node'])),
  row('tap-loader', 'test process, tsx (bootcheck run): wall', 's', stats(wall.tsx), "tap's default (ts-node)", stats(wall['ts-node'])),
])

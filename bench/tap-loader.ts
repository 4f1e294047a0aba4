// How `bootcheck run` loads TypeScript test files: tsx in tap's test processes
// (bin/tap-preload.mjs) against tap's default TypeScript plugin (ts-node, which starts the
// TypeScript compiler in every test process; BOOTCHECK_TS_LOADER=ts-node keeps it). A whole
// `bootcheck run` of four unit test files of this repository (no QEMU), interleaved so a
// busy moment hits both: CPU seconds of the run and all its processes (bash's `times` for
// children), and wall time. Needs dist/ built (`npx tsc -p tsconfig.build.json`).
import { execa } from 'execa'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emit, row, stats } from './lib/report.js'

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3)
const root = fileURLToPath(new URL('..', import.meta.url))
const files = ['tests/unit/runner/write-reports.test.ts', 'tests/unit/qemu/process.test.ts', 'tests/unit/vm-configs/debian/apt-memo.test.ts', 'tests/unit/machine/services.test.ts']
const runs = mkdtempSync(join(tmpdir(), 'bootcheck-bench-tap-loader-'))

/** CPU seconds (user + system of every process) and wall seconds of one `bootcheck run`. */
async function once(loader: 'tsx' | 'ts-node'): Promise<{ cpu: number; wall: number }> {
  const argv = [process.execPath, 'bin/bootcheck.js', 'run', '--progress', 'off', '--jobs', '1', '--runs-dir', runs, ...files].map(a => `'${a}'`).join(' ')
  const t0 = performance.now()
  const env = loader === 'ts-node' ? { BOOTCHECK_TS_LOADER: 'ts-node' } : {}
  const r = await execa('bash', ['-c', `${argv} > /dev/null 2>&1 || { echo failed >&2; exit 1; }; times`], { cwd: root, env })
  const wall = (performance.now() - t0) / 1000
  // `times`: the shell's own line, then its children's: "0m1.234s 0m0.456s"
  const [user, sys] = [...r.stdout.trim().split('\n').at(-1)!.matchAll(/(\d+)m([\d.]+)s/g)].map(m => Number(m[1]) * 60 + Number(m[2]))
  return { cpu: user! + sys!, wall }
}

const cpu = { tsx: [] as number[], 'ts-node': [] as number[] }
const wall = { tsx: [] as number[], 'ts-node': [] as number[] }
try {
  await once('tsx') // tsx's transform cache warm, as in a suite
  for (let i = 0; i < REPEATS; i++) {
    for (const name of ['tsx', 'ts-node'] as const) {
      const r = await once(name)
      cpu[name].push(r.cpu)
      wall[name].push(r.wall)
    }
  }
} finally {
  rmSync(runs, { recursive: true, force: true })
}
emit([
  row('tap-loader', `bootcheck run of ${files.length} files, tsx: CPU`, 's', stats(cpu.tsx), "tap's default (ts-node)", stats(cpu['ts-node'])),
  row('tap-loader', `bootcheck run of ${files.length} files, tsx: wall`, 's', stats(wall.tsx), "tap's default (ts-node)", stats(wall['ts-node'])),
])

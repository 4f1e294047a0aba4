// Snapshots against cold boots, measured in the same run: the time from boot() to the
// first `succeed('true')` for a cold boot (the baseline) and for a machine restored from a
// snapshot taken at that point, for the demo ISO and the netboot image (direct kernel
// boot, system in RAM). Median, min and max of BENCH_RUNS (default 5) each, alternating;
// the ratio of the medians; the snapshot's size beside the guest's RAM; the time to take it.
import { rm } from 'node:fs/promises'
import { boot, type MachineSpec, type Snapshot } from '../src/index.js'
import { demoMedia } from '../vm-configs/demo.js'
import { emit, row, stats as rowStats, type Row } from './lib/report.js'

const media = await demoMedia()
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const subjects: Record<string, MachineSpec> = {
  'demo ISO (BIOS, isolinux)': { cdrom: media.iso, memory: '1G' },
  'netboot image (kernel + initrd)': { kernel: media.netboot.kernel, initrd: media.netboot.initrd, kernelParams: media.netboot.kernelParams, memory: '1G' },
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! }
}
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`)
const line = (label: string, xs: number[]): string => {
  const { median, min, max } = stats(xs)
  return `  ${label.padEnd(34)} median ${fmt(median).padStart(8)}  min ${fmt(min).padStart(8)}  max ${fmt(max).padStart(8)}`
}

process.stdout.write(`boot() to the first succeed('true'): cold boot (baseline) vs restore, ${RUNS} runs each, alternating\n`)
const rows: Row[] = []
for (const [label, spec] of Object.entries(subjects)) {
  const cold: number[] = []
  const restored: number[] = []
  const restoreOnly: number[] = []
  let snap: Snapshot | undefined
  let takeMs = 0
  for (let i = 0; i < RUNS; i++) {
    let start = performance.now()
    const vm = await boot({ name: 'bench-cold', ...spec })
    await vm.succeed('true')
    cold.push(performance.now() - start)
    if (!snap) {
      start = performance.now()
      snap = await vm.snapshot({ name: 'bench' })
      takeMs = performance.now() - start
    }
    await vm.dispose()
    start = performance.now()
    const r = await boot({ from: snap, name: 'bench-restored' })
    restoreOnly.push(performance.now() - start)
    await r.succeed('true')
    restored.push(performance.now() - start)
    await r.dispose()
  }
  const ratio = stats(cold).median / stats(restored).median
  process.stdout.write(`${label}\n`)
  process.stdout.write(`${line('cold boot (baseline)', cold)}\n`)
  process.stdout.write(`${line('restore + first command', restored)}   ${ratio.toFixed(1)}x faster (target: 15x)\n`)
  process.stdout.write(`${line('  of which restore (boot() returns)', restoreOnly)}\n`)
  process.stdout.write(`  snapshot: ${(snap!.stateBytes / 1e6).toFixed(0)} MB of state for 1024 MB of guest RAM, taken in ${fmt(takeMs)}\n`)
  await rm(snap!.dir, { recursive: true, force: true })
  rows.push(row('snapshot', `restore to first command, ${label}`, 'ms', rowStats(restored), 'cold boot', rowStats(cold)))
}
emit(rows)

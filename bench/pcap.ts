/**
 * Benchmark of a network's capture written when it closes: the NICs' pcap files merged a
 * chunk at a time (`mergePcapFiles`) against the same merge in memory (`readPcap` of each
 * file, `mergePcaps`, `writePcap`), on three captures of 1,514-byte frames (BENCH_PCAP_MB,
 * default 150 MB in all). Each way runs in a child process of its own so that its peak
 * resident memory (`maxRSS`) is its own; the time is the child's wall time.
 * Informational only: always exits 0.
 *
 *   node --import tsx bench/pcap.ts [runs]     (default 2, or BENCH_ITERATIONS)
 */
import { execa } from 'execa'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mergePcapFiles } from '../src/net/pcap-files.js'
import { mergePcaps, pcapFileHeader, pcapRecordHeader, readPcap, writePcap } from '../src/net/pcap.js'
import { emit, row, stats, type Row } from './lib/report.js'

const [mode, out, ...inputs] = process.argv.slice(2)
if (mode === 'stream' || mode === 'memory') {
  // the child: one merge, then its peak memory and time on stdout
  const t0 = performance.now()
  if (mode === 'stream') await mergePcapFiles(inputs, out!)
  else await writeFile(out!, writePcap(mergePcaps(await Promise.all(inputs.map(async f => readPcap(await readFile(f)))))))
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n')
  process.exit(0)
}

const N = Math.max(1, Number(process.argv[2] ?? process.env.BENCH_ITERATIONS ?? 2) || 2)
const MB = Math.max(3, Number(process.env.BENCH_PCAP_MB ?? 150) || 150)
const dir = await mkdtemp(join(tmpdir(), 'bootcheck-bench-pcap-'))
try {
  const files: string[] = []
  for (let k = 0; k < 3; k++) {
    const frames = Math.floor((MB * 1e6) / 3 / 1530)
    const parts: Buffer[] = [pcapFileHeader(1, 65535)]
    for (let i = 0; i < frames; i++) {
      const p = { timeUs: 1_700_000_000_000_000 + i * 30 + k * 7, length: 1514, data: Buffer.alloc(1514, k + 1) }
      parts.push(pcapRecordHeader(p), p.data)
    }
    const buf = Buffer.concat(parts)
    files.push(join(dir, `nic${k}.pcap`))
    await writeFile(files[k]!, buf)
  }
  const run = async (m: string): Promise<{ ms: number; maxRssMB: number }> => {
    const r = await execa(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, m, join(dir, `${m}.pcap`), ...files])
    return JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { ms: number; maxRssMB: number }
  }
  const stream: Array<{ ms: number; maxRssMB: number }> = []
  const memory: Array<{ ms: number; maxRssMB: number }> = []
  for (let i = 0; i < N; i++) {
    stream.push(await run('stream'))
    memory.push(await run('memory'))
  }
  const rows: Row[] = [
    row('pcap', `merge ${MB} MB of captures, peak memory`, 'MB', stats(stream.map(s => s.maxRssMB)), 'the same merge in memory', stats(memory.map(s => s.maxRssMB))),
    row('pcap', `merge ${MB} MB of captures, time`, 'ms', stats(stream.map(s => s.ms)), 'the same merge in memory', stats(memory.map(s => s.ms))),
  ]
  emit(rows)
} finally {
  await rm(dir, { recursive: true, force: true })
}

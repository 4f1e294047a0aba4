// Console matching throughput: feeds N MB of output in 4 KiB chunks to a SerialConsole with
// a pending regex wait, and reports MB/s and peak heap, next to a baseline measured in the
// same run: a plain loop that keeps the text's last 8 KiB plus the chunk and looks for the
// same line with indexOf (no escape sequences removed, no regex). Two kinds of output:
// boot-like lines with ANSI colour codes and CRs, and plain lines (command output) with CRs.
// Linear matching keeps MB/s flat as N grows.
import { SerialConsole } from '../src/console/console.js'
import { emit, row, stats } from './lib/report.js'

const KINDS = {
  'boot log (ANSI)': '[    1.234567] \x1b[32mOK\x1b[0m Started some unit with a long description.\r\n',
  'plain text': 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n',
}
const REPEATS = Number(process.env.BENCH_RUNS ?? 3)

function chunkOf(line: string): string {
  return line.repeat(Math.ceil(4096 / line.length))
}

async function consoleRun(mb: number, line: string): Promise<{ mbps: number; heapMb: number }> {
  const console = new SerialConsole({ name: 'bench', write: () => {} })
  const chunk = chunkOf(line)
  const wait = console.waitFor(/login: $/, { timeout: 600_000 })
  const total = mb * 1024 * 1024
  let peak = 0
  const start = performance.now()
  for (let sent = 0; sent < total; sent += chunk.length) {
    console.push(chunk)
    if ((sent & 0xfffff) < chunk.length) peak = Math.max(peak, process.memoryUsage().heapUsed)
  }
  console.push('bootcheck login: ')
  await wait
  return { mbps: mb / ((performance.now() - start) / 1000), heapMb: peak / 1024 / 1024 }
}

function plainRun(mb: number, line: string): number {
  const chunk = chunkOf(line)
  const total = mb * 1024 * 1024
  let text = ''
  let found = -1
  const start = performance.now()
  for (let sent = 0; sent <= total; sent += chunk.length) {
    text = text.slice(-8192) + (sent + chunk.length > total ? 'bootcheck login: ' : chunk)
    found = text.indexOf('login: ')
    if (found !== -1) break
  }
  if (found === -1) throw new Error('the plain loop found nothing')
  return mb / ((performance.now() - start) / 1000)
}

process.stdout.write(`console matching, 4 KiB chunks, pending regex wait, ${REPEATS} runs each; ratio = bootcheck / plain indexOf loop\n`)
const rows = []
for (const [kind, line] of Object.entries(KINDS)) {
  for (const mb of [10, 50, 100]) {
    const ours: number[] = []
    const plain: number[] = []
    let heap = 0
    for (let i = 0; i < REPEATS; i++) {
      const r = await consoleRun(mb, line)
      ours.push(r.mbps)
      heap = Math.max(heap, r.heapMb)
      plain.push(plainRun(mb, line))
    }
    rows.push(row('console', `${kind}, ${mb} MB (peak heap ${heap.toFixed(0)} MB)`, 'MB/s', stats(ours), 'plain indexOf loop', stats(plain)))
  }
}
emit(rows)

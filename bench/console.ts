// Console matching throughput: feeds N MB of boot-like output in 4 KiB chunks (with ANSI
// colour codes and CRs, as a serial console delivers it) to a SerialConsole with a pending
// regex wait, and reports MB/s and peak heap. Linear matching keeps MB/s flat as N grows.
import { SerialConsole } from '../src/console/console.js'

async function run(mb: number): Promise<{ mb: number; ms: number; mbps: number; heapMb: number }> {
  const console = new SerialConsole({ name: 'bench', write: () => {} })
  const line = '[    1.234567] \x1b[32mOK\x1b[0m Started some unit with a long description.\r\n'
  const chunk = line.repeat(Math.ceil(4096 / line.length))
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
  const ms = performance.now() - start
  return { mb, ms, mbps: mb / (ms / 1000), heapMb: peak / 1024 / 1024 }
}

const rows = []
for (const mb of [10, 50, 100]) rows.push(await run(mb))
process.stdout.write('console matching (4 KiB chunks, pending regex wait)\n')
process.stdout.write('   MB      ms    MB/s  peak heap MB\n')
for (const r of rows) {
  process.stdout.write(`${String(r.mb).padStart(5)} ${r.ms.toFixed(0).padStart(7)} ${r.mbps.toFixed(1).padStart(7)} ${r.heapMb.toFixed(0).padStart(13)}\n`)
}

// A process's CPU time read from /proc/PID/stat (what machine.json's cpuSeconds and the
// summary's slowest files report for QEMU).
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { processCpuSeconds } from '../../../src/qemu/process.js'

t.test('this process: agrees with Node’s own count; a process that is gone has none', async t => {
  const before = processCpuSeconds(process.pid)!
  const own = process.cpuUsage()
  let x = 0
  // 300 ms of CPU, however busy the host is
  while ((process.cpuUsage(own).user + process.cpuUsage(own).system) / 1e6 < 0.3) x += Math.sqrt(x + 1)
  const spent = (process.cpuUsage(own).user + process.cpuUsage(own).system) / 1e6
  const after = processCpuSeconds(process.pid)!
  t.ok(Math.abs(after - before - spent) < 0.05, `${(after - before).toFixed(2)} s read, ${spent.toFixed(2)} s spent`)
  const child = spawnSync('true')
  t.equal(processCpuSeconds(child.pid!), undefined, 'an ended process')
})

t.test('a command name with spaces and parentheses does not shift the fields', async t => {
  // the name is in parentheses in /proc/PID/stat, and may hold ') ' itself
  const named = join(t.testdir(), 'x) 1 2 3 (y')
  symlinkSync('/bin/sleep', named)
  const child = spawn(named, ['5'])
  t.teardown(() => child.kill())
  await new Promise(r => child.once('spawn', r))
  await new Promise(r => setTimeout(r, 100))
  const cpu = processCpuSeconds(child.pid!)
  t.ok(cpu !== undefined && cpu < 0.05, `sleep has used next to no CPU (${cpu} s; a shifted field reads page-fault counters, hundreds)`)
})

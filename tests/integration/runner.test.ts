// `bootcheck run` as CI runs it: test files in parallel within a memory budget, a run folder
// with results.json, and an interrupt that ends everything and says so in the report.
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { readFile, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { RunRecord } from '../../src/report/model.js'
import { RUNNER_ENV } from '../../src/lease/protocol.js'
import { sleep } from '../../src/util/sleep.js'
import { demoMedia, params } from '../../vm-configs/demo.js'
import { alive } from './process.js'
import { buildPackage, cli, directBootFields, importBoot, spawnOnPty } from './cli-helpers.js'

const media = await demoMedia()

// The package as users run it: bin/bootcheck.js imports the compiled dist/.
await buildPackage()

/** A test file that boots the demo media, runs a command in the guest, then holds for `holdS`. */
function vmTestFile(name: string, holdS = 0): string {
  return [
    `import t, { type Test } from 'tap'`,
    importBoot,
    `t.test(${JSON.stringify(name)}, async t => {`,
    `  const vm = await boot(t, { name: ${JSON.stringify(name)}, memory: '1G', ${directBootFields(media)} })`,
    `  t.equal(await vm.succeed('echo up-$((40+2))'), 'up-42\\n')`,
    `  await new Promise(r => setTimeout(r, ${holdS * 1000}))`,
    `})`,
  ].join('\n')
}

/**
 * `bootcheck run` in `dir`, its run folders under `dir/runs`, plain progress. `alone`: not
 * under the suite's budget (a nested run takes its leases from the enclosing run), for a
 * test of this run's own budget, which needs both its machines at once.
 */
function startRun(dir: string, ...args: string[]) {
  const alone = args[0] === 'alone'
  const env = { ...process.env }
  if (alone) delete env[RUNNER_ENV]
  return execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', ...args.slice(alone ? 1 : 0)], { cwd: dir, reject: false, env, extendEnv: false })
}

async function runIn(dir: string, ...args: string[]) {
  const r = await startRun(dir, ...args)
  const results = JSON.parse(await readFile(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  return { ...r, results }
}

function spans(run: RunRecord): Array<{ name: string; start: number; end: number }> {
  return run.files
    .flatMap(f => f.tests.flatMap(t => t.machines))
    .map(m => ({ name: m.machine, start: Date.parse(m.startedAt!), end: Date.parse(m.endedAt!) }))
    .sort((a, b) => a.start - b.start)
}

t.test('two VM test files run in parallel, and one after the other when the budget holds one machine', async t => {
  const dir = t.testdir({ 'a.test.ts': vmTestFile('vm-a'), 'b.test.ts': vmTestFile('vm-b') })

  const wide = await runIn(dir, 'alone', '--jobs', '2', '--memory', '2G', '--slowest', '2', 'a.test.ts', 'b.test.ts')
  t.equal(wide.exitCode, 0, 'both pass with room for two machines', { stderr: wide.stderr })
  t.equal(wide.results.counts.passed, 2)
  const [w1, w2] = spans(wide.results)
  t.ok(w1 && w2, 'both machines left their start and end times')
  t.ok(w2!.start < w1!.end, `the second machine started (${w2!.start}) before the first ended (${w1!.end})`)
  const booted = wide.results.files.flatMap(f => f.tests.flatMap(x => x.machines))
  t.ok(booted.every(m => (m.cpuSeconds ?? 0) > 0.5), `each machine's QEMU CPU time is recorded (${booted.map(m => m.cpuSeconds).join(', ')} s)`)
  t.match(wide.stderr, /^\s+[\d.]+ s {2}\S*a\.test\.ts \(1 machine, QEMU CPU \d+ s\)$/m, '--slowest says what the file’s machines cost')

  const narrow = await runIn(dir, '--jobs', '2', '--memory', '1G', 'a.test.ts', 'b.test.ts')
  t.equal(narrow.exitCode, 0, 'both pass with room for one machine', { stderr: narrow.stderr })
  const [n1, n2] = spans(narrow.results)
  t.ok(n2!.start >= n1!.end, `the second machine started (${n2!.start}) after the first ended (${n1!.end})`)
  t.match(narrow.stderr, /waiting for 1024 MiB and 1 vCPU within the budget/, 'progress says a machine waits for the budget')
  t.match(narrow.stderr, /after waiting \d/, 'and how long it waited')
  t.notMatch(narrow.stderr, /\x1b\[/, 'plain progress has no escape codes')
})

t.test('a failure names its artifacts folder; the run folder holds the reports', async t => {
  const dir = t.testdir({
    'fail.test.ts': vmTestFile('vm-f').replace(`'up-42\\n')`, `'up-43\\n')`),
  })
  const r = await runIn(dir, '--junit', 'out/junit.xml', 'fail.test.ts')
  t.equal(r.exitCode, 1)
  const test = r.results.files[0]!.tests[0]!
  t.equal(test.status, 'failed')
  const machine = test.machines[0]!
  t.ok(existsSync(join(machine.dir, 'console.log')), 'the machine folder holds the transcript')
  // The filmstrip of the failed test: the frames and their index.
  t.same((await readdir(machine.dir)).sort(), ['actions.jsonl', 'console.log', 'filmstrip', 'filmstrip.json', 'machine.json', 'qemu-command.txt', 'qemu-stderr.log', 'qmp.log'])
  t.ok((machine.filmstrip?.length ?? 0) >= 1, 'results.json lists its frames')
  // The step log: the command, its duration, its result; in results.json and the report too.
  t.match(machine.actions, [{ action: 'succeed', args: { command: 'echo up-$((40+2))' }, outcome: 'ok', durationMs: Number }])
  // The first step may start in the millisecond the machine was made: an offset of 0 is right.
  t.ok(machine.actions![0]!.durationMs > 0 && machine.actions![0]!.offsetMs >= 0, 'timed from the machine start')
  t.equal(machine.actionsLog, join(machine.dir, 'actions.jsonl'))
  const html = await readFile(join(dir, 'runs', 'latest', 'report.html'), 'utf8')
  t.match(html, /<tr class="action action-ok" data-action="succeed"[^>]*>.*echo up-\$\(\(40\+2\)\)/, 'the report shows the step')
  t.ok(machine.dir.startsWith(join(dir, 'runs')), 'under the run folder')
  t.match(r.stderr, `✗ fail.test.ts › vm-f`)
  t.match(r.stderr, `artifacts of vm-f: ${join('runs', '')}`)
  t.ok(existsSync(join(dir, 'runs', 'latest', 'report.html')))
  t.match(await readFile(join(dir, 'out', 'junit.xml'), 'utf8'), /<testcase name="vm-f"[^>]*>\s*<failure/)
})

t.test('on a terminal, a live line per running machine', async t => {
  const dir = t.testdir({ 'a.test.ts': vmTestFile('vm-live') })
  const env = { ...process.env }
  delete env.CI
  const run = spawnOnPty(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), 'a.test.ts'], { cwd: dir, cols: 160, env })
  const exit = await run.exited
  const raw = run.raw()
  t.equal(exit.exitCode, 0, 'the run passes', { output: raw.slice(-2000) })
  t.match(raw, /● a\.test\.ts › vm-live › vm-live \d+(\.\d)?s {2}\S/, 'a line with file, test, machine, elapsed time and what it shows')
  t.match(raw, /\x1b\[\d+F\x1b\[J/, 'the block is redrawn in place')
  t.match(raw, /ok 1 - \S*a\.test\.ts/, 'TAP still comes through')
})

t.test('machines and run defaults from bootcheck.config.ts', async t => {
  const spec = { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media) }
  const dir = t.testdir({
    'bootcheck.config.ts': `export default { machines: { live: ${JSON.stringify(spec)} }, run: { files: ['checks'], memory: '1536M' } }`,
    checks: {
      'named.test.ts': [
        `import t, { type Test } from 'tap'`,
        importBoot,
        `t.test('boots the config machine by name', async t => {`,
        `  const vm = await boot(t, 'live', { name: 'from-config' })`,
        `  t.match(await vm.succeed('cat /proc/cmdline'), ${JSON.stringify(params(media).at(-1))})`,
        `})`,
      ].join('\n'),
    },
  })
  const r = await runIn(dir)
  t.equal(r.exitCode, 0, 'the run passes', { stderr: r.stderr })
  t.match(r.stderr, /1 test file\(s\), .*memory budget 1536 MiB/, 'run defaults come from the config')
  t.equal(r.results.files[0]?.file, join('checks', 'named.test.ts'))
  t.equal(r.results.files[0]?.tests[0]?.machines[0]?.machine, 'from-config')
})

/** A run of one test file whose machine holds for ten minutes, once its QEMU runs (the QEMU is killed at teardown if a test fails). */
async function startHeldRun(t: Test, name: string) {
  const dir = t.testdir({ 'hold.test.ts': vmTestFile(name, 600) })
  const child = startRun(dir, 'hold.test.ts')
  const pid = await runningQemu(dir)
  t.ok(pid && alive(pid), `QEMU (${pid}) runs`)
  t.teardown(() => {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL')
  })
  return { dir, child, pid }
}

/** Waits until a run's machine has a running QEMU; returns its pid (0 if none came). */
async function runningQemu(dir: string): Promise<number> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    await sleep(250)
    const found = (await readdir(join(dir, 'runs', 'latest', 'artifacts'), { recursive: true }).catch(() => [] as string[])).find(f => f.endsWith('machine.json'))
    if (!found) continue
    const facts = JSON.parse(await readFile(join(dir, 'runs', 'latest', 'artifacts', found), 'utf8').catch(() => '{}')) as { pid?: number }
    if (facts.pid) return facts.pid
  }
  return 0
}

t.test('SIGINT during a boot: the run ends, its report says interrupted, no QEMU remains', async t => {
  const { dir, child, pid } = await startHeldRun(t, 'vm-held')
  await sleep(2000)
  child.kill('SIGINT')
  const r = await child
  t.equal(r.exitCode, 130, 'the runner exits as interrupted by SIGINT')
  t.match(r.stderr, /interrupted by SIGINT/)
  const results = JSON.parse(await readFile(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.equal(results.status, 'interrupted')
  t.equal(results.interruptedBy, 'SIGINT')
  t.match(await readFile(join(dir, 'runs', 'latest', 'report.html'), 'utf8'), /interrupted/i)
  t.notOk(alive(pid), `QEMU ${pid} is gone when the runner has exited`)
})

t.test('SIGKILL of the runner during a boot: its test processes end their machines', async t => {
  const { child, pid } = await startHeldRun(t, 'vm-orphan')
  child.kill('SIGKILL')
  await child
  const deadline = Date.now() + 10_000
  while (alive(pid) && Date.now() < deadline) await sleep(100)
  t.notOk(alive(pid), `QEMU ${pid} is gone: its test process saw the runner's socket close`)
})

/**
 * The soak: `bootcheck run` of a test that boots the demo ISO with its persist disk,
 * ended N times at random moments (one in five while it starts, the others at a random
 * moment after its QEMU appeared) by a random signal (SIGKILL, SIGINT, SIGTERM, SIGHUP, in
 * shuffled blocks of four, sent to the runner's pid alone). Afterwards it counts what was left: QEMU processes of the soak
 * (found by their unique `-name`, never ended by name: any found is reported and then ended
 * by pid), temporary folders of dead runs and machines once one more run has started (which
 * removes them), and whether the ISO and the persist image are byte-identical.
 *
 *   node --import tsx bench/soak.ts [--runs 50] [--seed N] [--max-delay-ms 30000]
 *
 * `tests/integration/soak.test.ts` runs it with 4 runs (one of each signal) in CI.
 */
import { createHash } from 'node:crypto'
import { createReadStream, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { execa } from 'execa'
import { MACHINE_SCRATCH_PREFIX } from '../src/machine/start.js'
import { RUN_SCRATCH_PREFIX } from '../src/runner/run.js'
import { SNAPSHOT_SCRATCH_PREFIX } from '../src/machine/snapshot.js'
import { ownerAlive } from '../src/util/scratch.js'
import { demoMedia } from '../vm-configs/demo.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const SIGNALS = ['SIGKILL', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const
const SCRATCH = [RUN_SCRATCH_PREFIX, MACHINE_SCRATCH_PREFIX, SNAPSHOT_SCRATCH_PREFIX]

/** One killed run. */
export interface SoakRun {
  signal: (typeof SIGNALS)[number]
  /** Milliseconds from the run's start to the signal. */
  afterMs: number
  exitCode: number | undefined
  /** The signal that ended the runner, if one did. */
  exitSignal: string | undefined
  /** QEMU processes of the run that were running when the signal was sent. */
  qemuAtKill: number
  /** Milliseconds from the signal until the runner and the soak's QEMU processes were gone. */
  settledMs: number
}

/** What the soak found. */
export interface SoakResult {
  seed: number
  runs: SoakRun[]
  /** QEMU processes of the soak still running after the runs settled (each then ended by pid). */
  qemuLeft: number
  /** Temporary folders of dead runs or machines left after the next run started. */
  foldersLeft: string[]
  /** Folders of killed runs the next run's start removed. */
  swept: number
  mediaIdentical: boolean
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Pids of running QEMU processes whose command line holds `marker` (read from /proc; nothing is signalled). */
function qemuWith(marker: string): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      if (cmd.includes('qemu-system') && cmd.includes(marker)) out.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

function scratchNames(): string[] {
  return readdirSync(tmpdir()).filter(n => SCRATCH.some(p => n.startsWith(p)))
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise(r => setTimeout(r, 100))
  }
  return check()
}

/** Runs the soak; progress lines go to `log`. */
export async function soak(opts: { runs: number; seed?: number; maxDelayMs?: number; log?: (line: string) => void }): Promise<SoakResult> {
  const seed = opts.seed ?? Date.now() % 100000
  const random = prng(seed)
  const log = opts.log ?? (() => {})
  const media = await demoMedia()
  const before = { iso: await sha256(media.iso), persist: await sha256(media.persistDisk) }
  const scratchBefore = new Set(scratchNames())
  const token = `soak${process.pid}x${seed}`
  // Inside the repository, so tap finds its TypeScript set-up in package.json.
  const work = await mkdtemp(join(root, '.bootcheck', 'soak-'))
  const cli = join(root, 'bin', 'bootcheck.js')
  const index = join(root, 'src', 'index.js')
  const testFile = join(work, 'soak.test.ts')
  await writeFile(
    testFile,
    [
      "import t from 'tap'",
      `import { boot } from ${JSON.stringify(index)}`,
      "t.test('stateless, killed at a random moment', async t => {",
      `  const vm = await boot(t, { name: ${JSON.stringify(token)}, cdrom: ${JSON.stringify(media.iso)}, disks: [${JSON.stringify(media.persistDisk)}] })`,
      "  await vm.succeed('echo keep > /var/lib/persisted/state')",
      '  await vm.reboot()',
      "  t.equal(await vm.succeed('cat /var/lib/persisted/state'), 'keep\\n')",
      '})',
      '',
    ].join('\n'),
  )
  const runs: SoakRun[] = []
  let qemuLeft = 0
  try {
    let block: Array<(typeof SIGNALS)[number]> = []
    for (let i = 0; i < opts.runs; i++) {
      // Signals in shuffled blocks of four: random, and every kind in any four runs.
      if (block.length === 0) block = [...SIGNALS].map(s => ({ s, k: random() })).sort((a, b) => a.k - b.k).map(x => x.s)
      const signal = block.pop()!
      // One run in five is killed while it starts (before any QEMU); the others at a random
      // moment after their QEMU appeared: during the boot, a command or the reboot.
      const duringStartup = i % 5 === 4
      const delay = Math.round(duringStartup ? 300 + random() * 2000 : random() * (opts.maxDelayMs ?? 30_000))
      const started = Date.now()
      const child = execa(process.execPath, [cli, 'run', '--progress', 'plain', testFile], { cwd: work, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' })
      if (!duringStartup) await until(() => qemuWith(token).length > 0 || child.exitCode !== null, 120_000)
      await new Promise(r => setTimeout(r, delay))
      const afterMs = Date.now() - started
      const qemuAtKill = qemuWith(token).length
      const signalled = Date.now()
      child.kill(signal)
      const exit = await Promise.race([child, new Promise<undefined>(r => setTimeout(() => r(undefined), 60_000))])
      await until(() => qemuWith(token).length === 0, 30_000)
      const left = qemuWith(token)
      qemuLeft += left.length
      for (const pid of left) process.kill(pid, 'SIGKILL') // ours: started by this soak's run
      const run: SoakRun = { signal, afterMs, exitCode: exit?.exitCode, exitSignal: exit?.signal, qemuAtKill, settledMs: Date.now() - signalled }
      runs.push(run)
      const ended = exit ? (exit.signal ? `ended by ${exit.signal}` : `exit ${exit.exitCode}`) : 'hung'
      log(`run ${i + 1}/${opts.runs}: ${signal} after ${(afterMs / 1000).toFixed(1)} s with ${qemuAtKill} QEMU running → ${ended}, settled in ${run.settledMs} ms, QEMU left ${left.length}`)
    }
    // One more run starts (and removes what killed runs left), with nothing to boot.
    const deadBefore = scratchNames().filter(n => !scratchBefore.has(n) && !ownerAlive(join(tmpdir(), n)))
    const noop = join(work, 'noop.test.ts')
    await writeFile(noop, "import t from 'tap'\nt.pass('nothing to boot')\n")
    await execa(process.execPath, [cli, 'run', '--progress', 'off', noop], { cwd: work, reject: false, stdin: 'ignore' })
    const foldersLeft = scratchNames().filter(n => !scratchBefore.has(n) && !ownerAlive(join(tmpdir(), n)))
    const after = { iso: await sha256(media.iso), persist: await sha256(media.persistDisk) }
    return {
      seed,
      runs,
      qemuLeft,
      foldersLeft,
      swept: deadBefore.length - foldersLeft.length,
      mediaIdentical: after.iso === before.iso && after.persist === before.persist,
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' }, seed: { type: 'string' }, 'max-delay-ms': { type: 'string', default: '30000' } } })
  const started = Date.now()
  const r = await soak({
    runs: Number(values.runs),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    maxDelayMs: Number(values['max-delay-ms']),
    log: line => process.stdout.write(`soak: ${line}\n`),
  })
  const bySignal = SIGNALS.map(s => `${s} ${r.runs.filter(x => x.signal === s).length}`).join(', ')
  process.stdout.write(
    `soak: ${r.runs.length} killed runs (seed ${r.seed}; ${bySignal}) in ${((Date.now() - started) / 1000).toFixed(0)} s\n` +
      `soak: ${r.runs.filter(x => x.qemuAtKill > 0).length} of them killed while QEMU ran\n` +
      `soak: QEMU left ${r.qemuLeft} · temp folders left ${r.foldersLeft.length} (${r.swept} of killed runs removed by the next start) · media ${r.mediaIdentical ? 'identical' : 'CHANGED'}\n`,
  )
  process.exitCode = r.qemuLeft === 0 && r.foldersLeft.length === 0 && r.mediaIdentical ? 0 : 1
}

/**
 * A run folder as `bootcheck run` leaves it, built by hand for the reporter tests: real PNG
 * screens (expected/actual/diff), real transcripts and logs, and the RunRecord naming them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import type { MachineRecord, RunRecord } from '../../src/report/model.js'

/** What the fixture run contains, for assertions. */
export const FIXTURE = {
  failedTest: 'GRUB menu > looks right',
  failedFile: 'tests/boot.test.ts',
  message: "Screen 'grub-menu' does not match its reference: 12.5% of pixels differ <script>alert(1)</script> & more",
  transcriptLine: 'Welcome to <Bootcheck Linux> & friends',
  lastLine: 'FIXTURE-LAST-LINE login:',
  screen: 'grub-menu',
  passedTests: ['boots to a shell', 'other > works'],
  skippedTest: 'needs KVM',
  todoTest: 'UEFI secure boot',
} as const

/** A solid `width × height` PNG with a stripe, so the diff image differs visibly. */
export function png(width: number, height: number, rgb: [number, number, number], stripe?: [number, number, number]): Buffer {
  const img = new PNG({ width, height })
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = stripe && y >= height / 3 && y < (2 * height) / 3 ? stripe : rgb
      img.data.set([c[0], c[1], c[2], 255], (y * width + x) * 4)
    }
  return PNG.sync.write(img)
}

async function machineDir(dir: string, name: string, transcript: string, screens: boolean): Promise<MachineRecord> {
  await mkdir(dir, { recursive: true })
  const m: MachineRecord = {
    machine: name,
    test: '',
    dir,
    transcript: join(dir, 'console.log'),
    command: join(dir, 'qemu-command.txt'),
    qmpLog: join(dir, 'qmp.log'),
    stderr: join(dir, 'qemu-stderr.log'),
    accel: 'tcg',
    memoryMiB: 512,
    startedAt: '2024-05-01T10:20:31.000Z',
    endedAt: '2024-05-01T10:20:41.500Z',
    screens: [],
    captures: [{ network: 'lan', file: join(dir, '..', 'network-lan', 'lan.pcap') }],
  }
  await mkdir(join(dir, '..', 'network-lan'), { recursive: true })
  await writeFile(m.captures![0]!.file, '')
  await writeFile(m.transcript!, transcript)
  await writeFile(m.command!, 'qemu-system-x86_64 -m 512 -nographic\n')
  await writeFile(m.qmpLog!, '{"execute":"qmp_capabilities"}\n')
  await writeFile(m.stderr!, '')
  if (screens) {
    const s = { name: FIXTURE.screen, expected: join(dir, 'grub-menu-expected.png'), actual: join(dir, 'grub-menu-actual.png'), diff: join(dir, 'grub-menu-diff.png') }
    await writeFile(s.expected, png(64, 40, [0, 0, 120], [200, 200, 200]))
    await writeFile(s.actual, png(64, 40, [0, 0, 120], [200, 60, 60]))
    await writeFile(s.diff, png(64, 40, [40, 40, 40], [255, 0, 0]))
    m.screens.push(s)
  }
  return m
}

/**
 * Creates a run folder under the system temp folder (or `root`) with a failed file (one
 * passed, one failed screen test, one skipped, one todo) and a passed file. With
 * `outside`, the failed test also has a screen whose images lie outside the run folder
 * (in `<run folder>-outside`). Remove it with {@link removeFixtureRun}.
 */
export async function makeFixtureRun(opts: { root?: string; outside?: boolean } = {}): Promise<RunRecord> {
  const dir = await mkdtemp(join(opts.root ?? tmpdir(), 'bootcheck-report-'))
  const art = join(dir, 'artifacts', 'tests-boot.test.ts')
  const boot = await machineDir(join(art, 'boots-to-a-shell', 'vm'), 'vm', 'Booting\r\n\x1b[1;32mready\x1b[0m\r\n# \r\n', false)
  const transcript = ['SeaBIOS (version 1.16)', `\x1b[1m${FIXTURE.transcriptLine}\x1b[0m`, 'bell\x07 and NUL\x00 here', FIXTURE.lastLine].join('\r\n')
  const grub = await machineDir(join(art, 'GRUB-menu-looks-right', 'uefi vm'), 'uefi vm', transcript, true)
  if (opts.outside) {
    const far = `${dir}-outside`
    await mkdir(far)
    const s = { name: 'outside', expected: join(far, 'o-expected.png'), actual: join(far, 'o-actual.png'), diff: join(far, 'o-diff.png') }
    await writeFile(s.expected, png(16, 10, [0, 120, 0]))
    await writeFile(s.actual, png(16, 10, [0, 120, 0], [250, 250, 0]))
    await writeFile(s.diff, png(16, 10, [30, 30, 30], [255, 0, 0]))
    grub.screens.push(s)
  }
  const run: RunRecord = {
    dir,
    startedAt: '2024-05-01T10:20:30.000Z',
    durationMs: 42_000,
    status: 'failed',
    host: { hostname: 'builder-1', cpus: 2, memoryMiB: 3900, budgetMiB: 2900, jobs: 2 },
    counts: { passed: 2, failed: 1, skipped: 1, todo: 1 },
    files: [
      {
        file: FIXTURE.failedFile,
        status: 'failed',
        durationMs: 30_000,
        tap: 'TAP version 14\nnot ok 2 - GRUB menu\n',
        machines: [],
        tests: [
          { name: FIXTURE.passedTests[0], status: 'passed', durationMs: 9_000, machines: [{ ...boot, test: FIXTURE.passedTests[0] }] },
          {
            name: FIXTURE.failedTest,
            status: 'failed',
            durationMs: 12_000,
            message: FIXTURE.message,
            diagnostic: 'at: tests/boot.test.ts:20:5\nstack: |\n  expectScreen (src/screens/expect.ts:40:11)',
            machines: [{ ...grub, test: FIXTURE.failedTest }],
          },
          { name: FIXTURE.skippedTest, status: 'skipped', reason: 'no KVM on this host', machines: [] },
          { name: FIXTURE.todoTest, status: 'todo', machines: [] },
        ],
      },
      {
        file: 'tests/other.test.ts',
        status: 'passed',
        durationMs: 2_000,
        tap: 'TAP version 14\nok 1 - other\n',
        machines: [],
        tests: [{ name: FIXTURE.passedTests[1], status: 'passed', durationMs: 1_200, machines: [] }],
      },
    ],
  }
  await writeFile(join(dir, 'results.json'), JSON.stringify(run, null, 2))
  return run
}

/** Removes a run folder made by {@link makeFixtureRun} and its `-outside` sibling. */
export async function removeFixtureRun(run: RunRecord): Promise<void> {
  await rm(run.dir, { recursive: true, force: true })
  await rm(`${run.dir}-outside`, { recursive: true, force: true })
}

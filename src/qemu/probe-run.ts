/**
 * One boot of the accelerator probe guest (./probe/) under QEMU. The timeout is execa's:
 * QEMU is sent SIGKILL at `timeoutMs` and the result comes once it has been reaped.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { execa } from 'execa'
import { DEFAULT_QEMU, missingQemu, resolveQemuBinary } from './binary.js'
import { PROBE_OK_TEXT, probeImage, probeQemuArgs } from './probe/index.js'
import { track, untrack } from './registry.js'

export type Accelerator = 'kvm' | 'tcg'

export const DEFAULT_PROBE_TIMEOUT_MS = 5000

export interface ProbeOptions {
  /** QEMU binary (default 'qemu-system-x86_64'). */
  qemu?: string
  /** Kill the probe QEMU (SIGKILL) after this many ms (default 5000). */
  timeoutMs?: number
  /** Environment for PATH lookup and QEMU (default process.env). */
  env?: NodeJS.ProcessEnv
}

export interface ProbeResult {
  accel: Accelerator
  /** The probe printed its OK line. */
  ok: boolean
  /** What the probe printed on COM1, e.g. 'RPL....BOOTCHECK-PROBE-OK\n' or 'RP'. */
  output: string
  /** ms from starting QEMU until the OK line (or until QEMU ended / was killed). */
  ms: number
  /** QEMU's exit status when it exited by itself (33 after the probe's isa-debug-exit write). */
  exitCode?: number
  /** Signal that ended QEMU, e.g. 'SIGKILL' after the timeout. */
  signal?: string
  /** The probe was killed at the timeout. */
  timedOut: boolean
  /** Pid of the probe QEMU (it has exited when runProbe returns). */
  pid?: number
  /** QEMU's stderr (warnings, errors). */
  stderr: string
}

/**
 * Boots the probe image with the given accelerator and reports whether it printed its OK
 * line from long mode in time. QEMU is killed (SIGKILL, through execa's `timeout`) at the
 * timeout and the temporary disk image is removed; when this resolves QEMU has been reaped.
 */
export async function runProbe(accel: Accelerator, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const env = opts.env ?? process.env
  const qemuName = opts.qemu ?? DEFAULT_QEMU
  const qemu = await resolveQemuBinary(qemuName, env)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-probe-'))
  try {
    const image = join(dir, 'probe.img')
    await writeFile(image, probeImage())

    const started = performance.now()
    const sub = execa(qemu, probeQemuArgs(accel, image), {
      env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    })
    const pid = sub.pid
    if (pid !== undefined) track(pid, `accelerator probe (${accel})`)

    let output = ''
    let stderr = ''
    let okMs: number | undefined
    sub.stdout?.setEncoding('utf8')
    sub.stderr?.setEncoding('utf8')
    sub.stdout?.on('data', (chunk: string) => {
      output += chunk
      if (okMs === undefined && output.includes(PROBE_OK_TEXT)) okMs = performance.now() - started
    })
    sub.stderr?.on('data', (chunk: string) => {
      stderr += chunk
    })

    const outcome = await sub
    const endMs = performance.now() - started
    if (pid !== undefined) untrack(pid)
    if ((outcome.failed && (outcome as { code?: string }).code === 'ENOENT') || pid === undefined) {
      throw missingQemu(qemuName, outcome.cause)
    }

    const ok = output.includes(PROBE_OK_TEXT)
    const result: ProbeResult = { accel, ok, output, ms: Math.round(okMs ?? endMs), timedOut: outcome.timedOut && !ok, pid, stderr }
    if (typeof outcome.exitCode === 'number') result.exitCode = outcome.exitCode
    if (outcome.signal) result.signal = outcome.signal
    return result
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

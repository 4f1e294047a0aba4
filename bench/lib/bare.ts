/**
 * The baseline for boot and command figures: QEMU started with the argv bootcheck would
 * use for the same spec (the same launch plan and `buildQemuArgv`), on a pty of our own,
 * with no console, shell session or protocol in the loop. Output is kept as raw text and
 * searched with indexOf from a cursor.
 * @module
 */
import { rm } from 'node:fs/promises'
import * as pty from 'node-pty'
import { prepareLaunch } from '../../src/machine/prepare.js'
import { launchPlan } from '../../src/machine/plan.js'
import { buildQemuArgv } from '../../src/qemu/argv.js'
import { makeScratchDir } from '../../src/util/scratch.js'
import type { MachineSpec } from '../../src/index.js'

/** A bare QEMU on a pty. */
export interface BareQemu {
  /** Types `text` on the serial console. */
  write(text: string): void
  /** Resolves once `needle` appears after the cursor (carriage returns removed), moving the cursor past it. */
  waitFor(needle: string, timeoutMs?: number): Promise<void>
  /** Ends QEMU by pid and removes its folder. */
  stop(): Promise<void>
}

/**
 * Starts QEMU for `spec` (direct-kernel or CD specs without network) with bootcheck's argv,
 * on `qemu` (default `$BOOTCHECK_QEMU` or `qemu-system-x86_64`; another arch's binary for
 * its specs).
 */
export async function startBare(spec: MachineSpec, accel: 'kvm' | 'tcg', qemu = process.env.BOOTCHECK_QEMU ?? 'qemu-system-x86_64'): Promise<BareQemu> {
  const workDir = await makeScratchDir('bootcheck-bench-bare-')
  const prepared = await prepareLaunch(spec, workDir, workDir, {})
  const argv = buildQemuArgv(launchPlan(spec, { name: 'bench-bare', accel, workDir }, prepared))
  const term = pty.spawn(qemu, argv, { name: 'dumb', cols: 250, rows: 50, encoding: 'utf8' })
  let text = ''
  let cursor = 0
  let wake: (() => void) | null = null
  term.onData(d => {
    text += d.replace(/\r/g, '')
    wake?.()
  })
  const exited = new Promise<void>(resolve => term.onExit(() => resolve()))
  return {
    write: s => term.write(s),
    async waitFor(needle, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const at = text.indexOf(needle, cursor)
        if (at !== -1) {
          cursor = at + needle.length
          // Keep memory flat during long transfers: drop what was read.
          if (cursor > 1 << 20) {
            text = text.slice(cursor)
            cursor = 0
          }
          return
        }
        if (Date.now() > deadline) throw new Error(`bare QEMU: no ${JSON.stringify(needle)} within ${timeoutMs} ms`)
        cursor = Math.max(cursor, text.length - needle.length)
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, 1000)
          wake = () => {
            clearTimeout(timer)
            wake = null
            resolve()
          }
        })
      }
    },
    async stop() {
      try {
        process.kill(term.pid, 'SIGKILL')
      } catch {}
      await exited
      await rm(workDir, { recursive: true, force: true })
    },
  }
}

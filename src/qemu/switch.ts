/**
 * A virtual Ethernet switch: Debian's `vde_switch` (package vde2), one process per
 * network, its ports a folder of Unix sockets that QEMU's `-netdev vde` plugs into. It
 * learns addresses like a hardware switch; nothing is forwarded by Node.
 *
 * The process is registered by pid (ended with the machines when the run ends or is
 * interrupted) and dies with Node through the parent-death signal.
 * @module
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { diesWithParent } from './process.js'
import { track, untrack } from './registry.js'
import { sleep } from '../util/sleep.js'

/** The switch binary: `$BOOTCHECK_VDE_SWITCH` or `vde_switch` from PATH. */
export const VDE_SWITCH = process.env.BOOTCHECK_VDE_SWITCH ?? 'vde_switch'

/** A running switch. */
export class VdeSwitch {
  private ended = false

  private constructor(
    /** The folder QEMU's `-netdev vde,sock=` names. */
    readonly socketDir: string,
    readonly pid: number,
    private readonly child: ResultPromise,
    private readonly output: () => string,
  ) {}

  /**
   * Starts a switch with its sockets in `socketDir` (which must not exist yet) and returns
   * once it accepts connections. Throws when `vde_switch` is missing or fails, with what it
   * printed.
   */
  static async start(socketDir: string, options: { ports?: number; timeoutMs?: number } = {}): Promise<VdeSwitch> {
    const args = ['--sock', socketDir, '--dirmode', '0700', '--numports', String(options.ports ?? 32)]
    const [file, argv] = diesWithParent(VDE_SWITCH, args)
    let text = ''
    // stdin stays open: vde_switch ends at the end of its console input.
    const child = execa(file, argv, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false })
    child.stdout?.on('data', (d: Buffer) => (text = (text + d.toString()).slice(-4000)))
    child.stderr?.on('data', (d: Buffer) => (text = (text + d.toString()).slice(-4000)))
    let exited = false
    void child.then(() => (exited = true))
    const failure = (why: string): Error => new Error(`${why}${text.trim() ? `; it said: ${text.trim()}` : ''}`)
    if (child.pid === undefined) {
      const r = await child
      throw failure(`cannot start ${VDE_SWITCH} (install Debian's vde2): ${r.message ?? 'no process'}`)
    }
    track(child.pid, `vde_switch ${socketDir}`)
    const sw = new VdeSwitch(socketDir, child.pid, child, () => text)
    const deadline = Date.now() + (options.timeoutMs ?? 5000)
    while (!existsSync(join(socketDir, 'ctl'))) {
      if (exited) {
        untrack(child.pid)
        const r = await child
        throw failure(`${VDE_SWITCH} ended at start (${r.exitCode !== undefined ? `code ${r.exitCode}` : r.signal ?? 'no process'})`)
      }
      if (Date.now() > deadline) {
        await sw.stop()
        throw failure(`${VDE_SWITCH} did not create ${join(socketDir, 'ctl')} within ${options.timeoutMs ?? 5000} ms`)
      }
      await sleep(10)
    }
    return sw
  }

  /** What the switch printed (the last 4,000 characters). */
  get log(): string {
    return this.output()
  }

  /** Ends the switch (SIGTERM, then SIGKILL after a second). Safe to call twice. */
  async stop(): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), 1000)
    await this.child.catch(() => undefined)
    clearTimeout(t)
    untrack(this.pid)
  }
}

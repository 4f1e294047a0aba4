/**
 * The core of a running machine: its parts, the step log, the guest shell and its shares,
 * explained timeouts, power state and disposal (see {@link MachineCore}).
 * @module
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type SerialConsole } from '../console/console.js'
import { GuestShell, type CommandResult } from '../guest/shell.js'
import type { NetbootHttpServer } from '../net/http.js'
import type { QemuExit, QemuProcess } from '../qemu/process.js'
import { untrackScratch } from '../qemu/registry.js'
import type { QmpClient } from '../qmp/client.js'
import { captureScreen, captureScreenPpm } from '../screens/capture.js'
import { type ScreenContext } from '../screens/expect.js'
import { ScreenReader } from '../screens/text.js'
import { within } from '../util/sleep.js'
import { UBoot } from './uboot.js'
import { ActionLog } from './actions.js'
import { FilmstripRecorder, filmstripMode } from './filmstrip.js'
import { ARTIFACT_FILES } from './artifacts.js'
import { nicInfos, type NicInfo } from './nics.js'
import { explainSilentConsole } from './silent.js'
import { type MachineOrigin } from './snapshot-save.js'
import { mountCommand, mountError } from './shares.js'
import type { MachineParts } from './machine-options.js'

/**
 * The state of a running machine and the plumbing every group of its methods shares: the
 * step log, the guest shell, shares, explained timeouts, power state and disposal. The
 * public methods are added, one concern a file, by the classes above it, ending with
 * {@link Machine}.
 */
export class MachineCore {
  /** The machine's name, as used in messages and artifact folders. */
  readonly name: string
  /** The accelerator QEMU runs with. */
  readonly accel: 'kvm' | 'tcg'
  /** The guest's serial console. */
  readonly console: SerialConsole
  /** The QMP connection, for anything the methods here do not cover. */
  readonly qmp: QmpClient
  /** The folder with this machine's transcript, QEMU command line, QMP log and step log. */
  readonly artifactsDir: string
  /** QEMU's pid. */
  readonly pid: number
  /**
   * With `ipxe` in the spec: the HTTP server serving its root to this guest (`guestUrl`,
   * `requests` answered so far, `served(path)`); its log is `http.log` in the artifacts
   * folder. Closed by `dispose`.
   */
  readonly http: NetbootHttpServer | undefined
  /** U-Boot at the serial console (a machine with `firmware: 'u-boot'`): stop autoboot, run commands, read the environment. */
  readonly uboot: UBoot
  /** The machine's network cards (`nics` in its spec), with their device ids and MAC addresses. */
  readonly nics: readonly NicInfo[]
  /** Default timeout of commands and console waits, in milliseconds. */
  timeout: number
  /** Timeout for a shell to answer after a boot, in milliseconds. */
  bootTimeout: number
  protected readonly process: QemuProcess
  protected readonly shell: GuestShell
  protected readonly workDir: string
  protected readonly actions: ActionLog
  protected readonly screens: ScreenContext
  protected readonly reader: ScreenReader
  protected readonly filmstrip: FilmstripRecorder | undefined
  protected keepFilm = filmstripMode() === 'all'
  protected readonly origin: MachineOrigin
  protected disposed: Promise<void> | null = null
  /** The shell session the shares were mounted in (see {@link GuestShell.session}). */
  protected sharesMounted: { session: number; done: Promise<void> } | null = null

  constructor(parts: MachineParts) {
    this.name = parts.name
    this.accel = parts.accel
    this.process = parts.process
    this.pid = parts.process.pid
    this.console = parts.console
    this.qmp = parts.qmp
    this.artifactsDir = parts.artifactsDir
    this.workDir = parts.workDir
    this.http = parts.http
    this.timeout = parts.timeout
    this.bootTimeout = parts.bootTimeout
    this.shell = new GuestShell(parts.console, {
      ...(parts.login ? { login: parts.login } : {}),
      shellProbe: parts.shellProbe ?? 'quiet',
      ...(parts.shellPrompt ? { prompt: parts.shellPrompt } : {}),
      onCommand: (marker, command) => this.actions.command(marker, command),
    })
    if (parts.shellReady === 'ready') this.shell.assumeReady()
    if (parts.shellReady === 'prompt') this.shell.atPrompt()
    this.origin = parts.origin
    this.nics = nicInfos(parts.origin.plan.nics)
    // A reset the test did not ask for (`reboot -f` inside a command) fails the waiting
    // command at once and makes the next one wait for the new boot.
    this.qmp.on('RESET', e => this.shell.guestReset(`QEMU reported RESET, ${e.data?.reason ?? 'no reason given'}`))
    this.actions = new ActionLog(join(parts.artifactsDir, ARTIFACT_FILES.actions), () => parts.console.loggedBytes)
    this.uboot = new UBoot(this.console, this.name, () => this.timeout, (action, args, fn, describe) => this.step(action, args, fn, describe))
    this.screens = { capture: () => captureScreen(this.qmp, this.workDir), testFile: parts.testFile, artifactsDir: this.artifactsDir }
    this.reader = new ScreenReader(this.screens.capture)
    this.filmstrip = filmstripMode() === 'off' ? undefined : new FilmstripRecorder(() => captureScreenPpm(this.qmp, this.workDir), n => this.console.lastLines(n)).start()
  }

  /**
   * Keeps the machine's filmstrip: when the machine is disposed, the frames recorded while
   * it ran (one whenever the screen changed, checked once a second) are written to
   * `filmstrip/` and `filmstrip.json` in the artifacts folder, and the HTML report shows
   * them. `boot(t, …)` calls this when the test failed; `BOOTCHECK_FILMSTRIP=all` (or
   * `bootcheck run --filmstrip=all`) keeps every machine's, `off` records none.
   */
  keepFilmstrip(): void {
    this.keepFilm = true
  }

  /** True until QEMU has exited. */
  get running(): boolean {
    return this.process.alive
  }

  /** Resolves with QEMU's exit when it ends. */
  get exited(): Promise<QemuExit> {
    return this.process.exited
  }

  /** Ends QEMU at once (SIGKILL by pid), like pulling the plug. */
  kill(): Promise<QemuExit> {
    return this.step('kill', {}, () => this.process.kill('SIGKILL'))
  }

  /**
   * Stops the machine if it still runs (QMP `quit`, then SIGKILL by pid), closes the QMP
   * connection and the transcript, and removes the temporary folder with the overlays.
   * Artifacts stay. Safe to call more than once.
   */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (this.filmstrip) {
        await this.filmstrip.stop()
        if (this.keepFilm) await this.filmstrip.write(this.artifactsDir).catch(() => undefined)
      }
      if (this.running) {
        this.process.sampleCpu()
        await this.qmp.execute('quit').catch(() => undefined)
        const gone = await within(this.exited, 3000)
        if (!gone) await this.process.kill('SIGKILL')
      }
      await this.qmp.close().catch(() => undefined)
      await this.http?.close().catch(() => undefined)
      await this.console.close()
      await rm(this.workDir, { recursive: true, force: true })
      untrackScratch(this.workDir)
    })()
    return this.disposed
  }

  protected step<T>(action: string, args: object, fn: () => Promise<T>, describe?: (r: T) => string): Promise<T> {
    return this.actions.step(action, args as Record<string, unknown>, fn, describe)
  }

  protected waitForShell(timeout: number): Promise<void> {
    return this.step('waitForShell', { timeout }, () => this.shell.ensureReady(timeout).catch(e => this.rethrowExplained(e)))
  }

  protected async runRaw(command: string, timeout: number): Promise<CommandResult> {
    await this.mountShares()
    return this.shell.run(command, timeout, this.bootTimeout).catch(e => this.rethrowExplained(e))
  }

  /** Mounts the spec's 9p shares once per shell session (a reboot starts a new one). */
  protected async mountShares(): Promise<void> {
    const shares = this.origin.plan.shares ?? []
    if (shares.length === 0) return
    await this.shell.ensureReady(this.bootTimeout).catch(e => this.rethrowExplained(e))
    const session = this.shell.session
    if (this.sharesMounted?.session !== session) {
      const done = this.step('mountShares', { shares: shares.map(s => `${s.host} -> ${s.guest}${s.readOnly ? ' (read-only)' : ''}`) }, async () => {
        for (const share of shares) {
          const r = await this.shell.run(mountCommand(share), this.timeout, this.bootTimeout)
          if (r.status !== 0) throw mountError(this.name, share, r.status, r.output + r.stderr)
        }
      })
      this.sharesMounted = { session, done }
      done.catch(() => {
        if (this.sharesMounted?.done === done) this.sharesMounted = null
      })
    }
    await this.sharesMounted.done
  }

  /** A timeout on a silent console says what the screen shows instead. */
  protected async rethrowExplained(e: unknown): Promise<never> {
    const capture = this.screens.capture
    throw await explainSilentConsole(e, { console: this.console, qmp: this.qmp, artifactsDir: this.artifactsDir, capture }, (n, p) => this.actions.attach(n, p))
  }
}

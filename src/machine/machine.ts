import { untrackScratch } from '../qemu/registry.js'
import { rm } from 'node:fs/promises'
import type { SerialConsole } from '../console/console.js'
import { formatMs } from '../console/console.js'
import { GuestShell, type CommandResult } from '../guest/shell.js'
import { keysForChar, parseKeyCombo } from '../input/keys.js'
import { checkFile } from '../media/image.js'
import { captureScreen } from '../screens/capture.js'
import { encodePng, writePng, type Image } from '../screens/image.js'
import type { ScreenOptions } from '../screens/options.js'
import type { ReferenceCheck } from '../screens/references.js'
import {
  expectScreen,
  waitForScreen,
  waitForScreenChange,
  waitForStillScreen,
  type ScreenContext,
  type ScreenWaitOptions,
  type WaitForScreenOptions,
} from '../screens/expect.js'
import type { QmpClient } from '../qmp/client.js'
import type { NetbootHttpServer } from '../net/http.js'
import type { QemuExit, QemuProcess } from '../qemu/process.js'
import { BootcheckError, CommandFailedError, TimeoutError } from '../errors/errors.js'
import { sleep, within } from '../util/sleep.js'

/** Options of commands run in the guest. */
export interface RunOptions {
  /** Milliseconds the command may take. Default: the machine's `timeout`. */
  timeout?: number
}

/** Options of {@link Machine.waitUntilSucceeds} and {@link Machine.waitUntilFails}. */
export interface RetryOptions {
  /** Total milliseconds to keep trying. Default: the machine's `timeout`. */
  timeout?: number
  /** Milliseconds between attempts. Default 1000. */
  interval?: number
}

/** Options of {@link Machine.reboot}. */
export interface RebootOptions {
  /** `'guest'` types `reboot` in the guest shell (the default); `'reset'` presses reset (QMP `system_reset`). */
  how?: 'guest' | 'reset'
  /** Wait until a shell answers again after the reset. Default true. */
  waitForShell?: boolean
  /** Milliseconds for the reset and the new boot. Default: the machine's `bootTimeout`. */
  timeout?: number
}

/** Everything a {@link Machine} is made of; built by {@link boot}. */
export interface MachineParts {
  name: string
  accel: 'kvm' | 'tcg'
  process: QemuProcess
  console: SerialConsole
  qmp: QmpClient
  artifactsDir: string
  workDir: string
  timeout: number
  bootTimeout: number
  login?: { user: string; password?: string }
  shellProbe?: 'quiet' | 'eager'
  testFile: string
  /** The HTTP server of an iPXE boot; closed by `dispose`. */
  http?: NetbootHttpServer
}

/**
 * A running virtual machine: its serial console, commands in the guest, removable media,
 * and power. Made by {@link boot}; ended by {@link Machine.dispose} (which `boot(t, …)`
 * registers as the test's teardown).
 */
export class Machine {
  /** The machine's name, as used in messages and artifact folders. */
  readonly name: string
  /** The accelerator QEMU runs with. */
  readonly accel: 'kvm' | 'tcg'
  /** The guest's serial console. */
  readonly console: SerialConsole
  /** The QMP connection, for anything the methods here do not cover. */
  readonly qmp: QmpClient
  /** The folder with this machine's transcript, QEMU command line and QMP log. */
  readonly artifactsDir: string
  /** QEMU's pid. */
  readonly pid: number
  /**
   * With `ipxe` in the spec: the HTTP server serving its root to this guest (`guestUrl`,
   * `requests` answered so far, `served(path)`); its log is `http.log` in the artifacts
   * folder. Closed by `dispose`.
   */
  readonly http: NetbootHttpServer | undefined
  /** Default timeout of commands and console waits, in milliseconds. */
  timeout: number
  /** Timeout for a shell to answer after a boot, in milliseconds. */
  bootTimeout: number
  private readonly process: QemuProcess
  private readonly shell: GuestShell
  private readonly workDir: string
  private disposed: Promise<void> | null = null
  private readonly screens: ScreenContext

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
    this.shell = new GuestShell(parts.console, { ...(parts.login ? { login: parts.login } : {}), shellProbe: parts.shellProbe ?? 'quiet' })
    this.screens = { capture: () => captureScreen(this.qmp, this.workDir), testFile: parts.testFile, artifactsDir: this.artifactsDir }
  }

  /**
   * Takes a screenshot (QMP `screendump`) and returns it as PNG bytes. With `name`, it is
   * also written to the artifacts folder as `<name>.png`.
   */
  async screenshot(options: { name?: string } = {}): Promise<Buffer> {
    const image = await this.screens.capture()
    if (options.name) await writePng(`${this.artifactsDir}/${options.name}.png`, image)
    return encodePng(image)
  }

  /** The current screen as decoded RGBA pixels. */
  screenImage(): Promise<Image> {
    return this.screens.capture()
  }

  /**
   * Compares the screen with the reference `name` stored beside the test file (in
   * `<test file>.screens/`, with an optional `<name>.json` sidecar of options). Throws
   * with the share of differing pixels and where they are, leaving expected, actual and
   * diff images in the artifacts folder. `BOOTCHECK_UPDATE_SCREENS=missing|all` (or
   * `bootcheck run --update-screens`) writes references instead.
   */
  expectScreen(name: string, options?: ScreenOptions): Promise<ReferenceCheck> {
    return expectScreen(this.screens, name, options)
  }

  /** Takes screenshots until one matches the reference `name`; fails with the closest one. */
  waitForScreen(name: string, options?: WaitForScreenOptions): Promise<ReferenceCheck> {
    return waitForScreen(this.screens, name, options)
  }

  /** Waits until the screen (or `region` of it) differs from how it is now. */
  waitForScreenChange(options?: ScreenWaitOptions): Promise<void> {
    return waitForScreenChange(this.screens.capture, options)
  }

  /** Waits until the screen has stayed the same for `stillFor` milliseconds (default 2000). */
  waitForStillScreen(options?: ScreenWaitOptions & { stillFor?: number }): Promise<void> {
    return waitForStillScreen(this.screens.capture, options)
  }

  /**
   * Presses a key combination on the keyboard, e.g. `'ret'`, `'ctrl-alt-f2'`, `'shift-tab'`
   * (QMP `send-key`: all keys go down, then up).
   */
  async sendKey(combo: string): Promise<void> {
    await this.qmp.execute('send-key', { keys: parseKeyCombo(combo).map(data => ({ type: 'qcode', data })) })
  }

  /**
   * Moves the pointer to screen pixel (x, y) (QMP `input-send-event`, absolute axes scaled
   * to the current screen size). Needs `tablet: true` in the spec.
   */
  async mouseMove(x: number, y: number): Promise<void> {
    const { width, height } = await this.screens.capture()
    if (x < 0 || y < 0 || x >= width || y >= height) {
      throw new RangeError(`mouseMove: (${x}, ${y}) is outside the ${width}x${height} screen`)
    }
    const scale = (v: number, size: number): number => Math.round((v * 0x7fff) / Math.max(1, size - 1))
    await this.qmp.execute('input-send-event', {
      events: [
        { type: 'abs', data: { axis: 'x', value: scale(x, width) } },
        { type: 'abs', data: { axis: 'y', value: scale(y, height) } },
      ],
    })
  }

  /** Clicks a mouse button (default left), after moving to (x, y) when given. */
  async click(x?: number, y?: number, button: 'left' | 'middle' | 'right' = 'left'): Promise<void> {
    if (x !== undefined && y !== undefined) await this.mouseMove(x, y)
    for (const down of [true, false]) {
      await this.qmp.execute('input-send-event', { events: [{ type: 'btn', data: { button, down } }] })
    }
  }

  /**
   * Types text on the keyboard (US layout), one key at a time with `delay` milliseconds
   * between keys (default 50), so neither firmware nor guest drops characters.
   */
  async type(text: string, options: { delay?: number } = {}): Promise<void> {
    const combos = [...text].map(keysForChar) // check every character before typing any
    for (const keys of combos) {
      await this.qmp.execute('send-key', { keys: keys.map(data => ({ type: 'qcode', data })) })
      await sleep(options.delay ?? 50)
    }
  }

  /** True until QEMU has exited. */
  get running(): boolean {
    return this.process.alive
  }

  /** Resolves with QEMU's exit when it ends. */
  get exited(): Promise<QemuExit> {
    return this.process.exited
  }

  /**
   * Runs a shell command in the guest and returns its exit status, stdout (`output`) and
   * stderr. Waits for a shell first (logging in when the spec has `login`). Never throws
   * for a non-zero status.
   */
  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    return this.shell.run(command, options.timeout ?? this.timeout, this.bootTimeout)
  }

  /** Runs a command that must succeed; returns its stdout. Throws {@link CommandFailedError} otherwise. */
  async succeed(command: string, options: RunOptions = {}): Promise<string> {
    const r = await this.run(command, options)
    if (r.status !== 0) {
      throw new CommandFailedError(
        `Command ${JSON.stringify(command)} on ${this.name} exited with status ${r.status}.${formatOutput(r)}`,
        command,
        r.status,
        r.output,
        r.stderr,
      )
    }
    return r.output
  }

  /** Runs a command that must fail (non-zero status); returns its stdout and stderr together. */
  async fail(command: string, options: RunOptions = {}): Promise<string> {
    const r = await this.run(command, options)
    if (r.status === 0) {
      throw new CommandFailedError(
        `Command ${JSON.stringify(command)} on ${this.name} succeeded but was expected to fail.${formatOutput(r)}`,
        command,
        r.status,
        r.output,
        r.stderr,
      )
    }
    return r.output + r.stderr
  }

  /** Repeats a command until it succeeds; returns its stdout. Throws with the last attempt's output on timeout. */
  waitUntilSucceeds(command: string, options: RetryOptions = {}): Promise<string> {
    return this.retry(command, options, true)
  }

  /** Repeats a command until it fails; returns its stdout and stderr. */
  waitUntilFails(command: string, options: RetryOptions = {}): Promise<string> {
    return this.retry(command, options, false)
  }

  /**
   * Ejects a removable medium (default: the CD): the tray opens and the medium is removed,
   * even when the guest has locked the tray. Resolves when QEMU reports no medium.
   */
  async eject(id = 'cdrom'): Promise<void> {
    const mark = this.qmp.mark()
    await this.qmp.execute('eject', { id, force: true })
    await this.qmp
      .waitForEvent('DEVICE_TRAY_MOVED', { after: mark, timeoutMs: 10_000, match: e => e.data.id === id && e.data['tray-open'] })
      .catch(() => undefined) // some devices report nothing; the state check below decides
    if (await this.hasMedium(id)) await this.qmp.execute('blockdev-remove-medium', { id })
    if (await this.hasMedium(id)) throw new BootcheckError(`The medium in '${id}' of ${this.name} is still there after eject.`)
  }

  /** Inserts a medium into a removable drive (default: the CD) and closes the tray. */
  async insert(image: string, id = 'cdrom'): Promise<void> {
    await checkFile(image, `medium for '${id}'`)
    await this.qmp.execute('blockdev-change-medium', { id, filename: image, format: 'raw', 'read-only-mode': 'read-only' })
  }

  /** Unplugs a device (default: the USB stick) and waits until QEMU has removed it. */
  async unplug(id = 'usb', options: { timeout?: number } = {}): Promise<void> {
    const mark = this.qmp.mark()
    await this.qmp.execute('device_del', { id })
    await this.qmp.waitForEvent('DEVICE_DELETED', {
      after: mark,
      timeoutMs: options.timeout ?? 30_000,
      match: e => e.data.device === id,
    })
  }

  /**
   * Reboots and, by default, waits until the shell answers in the new boot. The transcript
   * of the earlier boot counts as read.
   */
  async reboot(options: RebootOptions = {}): Promise<void> {
    const timeout = options.timeout ?? this.bootTimeout
    const mark = this.qmp.mark()
    if ((options.how ?? 'guest') === 'guest') {
      await this.shell.ensureReady(this.bootTimeout)
      this.console.sendLine('reboot')
    } else {
      await this.qmp.execute('system_reset')
    }
    await this.qmp.waitForEvent('RESET', { after: mark, timeoutMs: timeout }).catch(e => {
      throw new TimeoutError(`${this.name} did not reset within ${formatMs(timeout)}.${this.console.recentOutput()}`, { cause: e })
    })
    this.shell.invalidate()
    this.console.skipToEnd()
    if (options.waitForShell ?? true) await this.shell.ensureReady(timeout)
  }

  /**
   * Powers the machine off: `poweroff` in the guest shell when one is up, otherwise the ACPI
   * power button. Resolves when QEMU has exited; if the guest does not power off within
   * the timeout, QEMU is stopped and a {@link TimeoutError} is thrown.
   */
  async powerOff(options: { timeout?: number } = {}): Promise<QemuExit> {
    const timeout = options.timeout ?? 60_000
    if (!this.running) return this.exited
    const viaShell = await this.shell.ensureReady(Math.min(timeout, 10_000)).then(
      () => true,
      () => false,
    )
    if (viaShell) this.console.sendLine('poweroff')
    else await this.qmp.execute('system_powerdown').catch(() => undefined)
    const done = await within(this.exited, timeout)
    if (done) return done
    await this.kill()
    throw new TimeoutError(`${this.name} did not power off within ${formatMs(timeout)}; QEMU was stopped.${this.console.recentOutput()}`)
  }

  /** Ends QEMU at once (SIGKILL by pid), like pulling the plug. */
  kill(): Promise<QemuExit> {
    return this.process.kill('SIGKILL')
  }

  /**
   * Stops the machine if it still runs (QMP `quit`, then SIGKILL by pid), closes the QMP
   * connection and the transcript, and removes the temporary folder with the overlays.
   * Artifacts stay. Safe to call more than once.
   */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (this.running) {
        await this.qmp.execute('quit').catch(() => undefined)
        const gone = await within(this.exited, 3000)
        if (!gone) await this.kill()
      }
      await this.qmp.close().catch(() => undefined)
      await this.http?.close().catch(() => undefined)
      await this.console.close()
      await rm(this.workDir, { recursive: true, force: true })
      untrackScratch(this.workDir)
    })()
    return this.disposed
  }

  private async hasMedium(id: string): Promise<boolean> {
    const devices = (await this.qmp.execute('query-block')) as Array<{ qdev?: string; inserted?: unknown }>
    const dev = devices.find(d => d.qdev === id || d.qdev?.endsWith(`/${id}`))
    if (!dev) throw new BootcheckError(`${this.name} has no removable drive '${id}'.`)
    return dev.inserted !== undefined
  }

  private async retry(command: string, options: RetryOptions, wantSuccess: boolean): Promise<string> {
    const timeout = options.timeout ?? this.timeout
    const interval = options.interval ?? 1000
    const deadline = Date.now() + timeout
    let last: CommandResult | null = null
    while (Date.now() < deadline) {
      last = await this.run(command, { timeout: Math.max(1000, deadline - Date.now()) })
      if ((last.status === 0) === wantSuccess) return wantSuccess ? last.output : last.output + last.stderr
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())))
    }
    throw new TimeoutError(
      `Command ${JSON.stringify(command)} on ${this.name} did not ${wantSuccess ? 'succeed' : 'fail'} within ${formatMs(timeout)}.` +
        (last ? ` Last status ${last.status}.${formatOutput(last)}` : ''),
    )
  }
}

function formatOutput(r: CommandResult): string {
  const block = (label: string, text: string): string =>
    text.length === 0 ? '' : `\n${label}:\n${text.replace(/\n$/, '').split('\n').slice(-30).map(l => `  | ${l}`).join('\n')}`
  return block('stdout', r.output) + block('stderr', r.stderr)
}

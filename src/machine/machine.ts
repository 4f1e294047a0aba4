import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { formatMs, type SerialConsole } from '../console/console.js'
import { SnapshotError, SpecError, TextNotFoundError, TimeoutError } from '../errors/errors.js'
import { GuestShell, type CommandResult } from '../guest/shell.js'
import type { NetbootHttpServer } from '../net/http.js'
import type { QemuExit, QemuProcess } from '../qemu/process.js'
import { trackScratch, untrackScratch } from '../qemu/registry.js'
import type { QmpClient } from '../qmp/client.js'
import { captureScreen, captureScreenPpm } from '../screens/capture.js'
import {
  expectScreen,
  ScreenMismatchError,
  waitForScreen,
  waitForScreenChange,
  waitForStillScreen,
  type ScreenContext,
  type ScreenWaitOptions,
  type WaitForScreenOptions,
} from '../screens/expect.js'
import { encodePng, writePng, type Image } from '../screens/image.js'
import type { ScreenOptions } from '../screens/options.js'
import { summarizeCheck, type ReferenceCheck, type ScreenCheck } from '../screens/references.js'
import type { TextMatch, TextPattern } from '../screens/ocr-match.js'
import type { ScreenText } from '../screens/ocr-tsv.js'
import { ScreenReader, waitForText, type ScreenTextOptions, type WaitForTextOptions } from '../screens/text.js'
import { makeScratchDir } from '../util/scratch.js'
import { sleep, within } from '../util/sleep.js'
import { UBoot } from './uboot.js'
import { ActionLog } from './actions.js'
import { FilmstripRecorder, filmstripMode } from './filmstrip.js'
import { ARTIFACT_FILES, slug } from './artifacts.js'
import { expectStatus, retryCommand } from './commands.js'
import { clickButton, movePointer, sendKeyCombo, typeText } from './input.js'
import { ejectMedium, insertMedium, unplugDevice } from './media.js'
import { flattenDisk } from './disks.js'
import { classifyHandover, FACTS_COMMAND, parseFacts, type HandoverResult } from './handover.js'
import { findNic, forwardPort, interfaceOf, LIST_INTERFACES, nicInfos, setLink, type ForwardPortOptions, type NicInfo } from './nics.js'
import { explainSilentConsole } from './silent.js'
import { SNAPSHOT_SCRATCH_PREFIX, Snapshot } from './snapshot.js'
import { reveal, type Secret } from '../errors/secret.js'
import { SNAPSHOT_MANIFEST } from './snapshot-manifest.js'
import { saveSnapshot, type MachineOrigin } from './snapshot-save.js'
import { copyToGuest, describeCopy, type CopyContext, type CopyOptions, type FileCopyResult } from './files.js'
import { copyFolderToGuest, copyPathFromGuest, isHostFolder } from './folders.js'
import { mountCommand, mountError } from './shares.js'

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

/** Everything a {@link Machine} is made of; built by `startMachine`. */
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
  /** What the machine was started from, for its snapshots. */
  origin: MachineOrigin
  /**
   * Restored from a snapshot: `'ready'` when the guest shell was set up (ready at once),
   * `'prompt'` when it idled at its prompt with helpers of another version (probed at once).
   */
  shellReady?: 'ready' | 'prompt' | 'no'
}

/** Options of {@link Machine.handover}. */
export interface HandoverOptions {
  /** Console text the handover must show on its way (e.g. the new kernel's banner), before the shell is probed. */
  expect?: string | RegExp
  /** Milliseconds for the new system's shell. Default: the machine's `bootTimeout`. */
  timeout?: number
}

/** Options of {@link Machine.snapshot}. */
export interface SnapshotOptions {
  /** The snapshot's name, in messages and `bootcheck snapshots list`. Default `snapshot`. */
  name?: string
  /**
   * The folder to save into (created; must be empty). Default: a temporary folder removed
   * when the test process ends, enough for restores within one test file.
   */
  dir?: string
}

/** How long `clickText` lets the pointer rest before pressing, and holds the button. */
const CLICK_SETTLE_MS = 100

/**
 * A running virtual machine: its serial console, commands in the guest, removable media,
 * screens, input and power. Made by `boot`; ended by {@link Machine.dispose} (which
 * `boot(t, …)` registers as the test's teardown). Every method call is a step in the
 * machine's `actions.jsonl` (see {@link ActionRecord}).
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
  private readonly process: QemuProcess
  private readonly shell: GuestShell
  private readonly workDir: string
  private readonly actions: ActionLog
  private readonly screens: ScreenContext
  private readonly reader: ScreenReader
  private readonly filmstrip: FilmstripRecorder | undefined
  private keepFilm = filmstripMode() === 'all'
  private readonly origin: MachineOrigin
  private disposed: Promise<void> | null = null
  /** The shell session the shares were mounted in (see {@link GuestShell.session}). */
  private sharesMounted: { session: number; done: Promise<void> } | null = null

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
      onCommand: (marker, command) => this.actions.command(marker, command),
    })
    if (parts.shellReady === 'ready') this.shell.assumeReady()
    if (parts.shellReady === 'prompt') this.shell.atPrompt()
    this.origin = parts.origin
    this.nics = nicInfos(parts.origin.plan.nics)
    // A reset the test did not ask for (`reboot -f` inside a command) fails the waiting
    // command at once and makes the next one wait for the new boot.
    this.qmp.on('RESET', e => this.shell.guestReset(`QEMU reported RESET, ${e.data?.reason ?? 'no reason given'}`))
    this.actions = new ActionLog(join(parts.artifactsDir, ARTIFACT_FILES.actions))
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

  /**
   * Takes a screenshot (QMP `screendump`) and returns it as PNG bytes. With `name`, it is
   * also written to the artifacts folder as `<name>.png`.
   */
  screenshot(options: { name?: string } = {}): Promise<Buffer> {
    return this.step('screenshot', options, async () => {
      const image = await this.screens.capture()
      if (options.name) {
        const path = join(this.artifactsDir, `${options.name}.png`)
        await writePng(path, image)
        this.actions.attach('screenshot', path)
      }
      return encodePng(image)
    })
  }

  /** The current screen as decoded RGBA pixels. */
  screenImage(): Promise<Image> {
    return this.step('screenImage', {}, () => this.screens.capture())
  }

  /**
   * Compares the screen with the reference `name` stored beside the test file (in
   * `<test file>.screens/`, with an optional `<name>.json` sidecar of options). Throws
   * {@link ScreenMismatchError} with the share of differing pixels and where they are,
   * leaving expected, actual and diff images in the artifacts folder.
   * `BOOTCHECK_UPDATE_SCREENS=missing|all` (or `bootcheck run --update-screens`) writes
   * references instead.
   */
  expectScreen(name: string, options?: ScreenOptions): Promise<ScreenCheck> {
    return this.screenStep('expectScreen', { name, ...options }, () => expectScreen(this.screens, name, options))
  }

  /**
   * Takes screenshots until one matches the reference `name`. On timeout, throws
   * {@link ScreenMismatchError} with the closest screenshot (expected, actual, diff) and the
   * last one (`files.last`), naming their sizes when they differ from the reference.
   */
  waitForScreen(name: string, options?: WaitForScreenOptions): Promise<ScreenCheck> {
    return this.screenStep('waitForScreen', { name, ...options }, () => waitForScreen(this.screens, name, options))
  }

  /**
   * Waits until the screen (or `region` of it) differs from how it is now. With `action`
   * first (`vm.waitForScreenChange(() => vm.sendKey('down'))`), the baseline is taken before
   * the action runs, so a change it causes at once is never missed.
   */
  waitForScreenChange(options?: ScreenWaitOptions): Promise<void>
  waitForScreenChange(action: () => unknown, options?: ScreenWaitOptions): Promise<void>
  waitForScreenChange(a?: ScreenWaitOptions | (() => unknown), b?: ScreenWaitOptions): Promise<void> {
    const [action, options] = typeof a === 'function' ? [a, b] : [undefined, a]
    return this.step('waitForScreenChange', { ...options, ...(action ? { action: true } : {}) }, () =>
      waitForScreenChange(this.screens.capture, options, action),
    )
  }

  /** Waits until the screen has stayed the same for `stillFor` milliseconds (default 2000). */
  waitForStillScreen(options?: ScreenWaitOptions & { stillFor?: number }): Promise<void> {
    return this.step('waitForStillScreen', { ...options }, () => waitForStillScreen(this.screens.capture, options))
  }

  /**
   * Reads the text on the screen (or `region` of it) with OCR (Tesseract): the lines top to
   * bottom, each with its words and their boxes in screen pixels. The screen is converted
   * to grey, every text made dark on white by its contrast with the background around it
   * (highlighted entries and dark themes too), cut into the blocks that hold text and
   * scaled up (`scale`, default 2) first. An unchanged screen is not read again: the last
   * pass's text is returned.
   */
  screenText(options: ScreenTextOptions = {}): Promise<ScreenText> {
    return this.step(
      'screenText',
      { ...options },
      async () => (await this.reader.read(options)).text,
      r => `${r.lines.length} lines: ${r.text.replace(/\n/g, ' | ').slice(0, 200)}`,
    )
  }

  /**
   * Reads the screen every `interval` ms (default 500) until a line matches `pattern` (a
   * substring, or a regular expression tested on each line), up to `timeout` ms (default
   * 60000). Returns the match with its words, box and centre. On timeout throws
   * {@link TextNotFoundError} listing the lines it read last, with the screenshot saved in
   * the artifacts folder and attached to the step.
   */
  waitForText(pattern: TextPattern, options: WaitForTextOptions = {}): Promise<TextMatch> {
    return this.step('waitForText', { pattern: String(pattern), ...options }, () => this.textWait(pattern, options), m => `"${m.line}"`)
  }

  /**
   * Waits for `pattern` as {@link Machine.waitForText} does (default timeout 10000 ms),
   * then clicks the centre of the words it matched with the tablet (needs `tablet: true`):
   * the pointer moves there, rests 100 ms, and the button is held 100 ms. Returns the match.
   */
  clickText(pattern: TextPattern, options: WaitForTextOptions & { button?: 'left' | 'middle' | 'right' } = {}): Promise<TextMatch> {
    const { button = 'left', ...wait } = options
    return this.step(
      'clickText',
      { pattern: String(pattern), ...options },
      async () => {
        const match = await this.textWait(pattern, { timeout: 10_000, ...wait })
        await movePointer(this.qmp, match.center.x, match.center.y, await this.screens.capture())
        // Like a hand: the pointer rests before the press, the button is held a moment (a
        // toolkit polling its input, as the installer's DirectFB, may miss an instant click).
        await sleep(CLICK_SETTLE_MS)
        await clickButton(this.qmp, button, CLICK_SETTLE_MS)
        return match
      },
      m => `"${m.text}" at (${m.center.x}, ${m.center.y})`,
    )
  }

  private async textWait(pattern: TextPattern, options: WaitForTextOptions): Promise<TextMatch> {
    try {
      return await waitForText({ reader: this.reader, artifactsDir: this.artifactsDir }, pattern, options)
    } catch (e) {
      if (e instanceof TextNotFoundError && e.screenshot) this.actions.attach('last screen', e.screenshot)
      throw e
    }
  }

  /**
   * Presses a key combination on the keyboard, e.g. `'ret'`, `'ctrl-alt-f2'`, `'shift-tab'`
   * (QMP `send-key`: all keys go down, then up).
   */
  sendKey(combo: string): Promise<void> {
    return this.step('sendKey', { combo }, () => sendKeyCombo(this.qmp, combo))
  }

  /**
   * Moves the pointer to screen pixel (x, y) (QMP `input-send-event`, absolute axes scaled
   * to the current screen size). Needs `tablet: true` in the spec.
   */
  mouseMove(x: number, y: number): Promise<void> {
    return this.step('mouseMove', { x, y }, async () => movePointer(this.qmp, x, y, await this.screens.capture()))
  }

  /** Clicks a mouse button (default left), after moving to (x, y) when given. */
  click(x?: number, y?: number, button: 'left' | 'middle' | 'right' = 'left'): Promise<void> {
    return this.step('click', { x, y, button }, async () => {
      if (x !== undefined && y !== undefined) await movePointer(this.qmp, x, y, await this.screens.capture())
      await clickButton(this.qmp, button)
    })
  }

  /**
   * Types text on the keyboard (US layout), one key at a time with `delay` milliseconds
   * between keys (default 50), so neither firmware nor guest drops characters. Text marked
   * with {@link secret} is typed as it is but shows as `[secret]` in the step log and report.
   */
  type(text: string | Secret, options: { delay?: number } = {}): Promise<void> {
    return this.step('type', { text, ...options }, () => typeText(this.qmp, reveal(text), options.delay ?? 50))
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
    return this.step('run', { command, ...options }, () => this.runRaw(command, options.timeout ?? this.timeout), r => `status ${r.status}`)
  }

  /** Runs a command that must succeed; returns its stdout. Throws {@link CommandFailedError} otherwise. */
  succeed(command: string, options: RunOptions = {}): Promise<string> {
    return this.step('succeed', { command, ...options }, async () =>
      expectStatus(this.name, command, await this.runRaw(command, options.timeout ?? this.timeout), true),
    )
  }

  /** Runs a command that must fail (non-zero status); returns its stdout and stderr together. */
  fail(command: string, options: RunOptions = {}): Promise<string> {
    return this.step('fail', { command, ...options }, async () =>
      expectStatus(this.name, command, await this.runRaw(command, options.timeout ?? this.timeout), false),
    )
  }

  /** Repeats a command until it succeeds; returns its stdout. Throws {@link TimeoutError} with the last attempt's output. */
  waitUntilSucceeds(command: string, options: RetryOptions = {}): Promise<string> {
    return this.step('waitUntilSucceeds', { command, ...options }, () => this.retry(command, options, true))
  }

  /** Repeats a command until it fails; returns its stdout and stderr. */
  waitUntilFails(command: string, options: RetryOptions = {}): Promise<string> {
    return this.step('waitUntilFails', { command, ...options }, () => this.retry(command, options, false))
  }

  /**
   * Copies the host file `hostPath` into the guest as `guestPath` (an absolute path; its
   * folder must exist; the file is replaced only once all of it arrived intact). Over the
   * serial console the file is typed as base64 in chunks of 48 KiB, each checked against
   * its MD5 in the guest and typed again when it arrived damaged; with a 9p share in the
   * spec, files of 64 KiB or more go through it instead (`via` forces either way). Every
   * chunk is a step of the trace; the result says which way the copy went. Throws
   * {@link CommandFailedError} naming the path when the guest cannot write it.
   *
   * A host folder is packed with tar, copied as one file and unpacked into the guest folder
   * `guestPath` (created when missing; files of the same name replaced, others left; the
   * guest needs a `tar`, busybox's does): `files` in the result counts its files.
   */
  copyTo(hostPath: string, guestPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
    return this.step(
      'copyTo',
      { hostPath, guestPath, ...options },
      async () =>
        (await isHostFolder('copyTo', hostPath))
          ? copyFolderToGuest(this.copyContext(), hostPath, guestPath, options)
          : copyToGuest(this.copyContext(), hostPath, guestPath, options),
      describeCopy,
    )
  }

  /**
   * Copies the guest file `guestPath` to `hostPath` on the host (its folder is created).
   * Over the serial console it comes in chunks of 512 KiB through the command protocol
   * (base64 with MD5s, fetched again when damaged), and the whole file's MD5 is compared
   * with the guest's; with a writable 9p share, files of 64 KiB or more go through it.
   * Throws {@link CommandFailedError} naming the path when it is missing or not a file.
   *
   * A guest folder is packed with tar in the guest (in `/tmp`), copied as one file and
   * unpacked into the host folder `hostPath` (created; files of the same name replaced).
   */
  copyFrom(guestPath: string, hostPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
    return this.step('copyFrom', { guestPath, hostPath, ...options }, () => copyPathFromGuest(this.copyContext(), guestPath, hostPath, options), describeCopy)
  }

  /**
   * Ejects a removable medium (default: the CD): the tray opens and the medium is removed,
   * even when the guest has locked the tray. Resolves when QEMU reports no medium.
   */
  eject(id = 'cdrom'): Promise<void> {
    return this.step('eject', { id }, () => ejectMedium(this.qmp, this.name, id))
  }

  /** Inserts a medium into a removable drive (default: the CD) and closes the tray. */
  insert(image: string, id = 'cdrom'): Promise<void> {
    return this.step('insert', { image, id }, () => insertMedium(this.qmp, image, id))
  }

  /** Unplugs a device (default: the USB stick) and waits until QEMU has removed it. */
  unplug(id = 'usb', options: { timeout?: number } = {}): Promise<void> {
    return this.step('unplug', { id, ...options }, () => unplugDevice(this.qmp, id, options.timeout ?? 30_000))
  }

  /**
   * Reboots and, by default, waits until the shell answers in the new boot. The transcript
   * of the earlier boot counts as read.
   */
  reboot(options: RebootOptions = {}): Promise<void> {
    return this.step('reboot', { ...options }, async () => {
      const timeout = options.timeout ?? this.bootTimeout
      const mark = this.qmp.mark()
      if ((options.how ?? 'guest') === 'guest') {
        await this.waitForShell(this.bootTimeout)
        this.console.sendLine('reboot')
      } else {
        await this.qmp.execute('system_reset')
      }
      await this.qmp.waitForEvent('RESET', { after: mark, timeoutMs: timeout }).catch(e => {
        throw new TimeoutError(`${this.name} did not reset within ${formatMs(timeout)}.${this.console.recentOutput()}`, { cause: e })
      })
      this.shell.invalidate()
      this.console.skipToEnd()
      if (options.waitForShell ?? true) await this.waitForShell(timeout)
    })
  }

  /**
   * Saves the running machine (CPU, RAM, devices, the CD's tray and medium, whether the USB
   * stick is plugged in, its disks) into a {@link Snapshot}, with QEMU's migration to a
   * file; the guest pauses while its state is written (about 0.2 s for 110 MB) and runs on.
   * Restore it with `boot(t, { from: snapshot })`, as often as needed: each restored
   * machine gets its own overlays, so none sees another's writes and the snapshot is never
   * changed. Waits for a running command to finish first. Throws {@link SnapshotError}
   * naming a device QEMU cannot migrate.
   */
  snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    return this.step(
      'snapshot',
      { ...options },
      () =>
        this.shell.exclusive(async () => {
          const shares = this.origin.plan.shares ?? []
          if (shares.length > 0) {
            throw new SnapshotError(
              `${this.name} cannot be snapshotted: it shares ${shares.map(s => `'${s.host}' (at ${s.guest})`).join(', ')} with 9p, and QEMU cannot migrate a mounted 9p export. ` +
                'Snapshot a machine without shares and copy files into the restored one with vm.copyTo.',
            )
          }
          if (this.origin.plan.sd) throw new SnapshotError(`${this.name} cannot be snapshotted: it has an SD card, whose overlay snapshots do not carry yet. Snapshot a machine without sd.`)
          const name = options.name ?? 'snapshot'
          const wired = this.nics.filter(n => n.network !== 'user')
          if (wired.length) {
            throw new SnapshotError(
              `${this.name} cannot be snapshotted: it is on network${wired.length > 1 ? 's' : ''} ${wired.map(n => `'${n.network}'`).join(', ')}, whose switch and peers a restored copy would not find; snapshot it before it joins (boot it without nics)`,
            )
          }
          let dir = options.dir
          if (dir === undefined) {
            const scratch = await makeScratchDir(SNAPSHOT_SCRATCH_PREFIX)
            trackScratch(scratch)
            dir = join(scratch, slug(name))
          }
          const source = { name: this.name, qmp: this.qmp, accel: this.accel, origin: this.origin, shellReady: this.shell.isReady, alive: () => this.running }
          const manifest = await saveSnapshot(source, dir, name)
          this.actions.attach('snapshot', join(dir, SNAPSHOT_MANIFEST))
          return new Snapshot(dir, manifest)
        }),
      s => `${s.dir} (${(s.stateBytes / 1e6).toFixed(1)} MB of state)`,
    )
  }

  /**
   * Writes disk `id` (its overlay with the base image under it, or a blank disk) as one
   * self-contained qcow2 file at `path`, for a later test to boot (`disks: [path]`): say,
   * a system installed onto `disks: [{ size: '2G' }]`. The guest is paused while it is
   * copied (its writes are flushed first) and resumed; run `sync` in it before. Throws
   * {@link SpecError} for a disk the machine does not have.
   */
  saveDisk(id: string, path: string): Promise<void> {
    return this.step('saveDisk', { id, path }, async () => {
      const plan = this.origin.plan
      const disks = [...plan.disks, ...(plan.sd ? [{ id: 'sd', file: plan.sd.file }] : [])]
      const disk = disks.find(d => d.id === id)
      if (!disk) throw new SpecError(`saveDisk: ${this.name} has no disk '${id}' (it has ${disks.map(d => `'${d.id}'`).join(', ') || 'none'})`)
      await flattenDisk(this.qmp, disk.file, path)
      this.actions.attach('disk', path)
    })
  }

  /**
   * Pulls (`up: false`) or plugs back (`up: true`) the cable of the NIC on `network` (a
   * network name or a NIC's device id), with QMP `set_link`: the guest sees its carrier
   * go down or come up. `lan.disconnect(vm)` and `lan.connect(vm)` call this.
   */
  setLink(network: string, up: boolean): Promise<void> {
    return this.step('setLink', { network, up }, () => setLink(this.qmp, findNic(this.name, this.nics, network), up))
  }

  /**
   * The name the guest gave the NIC on `network` (a network name, `'user'`, or a NIC's
   * device id), e.g. `eth1` or `enp0s4`: the interface whose MAC address is the one
   * bootcheck gave the card (listed from `/sys/class/net` in the guest shell). Throws a
   * {@link NetworkError} when the machine has no NIC there, or the guest no interface
   * with its MAC (no driver for the card).
   *
   * ```ts
   * const dev = await router.interfaceName(lan)
   * await router.succeed(`ip link set ${dev} up && ip addr add 10.0.0.1/24 dev ${dev}`)
   * ```
   */
  interfaceName(network: string | { readonly name: string }): Promise<string> {
    const name = typeof network === 'string' ? network : network.name
    return this.step(
      'interfaceName',
      { network: name },
      async () => {
        const nic = findNic(this.name, this.nics, name)
        return interfaceOf(this.name, nic, await this.succeed(LIST_INTERFACES))
      },
      dev => dev,
    )
  }

  /**
   * Forwards a port on 127.0.0.1 to the guest's port `guest` through the machine's
   * user-network NIC (`nics: ['user']`), e.g. to fetch a page from a web server in the
   * guest: `http://127.0.0.1:${await vm.forwardPort({ guest: 80 })}/`. Returns the host port
   * (a free one unless `host` is given). Throws a {@link NetworkError} when the machine has
   * no user-network NIC.
   */
  forwardPort(options: ForwardPortOptions): Promise<number> {
    return this.step(
      'forwardPort',
      { ...options },
      () => forwardPort(this.qmp, this.name, findNic(this.name, this.nics, 'user'), options),
      port => `127.0.0.1:${port} → guest port ${options.guest}`,
    )
  }

  /**
   * Sets the guest's clock to the host's (`date -u -s` in the guest shell): after a restore
   * the guest's clock stands where it was when the snapshot was taken.
   */
  syncClock(): Promise<void> {
    return this.step('syncClock', {}, async () => {
      const stamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')
      await this.succeed(`date -u -s '${stamp}' >/dev/null`)
    })
  }

  /**
   * Hands the machine over to the next system and waits for its shell: reads the running
   * system's facts (boot id, PID 1, root), runs `trigger` (say
   * `() => vm.console.sendLine('kexec -e')`), forgets the shell session, waits for
   * `expect` when given, then for the next system's shell (logging in and failing fast on
   * a panic as at boot), and reports how the handover happened: `kexec` (no reset, a new
   * kernel), `switch-root` (the same kernel, a new root or PID 1), or `reset` (QEMU
   * reported `RESET`: the firmware ran again).
   */
  handover(trigger: () => unknown, options: HandoverOptions = {}): Promise<HandoverResult> {
    return this.step(
      'handover',
      { ...options, ...(options.expect ? { expect: String(options.expect) } : {}) },
      async () => {
        const timeout = options.timeout ?? this.bootTimeout
        const before = parseFacts(await this.succeed(FACTS_COMMAND))
        const mark = this.qmp.mark()
        const started = Date.now()
        this.shell.invalidate()
        this.console.skipToEnd()
        await trigger()
        if (options.expect !== undefined) await this.console.waitFor(options.expect, { timeout })
        await this.waitForShell(Math.max(1000, timeout - (Date.now() - started)))
        const durationMs = Date.now() - started
        const after = parseFacts(await this.succeed(FACTS_COMMAND))
        const resetSeen = this.qmp.events.some(e => e.seq > mark && e.event === 'RESET')
        return { kind: classifyHandover(resetSeen, before, after), before, after, durationMs }
      },
      r => `${r.kind} in ${formatMs(r.durationMs)}`,
    )
  }

  /**
   * Powers the machine off: `poweroff` in the guest shell when one is up, otherwise the ACPI
   * power button. Resolves when QEMU has exited; if the guest does not power off within
   * the timeout, QEMU is stopped and a {@link TimeoutError} is thrown.
   */
  powerOff(options: { timeout?: number } = {}): Promise<QemuExit> {
    return this.step('powerOff', { ...options }, async () => {
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
      await this.process.kill('SIGKILL')
      throw new TimeoutError(`${this.name} did not power off within ${formatMs(timeout)}; QEMU was stopped.${this.console.recentOutput()}`)
    })
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

  private step<T>(action: string, args: object, fn: () => Promise<T>, describe?: (r: T) => string): Promise<T> {
    return this.actions.step(action, args as Record<string, unknown>, fn, describe)
  }

  private waitForShell(timeout: number): Promise<void> {
    return this.step('waitForShell', { timeout }, () => this.shell.ensureReady(timeout).catch(e => this.rethrowExplained(e)))
  }

  private async runRaw(command: string, timeout: number): Promise<CommandResult> {
    await this.mountShares()
    return this.shell.run(command, timeout, this.bootTimeout).catch(e => this.rethrowExplained(e))
  }

  /** Mounts the spec's 9p shares once per shell session (a reboot starts a new one). */
  private async mountShares(): Promise<void> {
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

  private copyContext(): CopyContext {
    return {
      name: this.name,
      timeout: this.timeout,
      shares: this.origin.plan.shares ?? [],
      run: (c, timeout) => this.runRaw(c, timeout),
      runBytes: async (c, timeout) => {
        await this.mountShares()
        return this.shell.runBytes(c, timeout, this.bootTimeout).catch(e => this.rethrowExplained(e))
      },
      runFeeding: async (feed, c, timeout) => {
        await this.mountShares()
        return this.shell.runFeeding(feed, c, timeout, this.bootTimeout).catch(e => this.rethrowExplained(e))
      },
      mountShares: () => this.mountShares(),
      step: (action, args, fn, describe) => this.step(action, args, fn, describe),
    }
  }

  /** A timeout on a silent console says what the screen shows instead. */
  private async rethrowExplained(e: unknown): Promise<never> {
    const capture = this.screens.capture
    throw await explainSilentConsole(e, { console: this.console, qmp: this.qmp, artifactsDir: this.artifactsDir, capture }, (n, p) => this.actions.attach(n, p))
  }

  private retry(command: string, options: RetryOptions, wantSuccess: boolean): Promise<string> {
    const run = (c: string, timeout: number): Promise<CommandResult> => this.run(c, { timeout })
    return retryCommand(this.name, run, command, { timeout: options.timeout ?? this.timeout, interval: options.interval ?? 1000 }, wantSuccess)
  }

  /** A screen check as a step: its files attached, a small result returned. */
  private screenStep(action: string, args: object, check: () => Promise<ReferenceCheck>): Promise<ScreenCheck> {
    const attach = (files: ReferenceCheck['files']): void => {
      for (const kind of ['expected', 'actual', 'diff', 'last'] as const) if (files[kind]) this.actions.attach(kind, files[kind])
    }
    return this.step(
      action,
      args,
      async () => {
        try {
          const result = await check()
          attach(result.files)
          return summarizeCheck(result)
        } catch (e) {
          if (e instanceof ScreenMismatchError) attach(e.files)
          throw e
        }
      },
      r => r.message,
    )
  }
}

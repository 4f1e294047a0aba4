/**
 * One `bootcheck record` session as the live view sees it (a {@link LiveRecorder}): the
 * machine's input recorded as steps, and the page's requests: pause the guest while the
 * user marks, a screen region to wait for (saved as a reference beside the test file), a
 * text to wait for (checked on the screen first, by OCR), the screen's text, resume, stop.
 * After a mark the guest stays paused until the user's next key or click (or resume): the
 * next step happens at once in the guest's time, as it will in the replay.
 * @module
 */
import { BootcheckError } from '../../errors/errors.js'
import { encodePng, type Image } from '../../screens/image.js'
import { findText } from '../../screens/ocr-match.js'
import type { ScreenText } from '../../screens/ocr-tsv.js'
import type { LiveRecorder } from '../live/server.js'
import { checkReferenceName, checkScreenRect, writeRegionReference } from '../reference-files.js'
import { stepLine } from './code.js'
import { RECORD_SCRIPT } from './page.js'
import { Recording, RfbInputRecorder } from './steps.js'

/** What a session needs of the machine. */
export interface RecorderMachine {
  /** Pauses the guest (QMP `stop`). */
  pause(): Promise<void>
  /** Lets it run again (QMP `cont`). */
  resume(): Promise<void>
  /** The screen now. */
  screen(): Promise<Image>
  /** The text on the screen now (OCR). */
  text(): Promise<ScreenText>
}

type Answer = { status: number; body: unknown }

/** A recording session: give it to the live view as its `recorder`. */
export class RecordSession implements LiveRecorder {
  /** The steps recorded. */
  readonly recording: Recording
  readonly script = RECORD_SCRIPT
  private readonly decoder: RfbInputRecorder
  private paused = false
  private resuming: Promise<void> | undefined
  private stopped: string | undefined
  private readonly names = new Set<string>()

  /**
   * @param machineId the live view's id of the recorded machine (input of others is ignored)
   * @param testFile the test file being recorded, whose references the marks save
   * @param onStop writes the test file when the page asks to stop; returns its path
   * @param options `paused`: the guest was paused before the session began (at its start)
   */
  constructor(
    private readonly machine: RecorderMachine,
    private readonly machineId: string,
    private readonly testFile: string,
    private readonly onStop: () => Promise<string>,
    options: { paused?: boolean; now?: () => number } = {},
  ) {
    this.recording = new Recording(options.now)
    this.paused = options.paused === true
    this.decoder = new RfbInputRecorder(this.recording)
  }

  /**
   * Records an input message of the recorded machine. A key pressed or a button clicked
   * while the guest is paused after a mark lets it run again, and the message waits for
   * that ({@link RecordSession.ready}; QEMU drops input while paused): the guest gets the
   * key the moment it runs, however quick its boot loader's countdown is.
   */
  input(id: string, message: Buffer): void {
    if (id !== this.machineId || this.stopped) return
    this.decoder.push(message)
    if (this.paused && pressed(message)) {
      const resuming = this.resume().catch(() => undefined)
      this.resuming = resuming
      void resuming.then(() => this.resuming === resuming && (this.resuming = undefined))
    }
  }

  /** While a key or click resumes the guest: the promise its message waits for before reaching QEMU (which drops input while paused). */
  ready(id: string): Promise<void> | undefined {
    return id === this.machineId ? this.resuming : undefined
  }

  /** What the page shows: the steps as code, whether paused or stopped. */
  state(): unknown {
    let before = 0
    const code = this.recording.steps.map(s => {
      const line = stepLine(s, s.at - before)
      before = s.at
      return line
    })
    return { machine: this.machineId, file: this.testFile, paused: this.paused, code, ...(this.stopped ? { written: this.stopped } : {}) }
  }

  /** Answers `POST /api/record/<action>/<id>`; errors of the request are 400 (409 for an existing file) with the message. */
  async request(action: string, id: string, body: unknown): Promise<Answer> {
    if (id !== this.machineId) return { status: 404, body: { error: 'not the recorded machine' } }
    if (this.stopped && action !== 'stop') return { status: 409, body: { error: `the recording has stopped; the test is ${this.stopped}` } }
    try {
      return { status: 200, body: await this.act(action, (body ?? {}) as Record<string, unknown>) }
    } catch (e) {
      if (!(e instanceof BootcheckError)) throw e
      return { status: e.code === 'BOOTCHECK_USAGE' ? 409 : 400, body: { error: e.message, code: e.code } }
    }
  }

  private async act(action: string, body: Record<string, unknown>): Promise<unknown> {
    switch (action) {
      case 'pause':
        if (!this.paused) await this.machine.pause()
        this.paused = true
        return { paused: true }
      case 'resume':
        await this.resume()
        return { paused: false }
      case 'screen':
        return this.markScreen(body)
      case 'text':
        return this.markText(body)
      case 'read':
        return { lines: (await this.machine.text()).lines.map(l => l.text) }
      case 'stop':
        this.stopped ??= await this.onStop()
        return { written: this.stopped }
      default:
        throw new BootcheckError(`unknown recorder action '${action}'`)
    }
  }

  private async resume(): Promise<void> {
    if (this.paused) await this.machine.resume()
    this.paused = false
  }

  private async markScreen(body: Record<string, unknown>): Promise<unknown> {
    const name = checkReferenceName(body.name)
    if (this.names.has(name)) throw new BootcheckError(`reference '${name}' is already used in this recording: choose another name`)
    const image = await this.machine.screen()
    const region = checkScreenRect(body.region, image)
    const { written } = await writeRegionReference(this.testFile, name, encodePng(image), image, region)
    this.names.add(name)
    const step = this.recording.add({ kind: 'screen', name, region })
    return { files: written, code: stepLine(step), paused: this.paused }
  }

  private async markText(body: Record<string, unknown>): Promise<unknown> {
    const pattern = body.pattern
    const regex = body.regex === true
    if (typeof pattern !== 'string' || pattern.trim() === '') throw new BootcheckError('the text to wait for is empty')
    let re: RegExp | undefined
    if (regex) {
      try {
        re = new RegExp(pattern)
      } catch (e) {
        throw new BootcheckError(`not a regular expression: ${(e as Error).message}`)
      }
    }
    const screen = await this.machine.text()
    if (!findText(screen, re ?? pattern)) {
      throw new BootcheckError(`${regex ? `/${pattern}/` : JSON.stringify(pattern)} is not in the screen's text as OCR reads it now, so the replay would not find it either. It reads:\n${screen.lines.map(l => l.text).join('\n')}`)
    }
    const step = this.recording.add({ kind: 'text', pattern, regex })
    return { code: stepLine(step), paused: this.paused }
  }
}

/** Whether an RFB input message presses a key or a mouse button (not a release, not a move). */
function pressed(message: Buffer): boolean {
  if (message[0] === 4) return message[1] !== 0
  if (message[0] === 255 && message[1] === 0 && message.length >= 4) return message.readUInt16BE(2) !== 0
  if (message[0] === 5) return (message[1]! & 7) !== 0
  return false
}

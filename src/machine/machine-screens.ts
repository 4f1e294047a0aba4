/**
 * A machine's screens and input: screenshots, reference screens, OCR, keys, pointer and
 * typing (see {@link MachineScreens}).
 * @module
 */
import { join } from 'node:path'
import { TextNotFoundError } from '../errors/errors.js'
import { expectScreen, ScreenMismatchError, waitForScreen, waitForScreenChange, waitForStillScreen, type ScreenWaitOptions, type WaitForScreenOptions } from '../screens/expect.js'
import { encodePng, writePng, type Image } from '../screens/image.js'
import type { ScreenOptions } from '../screens/options.js'
import { summarizeCheck, type ReferenceCheck, type ScreenCheck } from '../screens/references.js'
import type { TextMatch, TextPattern } from '../screens/ocr-match.js'
import type { ScreenText } from '../screens/ocr-tsv.js'
import { OCR_ATTACHMENT, OCR_SCREEN_ATTACHMENT, writeOcrRecord } from '../screens/ocr-record.js'
import { waitForText, type ScreenTextOptions, type WaitForTextOptions } from '../screens/text.js'
import { sleep } from '../util/sleep.js'
import { clickButton, movePointer, sendKeyCombo, typeText } from './input.js'
import { reveal, type Secret } from '../errors/secret.js'
import { MachineCore } from './machine-core.js'

/** How long `clickText` lets the pointer rest before pressing, and holds the button. */
const CLICK_SETTLE_MS = 100

/**
 * A machine's screens (screenshots, reference images, OCR) and its keyboard and pointer.
 * Part of {@link Machine}.
 */
export class MachineScreens extends MachineCore {
  /** OCR records written (`ocr-N.json`). */
  private ocrRecords = 0
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
      async () => {
        const { text } = await this.reader.read(options)
        await this.attachWords()
        return text
      },
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
    } finally {
      await this.attachWords()
    }
  }

  /** Attaches the words of the reader's last pass to the running step (for the trace's OCR layer). */
  protected async attachWords(): Promise<void> {
    const pass = this.reader.lastPass()
    if (!pass) return
    const files = await writeOcrRecord(join(this.artifactsDir, `ocr-${++this.ocrRecords}`), pass.image, pass.text)
    if (files.json) this.actions.attach(OCR_ATTACHMENT, files.json)
    if (files.png) this.actions.attach(OCR_SCREEN_ATTACHMENT, files.png)
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

  /** A screen check as a step: its files attached, a small result returned. */
  protected screenStep(action: string, args: object, check: () => Promise<ReferenceCheck>): Promise<ScreenCheck> {
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

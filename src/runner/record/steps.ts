/**
 * What `bootcheck record` records: the steps of a session in the live view (keys typed,
 * clicks, and the marks the user made: a screen region or a text to wait for), and the
 * decoding of the VNC client's input messages (RFB `KeyEvent`, QEMU's extended key event,
 * `PointerEvent`) into those steps. Printable keys typed in a row become one text; keys
 * with ctrl, alt or the logo key become a combination (`ctrl-alt-f2`). Pure.
 * @module
 */
import { keysForChar } from '../../input/keys.js'
import { keysymMeaning, type Modifier } from '../../input/keysyms.js'
import type { Rect } from '../../screens/options.js'

/** A mouse button, as `vm.click` names it. */
export type MouseButton = 'left' | 'middle' | 'right'

/** One recorded step; `at` is milliseconds since the recording started. */
export type RecordedStep =
  | { kind: 'type'; text: string; at: number }
  | { kind: 'key'; combo: string; at: number }
  | { kind: 'click'; x: number; y: number; button: MouseButton; at: number }
  | { kind: 'screen'; name: string; region: Rect; at: number }
  | { kind: 'text'; pattern: string; regex: boolean; at: number }
  | { kind: 'note'; text: string; at: number }

/** The steps of one recording, in order. */
export class Recording {
  /** The steps so far. */
  readonly steps: RecordedStep[] = []
  private readonly start: number

  constructor(private readonly now: () => number = Date.now) {
    this.start = now()
  }

  /** Milliseconds since the recording started. */
  elapsed(): number {
    return this.now() - this.start
  }

  /** A character typed: added to the text typed just before, if the last step is one. */
  char(ch: string): void {
    const last = this.steps.at(-1)
    if (last?.kind === 'type') last.text += ch
    else this.steps.push({ kind: 'type', text: ch, at: this.elapsed() })
  }

  /** Adds a step stamped with the time now. */
  add(step: DistributiveOmit<RecordedStep, 'at'>): RecordedStep {
    const s = { ...step, at: this.elapsed() } as RecordedStep
    this.steps.push(s)
    return s
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never

/** The order modifiers are written in a combination. */
const MODIFIER_ORDER: Modifier[] = ['ctrl', 'alt', 'shift', 'meta_l']

/** Mouse buttons by their bit in an RFB pointer event's button mask. */
const BUTTONS: Array<[number, MouseButton]> = [[1, 'left'], [2, 'middle'], [4, 'right']]

/**
 * Turns the VNC client's input messages, one whole message at a time (as the live view's
 * filter passes them on), into steps of a {@link Recording}.
 */
export class RfbInputRecorder {
  private readonly held = new Set<Modifier>()
  /** A modifier pressed with no other key since: a press of the modifier alone when released. */
  private lone: string | undefined
  private buttons = 0

  constructor(private readonly recording: Recording) {}

  /** Records one client message; messages that are not keys or pointer events are ignored. */
  push(message: Buffer): void {
    const type = message[0]
    if (type === 4 && message.length >= 8) this.key(message[1] !== 0, message.readUInt32BE(4))
    else if (type === 255 && message[1] === 0 && message.length >= 12) this.key(message.readUInt16BE(2) !== 0, message.readUInt32BE(4))
    else if (type === 5 && message.length >= 6) this.pointer(message[1]!, message.readUInt16BE(2), message.readUInt16BE(4))
  }

  private key(down: boolean, sym: number): void {
    const meaning = keysymMeaning(sym)
    if (meaning?.kind === 'modifier') {
      if (down) {
        this.held.add(meaning.modifier)
        this.lone = meaning.key
      } else {
        this.held.delete(meaning.modifier)
        if (this.lone === meaning.key) this.recording.add({ kind: 'key', combo: meaning.key })
        this.lone = undefined
      }
      return
    }
    if (!down) return
    this.lone = undefined
    if (!meaning) {
      this.recording.add({ kind: 'note', text: `a key the recorder cannot name (keysym 0x${sym.toString(16)}) was pressed here` })
      return
    }
    const chord = this.held.has('ctrl') || this.held.has('alt') || this.held.has('meta_l')
    if (meaning.kind === 'char' && !chord) return this.recording.char(meaning.char)
    const keys = meaning.kind === 'char' ? keysForChar(meaning.char) : [meaning.key]
    const isModifier = (k: string): boolean => (MODIFIER_ORDER as string[]).includes(k)
    const mods = new Set<string>([...this.held, ...keys.filter(isModifier)])
    const combo = [...MODIFIER_ORDER.filter(m => mods.has(m)), ...keys.filter(k => !isModifier(k))]
    this.recording.add({ kind: 'key', combo: combo.join('-') })
  }

  private pointer(mask: number, x: number, y: number): void {
    for (const [bit, button] of BUTTONS) {
      if (mask & bit && !(this.buttons & bit)) this.recording.add({ kind: 'click', x, y, button })
    }
    this.buttons = mask
  }
}

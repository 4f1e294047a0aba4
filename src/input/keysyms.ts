/**
 * X11 keysyms (what a VNC client sends for a key, RFB `KeyEvent` and QEMU's extended key
 * event) to the key names of {@link parseKeyCombo}: what the recorder turns a key the user
 * pressed in the live view into. Pure.
 * @module
 */

/** A modifier key, by its name in a combination (`ctrl-alt-f2`). */
export type Modifier = 'ctrl' | 'alt' | 'shift' | 'meta_l'

/** What a keysym is: a character typed, a named key, or a modifier. */
export type KeysymMeaning =
  | { kind: 'char'; char: string }
  | { kind: 'key'; key: string }
  | { kind: 'modifier'; modifier: Modifier; key: string }

const MODIFIERS: Record<number, [Modifier, string]> = {
  0xffe1: ['shift', 'shift'], // Shift_L
  0xffe2: ['shift', 'shift_r'],
  0xffe3: ['ctrl', 'ctrl'], // Control_L
  0xffe4: ['ctrl', 'ctrl_r'],
  0xffe7: ['meta_l', 'meta_l'], // Meta_L
  0xffe8: ['meta_l', 'meta_r'],
  0xffe9: ['alt', 'alt'], // Alt_L
  0xffea: ['alt', 'alt_r'],
  0xffeb: ['meta_l', 'meta_l'], // Super_L
  0xffec: ['meta_l', 'meta_r'],
  0xfe03: ['alt', 'alt_r'], // ISO_Level3_Shift (AltGr)
}

const NAMED: Record<number, string> = {
  0xff08: 'backspace', 0xff09: 'tab', 0xff0d: 'ret', 0xff13: 'pause', 0xff14: 'scroll_lock',
  0xff15: 'sysrq', 0xff1b: 'esc', 0xff50: 'home', 0xff51: 'left', 0xff52: 'up', 0xff53: 'right',
  0xff54: 'down', 0xff55: 'pgup', 0xff56: 'pgdn', 0xff57: 'end', 0xff61: 'print', 0xff63: 'insert',
  0xff67: 'menu', 0xff7f: 'num_lock', 0xffe5: 'caps_lock', 0xffff: 'delete',
  0xfe20: 'tab', // ISO_Left_Tab: shift-tab
  // The keypad, as the keys it stands for.
  0xff8d: 'ret', 0xff95: 'home', 0xff96: 'left', 0xff97: 'up', 0xff98: 'right', 0xff99: 'down',
  0xff9a: 'pgup', 0xff9b: 'pgdn', 0xff9c: 'end', 0xff9e: 'insert', 0xff9f: 'delete',
}

/** Keypad keysyms that type a character. */
const KEYPAD_CHARS: Record<number, string> = { 0xffaa: '*', 0xffab: '+', 0xffad: '-', 0xffae: '.', 0xffaf: '/' }

/**
 * What keysym `sym` means, or undefined for one no key name stands for (a dead key, a
 * character outside US ASCII).
 */
export function keysymMeaning(sym: number): KeysymMeaning | undefined {
  const mod = MODIFIERS[sym]
  if (mod) return { kind: 'modifier', modifier: mod[0], key: mod[1] }
  if (sym >= 0x20 && sym <= 0x7e) return { kind: 'char', char: String.fromCharCode(sym) }
  if (sym >= 0xffbe && sym <= 0xffc9) return { kind: 'key', key: `f${sym - 0xffbe + 1}` }
  if (sym >= 0xffb0 && sym <= 0xffb9) return { kind: 'char', char: String(sym - 0xffb0) }
  if (KEYPAD_CHARS[sym]) return { kind: 'char', char: KEYPAD_CHARS[sym] }
  const key = NAMED[sym]
  return key ? { kind: 'key', key } : undefined
}

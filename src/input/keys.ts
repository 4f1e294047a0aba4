/**
 * Key names to QEMU qcodes. A combination is written with dashes, e.g. `ctrl-alt-f2`,
 * `shift-tab`, `ret`; common aliases (`enter`, `space`, `escape`, `del`, `pgup`, …) are
 * accepted. Text is typed with a US keyboard layout.
 */
import { SpecError } from '../errors/errors.js'

const ALIASES: Record<string, string> = {
  enter: 'ret', return: 'ret', space: 'spc', escape: 'esc', del: 'delete', ins: 'insert',
  pgup: 'pgup', pageup: 'pgup', pgdn: 'pgdn', pagedown: 'pgdn', bksp: 'backspace',
  control: 'ctrl', win: 'meta_l', super: 'meta_l', altgr: 'alt_r',
}

const NAMED = new Set([
  'ret', 'spc', 'esc', 'tab', 'backspace', 'delete', 'insert', 'home', 'end', 'pgup', 'pgdn',
  'up', 'down', 'left', 'right', 'ctrl', 'ctrl_r', 'alt', 'alt_r', 'shift', 'shift_r', 'meta_l', 'meta_r',
  'caps_lock', 'num_lock', 'scroll_lock', 'print', 'sysrq', 'pause', 'menu',
  ...Array.from({ length: 12 }, (_, i) => `f${i + 1}`),
])

// US layout: unshifted and shifted characters of each key.
const US: Array<[string, string, string]> = [
  ['1', '1', '!'], ['2', '2', '@'], ['3', '3', '#'], ['4', '4', '$'], ['5', '5', '%'], ['6', '6', '^'],
  ['7', '7', '&'], ['8', '8', '*'], ['9', '9', '('], ['0', '0', ')'], ['minus', '-', '_'], ['equal', '=', '+'],
  ['bracket_left', '[', '{'], ['bracket_right', ']', '}'], ['backslash', '\\', '|'], ['semicolon', ';', ':'],
  ['apostrophe', "'", '"'], ['grave_accent', '`', '~'], ['comma', ',', '<'], ['dot', '.', '>'], ['slash', '/', '?'],
  ['spc', ' ', ' '], ['ret', '\n', '\n'], ['tab', '\t', '\t'],
]
const CHARS = new Map<string, string[]>()
for (const [key, plain, shifted] of US) {
  CHARS.set(plain, [key])
  if (shifted !== plain) CHARS.set(shifted, ['shift', key])
}
for (let c = 97; c <= 122; c++) {
  const ch = String.fromCharCode(c)
  CHARS.set(ch, [ch])
  CHARS.set(ch.toUpperCase(), ['shift', ch])
}

/** Parses `ctrl-alt-f2` into qcodes; throws naming the unknown key. */
export function parseKeyCombo(combo: string): string[] {
  if (combo.length === 0) throw new SpecError('sendKey: empty key name')
  // A lone '-' is the minus key; otherwise dashes separate keys.
  const parts = combo === '-' ? ['minus'] : combo.split('-')
  return parts.map(raw => {
    const k = raw.toLowerCase()
    const name = ALIASES[k] ?? k
    if (NAMED.has(name) || /^[a-z0-9]$/.test(name) || US.some(([key]) => key === name)) return name
    if (CHARS.has(raw)) return CHARS.get(raw)!.at(-1)!
    throw new SpecError(`sendKey: unknown key '${raw}' in '${combo}' (try names like ctrl, alt, shift, ret, esc, tab, f1…f12, up, a…z, 0…9)`)
  })
}

/** The key combination that types one character. */
export function keysForChar(ch: string): string[] {
  const keys = CHARS.get(ch)
  if (!keys) throw new SpecError(`type: no key types ${JSON.stringify(ch)} on a US keyboard`)
  return keys
}

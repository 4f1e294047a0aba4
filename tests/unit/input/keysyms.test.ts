import t from 'tap'
import { keysymMeaning } from '../../../src/input/keysyms.js'
import { parseKeyCombo } from '../../../src/input/keys.js'

t.test('keysyms of printable ASCII are the characters they type', async t => {
  t.same(keysymMeaning(0x61), { kind: 'char', char: 'a' })
  t.same(keysymMeaning(0x41), { kind: 'char', char: 'A' })
  t.same(keysymMeaning(0x20), { kind: 'char', char: ' ' })
  t.same(keysymMeaning(0x7e), { kind: 'char', char: '~' })
  t.same(keysymMeaning(0xffb7), { kind: 'char', char: '7' }, 'a keypad digit')
  t.same(keysymMeaning(0xffab), { kind: 'char', char: '+' })
})

t.test('named keys and modifiers, each a name parseKeyCombo knows', async t => {
  const named: Array<[number, string]> = [
    [0xff0d, 'ret'], [0xff8d, 'ret'], [0xff09, 'tab'], [0xfe20, 'tab'], [0xff1b, 'esc'], [0xff08, 'backspace'],
    [0xffff, 'delete'], [0xff52, 'up'], [0xff54, 'down'], [0xff51, 'left'], [0xff53, 'right'], [0xff55, 'pgup'],
    [0xff56, 'pgdn'], [0xff50, 'home'], [0xff57, 'end'], [0xff63, 'insert'], [0xffbe, 'f1'], [0xffc9, 'f12'],
  ]
  for (const [sym, key] of named) {
    t.same(keysymMeaning(sym), { kind: 'key', key }, `0x${sym.toString(16)} is ${key}`)
    t.same(parseKeyCombo(key), [key])
  }
  t.same(keysymMeaning(0xffe1), { kind: 'modifier', modifier: 'shift', key: 'shift' })
  t.same(keysymMeaning(0xffe4), { kind: 'modifier', modifier: 'ctrl', key: 'ctrl_r' })
  t.same(keysymMeaning(0xffe9), { kind: 'modifier', modifier: 'alt', key: 'alt' })
  t.same(keysymMeaning(0xffeb), { kind: 'modifier', modifier: 'meta_l', key: 'meta_l' })
  for (const sym of [0xffe1, 0xffe2, 0xffe3, 0xffe4, 0xffe7, 0xffe8, 0xffe9, 0xffea, 0xffeb, 0xffec, 0xfe03]) {
    const m = keysymMeaning(sym)
    t.ok(m?.kind === 'modifier' && parseKeyCombo(m.key).length === 1, `0x${sym.toString(16)} names a key`)
  }
})

t.test('keysyms no key name stands for', async t => {
  t.equal(keysymMeaning(0xe9), undefined, 'é (Latin-1, not on a US keyboard)')
  t.equal(keysymMeaning(0xfe51), undefined, 'a dead key')
  t.equal(keysymMeaning(0), undefined)
})

import t from 'tap'
import { keysForChar, parseKeyCombo } from '../../../src/input/keys.js'

t.test('key combinations map to QEMU qcodes', async t => {
  t.same(parseKeyCombo('ctrl-alt-f2'), ['ctrl', 'alt', 'f2'])
  t.same(parseKeyCombo('Enter'), ['ret'])
  t.same(parseKeyCombo('shift-tab'), ['shift', 'tab'])
  t.same(parseKeyCombo('ctrl-x'), ['ctrl', 'x'])
  t.same(parseKeyCombo('space'), ['spc'])
  t.same(parseKeyCombo('-'), ['minus'])
  t.same(parseKeyCombo('ctrl-.'), ['ctrl', 'dot'])
  t.throws(() => parseKeyCombo('ctrl-bogus'), /unknown key 'bogus' in 'ctrl-bogus'/)
  t.throws(() => parseKeyCombo(''), /empty key name/)
})

t.test('characters map to US keyboard keys, with shift where needed', async t => {
  t.same(keysForChar('a'), ['a'])
  t.same(keysForChar('A'), ['shift', 'a'])
  t.same(keysForChar(' '), ['spc'])
  t.same(keysForChar('\n'), ['ret'])
  t.same(keysForChar('='), ['equal'])
  t.same(keysForChar('_'), ['shift', 'minus'])
  t.same(keysForChar('"'), ['shift', 'apostrophe'])
  t.throws(() => keysForChar('é'), /no key types "é" on a US keyboard/)
})

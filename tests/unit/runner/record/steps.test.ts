// RFB input messages (as noVNC sends them to QEMU) into recorded steps.
import t from 'tap'
import { Recording, RfbInputRecorder, type RecordedStep } from '../../../../src/runner/record/steps.js'

const key = (down: boolean, sym: number): Buffer => {
  const b = Buffer.alloc(8)
  b[0] = 4
  b[1] = down ? 1 : 0
  b.writeUInt32BE(sym, 4)
  return b
}
/** QEMU's extended key event, which noVNC uses when QEMU offers it: keysym and XT scancode. */
const qkey = (down: boolean, sym: number, scancode = 0x1e): Buffer => {
  const b = Buffer.alloc(12)
  b[0] = 255
  b[1] = 0
  b.writeUInt16BE(down ? 1 : 0, 2)
  b.writeUInt32BE(sym, 4)
  b.writeUInt32BE(scancode, 8)
  return b
}
const press = (sym: number, k = key): Buffer[] => [k(true, sym), k(false, sym)]
const pointer = (mask: number, x: number, y: number): Buffer => {
  const b = Buffer.alloc(6)
  b[0] = 5
  b[1] = mask
  b.writeUInt16BE(x, 2)
  b.writeUInt16BE(y, 4)
  return b
}
const SHIFT = 0xffe1
const CTRL = 0xffe3
const ALT = 0xffe9

function record(messages: Buffer[]): Array<Omit<RecordedStep, 'at'>> {
  let now = 0
  const rec = new Recording(() => (now += 10))
  const input = new RfbInputRecorder(rec)
  for (const m of messages) input.push(m)
  return rec.steps.map(({ at: _at, ...s }) => s)
}

t.test('printable keys in a row are one text, shift included; named keys are keys', async t => {
  const msgs = [
    ...press(0x6c), ...press(0x69, qkey), // l, i (extended key events)
    key(true, SHIFT), ...press(0x56), key(false, SHIFT), // V
    ...press(0x65), ...press(0x20), ...press(0x21), // e, space, !
    ...press(0xff0d), // Return
    ...press(0x78),
  ]
  t.same(record(msgs), [
    { kind: 'type', text: 'liVe !' },
    { kind: 'key', combo: 'ret' },
    { kind: 'type', text: 'x' },
  ])
})

t.test('combinations with ctrl, alt, shift', async t => {
  t.same(record([key(true, CTRL), key(true, ALT), ...press(0xffbf), key(false, ALT), key(false, CTRL)]), [{ kind: 'key', combo: 'ctrl-alt-f2' }])
  t.same(record([key(true, CTRL), ...press(0x63), key(false, CTRL)]), [{ kind: 'key', combo: 'ctrl-c' }])
  t.same(record([key(true, CTRL), key(true, SHIFT), ...press(0x43), key(false, SHIFT), key(false, CTRL)]), [{ kind: 'key', combo: 'ctrl-shift-c' }])
  t.same(record([key(true, SHIFT), ...press(0xfe20), key(false, SHIFT)]), [{ kind: 'key', combo: 'shift-tab' }], 'ISO_Left_Tab')
  t.same(record([key(true, SHIFT), ...press(0xff52), key(false, SHIFT)]), [{ kind: 'key', combo: 'shift-up' }])
  t.same(record([key(true, CTRL), ...press(0x2d), key(false, CTRL)]), [{ kind: 'key', combo: 'ctrl-minus' }])
})

t.test('a modifier pressed alone is a key; held auto-repeat presses again', async t => {
  t.same(record([...press(0xffeb)]), [{ kind: 'key', combo: 'meta_l' }])
  t.same(record([key(true, SHIFT), key(false, SHIFT)]), [{ kind: 'key', combo: 'shift' }])
  t.same(record([key(true, 0xff54), key(true, 0xff54), key(false, 0xff54)]), [{ kind: 'key', combo: 'down' }, { kind: 'key', combo: 'down' }])
})

t.test('a key no name stands for is a note, not a silent gap', async t => {
  t.same(record(press(0xe9)), [{ kind: 'note', text: 'a key the recorder cannot name (keysym 0xe9) was pressed here' }])
})

t.test('pointer: a click where a button went down; moves and releases are not steps', async t => {
  t.same(record([pointer(0, 5, 5), pointer(0, 100, 200), pointer(1, 100, 200), pointer(1, 110, 200), pointer(0, 110, 200), pointer(4, 7, 8), pointer(0, 7, 8), pointer(8, 7, 8), pointer(0, 7, 8)]), [
    { kind: 'click', x: 100, y: 200, button: 'left' },
    { kind: 'click', x: 7, y: 8, button: 'right' },
  ])
})

t.test('other messages are ignored; steps are stamped with the time since the start', async t => {
  let now = 1000
  const rec = new Recording(() => now)
  const input = new RfbInputRecorder(rec)
  input.push(Buffer.from([3, 1, 0, 0, 0, 0, 2, 208, 1, 144]))
  now = 1500
  for (const m of press(0x61)) input.push(m)
  now = 4000
  rec.add({ kind: 'text', pattern: 'login', regex: false })
  t.same(rec.steps, [{ kind: 'type', text: 'a', at: 500 }, { kind: 'text', pattern: 'login', regex: false, at: 3000 }])
})

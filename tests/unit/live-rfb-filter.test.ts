// The live view's read-only VNC: input messages dropped while locked, passed once
// unlocked; other messages always pass, split anywhere; unknown messages refused.
import t from 'tap'
import { RfbClientFilter, RfbFilterError } from '../../src/runner/live/rfb-filter.js'

const handshake = Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([1]), Buffer.from([1])])
const encodings = Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xfe]) // raw, QEMU extended keys
const update = Buffer.from([3, 1, 0, 0, 0, 0, 2, 208, 1, 144])
const key = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]) // 'a' down
const pointer = Buffer.from([5, 1, 0, 10, 0, 20])
// What noVNC sends after the handshake: the extended clipboard's capabilities (length -8).
const clipboardCaps = Buffer.from('06000000fffffff81f00000100000000', 'hex')
const qemuKey = Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e])

t.test('locked: keys, pointer and QEMU keys dropped; the rest passes whole, however it is split', async t => {
  const f = new RfbClientFilter(() => true)
  const stream = Buffer.concat([handshake, encodings, clipboardCaps, key, update, pointer, qemuKey, update])
  const out: Buffer[] = []
  for (let i = 0; i < stream.length; i += 3) out.push(f.push(stream.subarray(i, i + 3)))
  t.same(Buffer.concat(out), Buffer.concat([handshake, encodings, update, update]))
  t.equal(f.dropped, 4)
})

t.test('unlocked: everything passes; locking again drops again', async t => {
  let locked = false
  const f = new RfbClientFilter(() => locked)
  t.same(f.push(Buffer.concat([handshake, key, pointer])), Buffer.concat([handshake, key, pointer]))
  locked = true
  t.same(f.push(key), Buffer.alloc(0))
})

t.test('an unknown message, another security type or a non-RFB client is refused', async t => {
  t.throws(() => new RfbClientFilter(() => true).push(Buffer.concat([handshake, Buffer.from([99, 0, 0, 0])])), RfbFilterError)
  t.throws(() => new RfbClientFilter(() => true).push(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([2])])), RfbFilterError)
  t.throws(() => new RfbClientFilter(() => true).push(Buffer.from('GET / HTTP/1.1\r\n')), RfbFilterError)
})

t.test('the recorder hears each input message passed on, whole, and none dropped', async t => {
  let locked = true
  const heard: Buffer[] = []
  const f = new RfbClientFilter(() => locked, m => heard.push(m))
  const stream = Buffer.concat([handshake, encodings, key, update])
  for (let i = 0; i < stream.length; i += 5) f.push(stream.subarray(i, i + 5))
  t.same(heard, [], 'locked: nothing heard')
  locked = false
  const more = Buffer.concat([key, update, pointer, qemuKey])
  for (let i = 0; i < more.length; i += 3) f.push(more.subarray(i, i + 3))
  t.same(heard, [key, pointer, qemuKey])
})

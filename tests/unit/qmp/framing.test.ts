import t from 'tap'
import { JsonLineDecoder, QmpProtocolError } from '../../../src/qmp/index.js'

const b = (s: string): Buffer => Buffer.from(s, 'utf8')

t.test('one complete message', async t => {
  const d = new JsonLineDecoder()
  t.same(d.push(b('{"return": {}}\n')), [{ return: {} }])
  t.equal(d.pendingChars, 0)
})

t.test('partial lines are buffered until the newline arrives', async t => {
  const d = new JsonLineDecoder()
  t.same(d.push(b('{"event": "ST')), [])
  t.same(d.push(b('OP", "timestamp"')), [])
  t.ok(d.pendingChars > 0)
  t.same(d.push(b(': {"seconds": 1, "microseconds": 2}}\n{"ret')), [
    { event: 'STOP', timestamp: { seconds: 1, microseconds: 2 } },
  ])
  t.same(d.push(b('urn": 1}\n')), [{ return: 1 }])
})

t.test('several messages in one chunk come out in order', async t => {
  const d = new JsonLineDecoder()
  t.same(d.push(b('{"a": 1}\n{"b": 2}\n{"c": 3}\n')), [{ a: 1 }, { b: 2 }, { c: 3 }])
})

t.test('a multi-byte UTF-8 character split across chunks', async t => {
  const text = '{"desc": "Gerät 🙂 kaputt"}\n'
  const bytes = b(text)
  // split inside the 2-byte "ä" and inside the 4-byte emoji
  const ae = bytes.indexOf(0xc3)
  const emoji = bytes.indexOf(0xf0)
  t.ok(ae > 0 && emoji > ae)
  const d = new JsonLineDecoder()
  t.same(d.push(bytes.subarray(0, ae + 1)), [])
  t.same(d.push(bytes.subarray(ae + 1, emoji + 2)), [])
  t.same(d.push(bytes.subarray(emoji + 2, emoji + 3)), [])
  t.same(d.push(bytes.subarray(emoji + 3)), [{ desc: 'Gerät 🙂 kaputt' }])

  // and byte by byte
  const d2 = new JsonLineDecoder()
  const out: unknown[] = []
  for (const byte of bytes) out.push(...d2.push(Buffer.from([byte])))
  t.same(out, [{ desc: 'Gerät 🙂 kaputt' }])
})

t.test('blank and whitespace-only lines are skipped', async t => {
  const d = new JsonLineDecoder()
  t.same(d.push(b('\n\n  \n{"a": 1}\n\r\n\t\n{"b": 2}\n')), [{ a: 1 }, { b: 2 }])
})

t.test('CRLF line endings', async t => {
  const d = new JsonLineDecoder()
  t.same(d.push(b('{"a": 1}\r\n{"b": "x\\r"}\r')), [{ a: 1 }])
  t.same(d.push(b('\n')), [{ b: 'x\r' }])
})

t.test('a malformed line throws QmpProtocolError carrying the line', async t => {
  const d = new JsonLineDecoder()
  let caught: unknown
  try {
    d.push(b('{"a": 1}\n{not json\n{"b": 2}\n{"c"'))
  } catch (err) {
    caught = err
  }
  t.type(caught, QmpProtocolError)
  const err = caught as QmpProtocolError
  t.equal(err.line, '{not json')
  t.match(err.message, /malformed JSON.*\{not json/)
  t.ok(err.cause instanceof SyntaxError, 'cause is the JSON.parse error')
  // nothing else is lost: the message before and the ones after the bad line follow
  t.same(d.push(b(': 3}\n')), [{ a: 1 }, { b: 2 }, { c: 3 }])
})

t.test('a malformed line split over chunks still reports the whole line', async t => {
  const d = new JsonLineDecoder()
  t.same(d.push(b('{"a": ')), [])
  t.throws(() => d.push(b('oops}\r\n')), { name: 'QmpProtocolError', line: '{"a": oops}' })
})

t.test('onLine sees each raw non-blank line', async t => {
  const lines: string[] = []
  const d = new JsonLineDecoder({ onLine: l => lines.push(l) })
  d.push(b('{"a": 1}\r\n\n{"b":'))
  d.push(b(' 2}\n'))
  t.same(lines, ['{"a": 1}', '{"b": 2}'])
})

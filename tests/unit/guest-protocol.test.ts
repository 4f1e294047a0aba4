// The result framing survives a kernel message printed between a marker and its line's end
// (seen on a real guest: `<id>E 0 <md5> <md5>[   16.83] bootcheck-noise 2`).
import t from 'tap'
import { createHash } from 'node:crypto'
import { decodeResult, resultPatterns } from '../../src/guest/protocol.js'

const md5 = (s: string): string => createHash('md5').update(s).digest('hex')
const b64 = (s: string): string => Buffer.from(s).toString('base64')

t.test('markers followed by a kernel message before the newline still frame the result', async t => {
  const id = 'BC0123456789ab'
  const kmsg = '[   16.836580] bootcheck-noise 2\n'
  const text = `${id}B${kmsg}\n${b64('out\n')}\n${id}S${kmsg}\n${b64('err\n')}\n${id}E 3 ${md5('out\n')} ${md5('err\n')}${kmsg}\n`
  const { begin, end } = resultPatterns(id)
  const b = begin.exec(text)
  t.ok(b, 'begin matches')
  const rest = text.slice(b!.index + b![0].length)
  const e = end.exec(rest)
  t.ok(e, 'end matches')
  t.same(decodeResult(id, rest.slice(0, e!.index), e!), { ok: true, status: 3, stdout: 'out\n', stderr: 'err\n' })
})

t.test('plain markers, and the echoed command line never matches', async t => {
  const id = 'BCfedcba987654'
  const { begin, end } = resultPatterns(id)
  t.notOk(begin.test(`__bcx ${id} 'echo hi'\n`))
  t.notOk(end.test(`__bcp ${id} 0\n`))
  t.ok(begin.test(`${id}B\n`))
  t.ok(end.test(`${id}E 0 ${md5('')} ${md5('')}\n`))
  t.notOk(end.test(`${id}E 0 ${md5('')} ${md5('')}`), 'not before the line ends')
})

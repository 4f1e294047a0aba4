// The result framing survives a kernel message printed between a marker and its line's end
// (seen on a real guest: `<id>E 0 …[   16.83] bootcheck-noise 2`) and inside the checksum
// lines; a command that wrote nothing comes back as one short line.
import t from 'tap'
import { createHash } from 'node:crypto'
import { checksumLines, decodeResult, isProtocolLine, resultPatterns } from '../../../src/guest/protocol.js'

const md5 = (s: string): string => createHash('md5').update(s).digest('hex')
const b64 = (s: string): string => Buffer.from(s).toString('base64')
const sums = (out: string, err: string): string => `${md5(out)}  /tmp/.bc42.out\n${md5(err)}  /tmp/.bc42.err\n`

t.test('markers followed by a kernel message before the newline still frame the result', async t => {
  const id = 'BC0123456789ab'
  const kmsg = '[   16.836580] bootcheck-noise 2\n'
  const text = `${id}B${kmsg}\n${b64('out\n')}\n${id}S${kmsg}\n${b64('err\n')}\n${id}M${kmsg}\n${sums('out\n', 'err\n')}\n${id}E 3${kmsg}\n`
  const { begin, end } = resultPatterns(id)
  const b = begin.exec(text)
  t.ok(b, 'begin matches')
  const rest = text.slice(b!.index + b![0].length)
  const e = end.exec(rest)
  t.ok(e, 'end matches')
  t.same(decodeResult(id, rest.slice(0, e!.index), e!), { ok: true, status: 3, stdout: 'out\n', stderr: 'err\n' })
})

t.test('a kernel message inside a checksum line is cut out', async t => {
  const line = sums('x', '')
  const noisy = line.slice(0, 10) + '[    3.100000] usb 1-1: new device\n' + line.slice(10)
  t.same(checksumLines(noisy), [md5('x'), md5('')])
  t.same(checksumLines(`\\${md5('x')}  /tmp/odd\\nname.out\n`), [md5('x')], 'an escaped file name')
})

t.test('plain markers, and the echoed command line never matches', async t => {
  const id = 'BCfedcba987654'
  const { begin, end, empty } = resultPatterns(id)
  t.notOk(begin.test(`__bcx ${id} 'echo hi'\n`))
  t.notOk(end.test(`__bcp ${id} 0\n`))
  t.notOk(empty.test(`__bcp ${id} 0\n`))
  t.ok(begin.test(`${id}B\n`))
  t.ok(end.test(`${id}E 0\n`))
  t.notOk(end.test(`${id}E 0`), 'not before the line ends')
  const m = empty.exec(`\n${id}N 7[   16.836580] bootcheck-noise 2\n\n`)
  t.equal(m?.[1], '7', 'an empty result carries its status, a kernel message after it or not')
  t.notOk(empty.test(`${id}N 0`), 'not before the line ends')
})

t.test('damage: a missing separator, a missing checksum, a wrong checksum', async t => {
  const id = 'BC000000000002'
  const end = resultPatterns(id).end.exec(`${id}E 1\n`)!
  const good = `${b64('hello\n')}\n${id}S\n\n${id}M\n${sums('hello\n', '')}\n`
  t.same(decodeResult(id, good, end), { ok: true, status: 1, stdout: 'hello\n', stderr: '' })
  t.match(decodeResult(id, `${b64('hello\n')}\n${id}M\n${sums('hello\n', '')}`, end), { ok: false, reason: /separator/ })
  t.match(decodeResult(id, `${b64('hello\n')}\n${id}S\n\n${id}M\n${md5('hello\n')}  /tmp/.bc1.out\n`, end), { ok: false, reason: /1 checksums/ })
  t.match(decodeResult(id, `${b64('hellO\n')}\n${id}S\n\n${id}M\n${sums('hello\n', '')}`, end), { ok: false, status: 1, reason: /checksum of stdout/ })
})

t.test('protocol lines are left out of progress displays, other lines are not', async t => {
  t.ok(isProtocolLine('BC0123456789abN 0'))
  t.ok(isProtocolLine('BC0123456789abM'))
  t.ok(isProtocolLine(`${md5('')}  /tmp/.bc123.err`))
  t.notOk(isProtocolLine('[    1.000000] Linux version 6.1'))
  t.notOk(isProtocolLine(`${md5('')}  /usr/bin/md5sum`), "a user's md5sum output")
})

// The console's recent text (for error messages and the current line) keeps exactly what a
// plain string holding the whole stream would show, however the stream arrives.
import t from 'tap'
import { RecentText } from '../../../src/console/recent.js'
import { AnsiStripper } from '../../../src/console/ansi.js'

t.test('text() and currentLine() equal those of the whole stream, for pieces of every size', async t => {
  let seed = 11
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
  for (const size of [16, 100, 4096]) {
    const recent = new RecentText(size)
    let all = ''
    for (let i = 0; i < 3000; i++) {
      const len = [0, 1, 5, 70, 900, 5000][rand(6)]!
      let piece = ''
      for (let k = 0; k < len; k++) piece += rand(12) === 0 ? '\n' : String.fromCharCode(97 + rand(26))
      recent.append(piece)
      all += piece
      if (i % 97 === 0 || i === 2999) {
        const tail = all.slice(-size)
        t.equal(recent.text(), tail, `size ${size}, after ${all.length} characters: text`)
        const line = tail.slice(tail.lastIndexOf('\n') + 1)
        t.equal(recent.currentLine(), line, `size ${size}: current line`)
        t.ok(recent.held >= Math.min(size, all.length), 'holds at least the size')
      }
    }
  }
})

t.test('plain text loses its carriage returns and NULs without the escape-sequence pass', async t => {
  const s = new AnsiStripper()
  t.equal(s.push('line one\r\nline two\r\n'), 'line one\nline two\n')
  t.equal(s.push('nul\x00here\r\n'), 'nulhere\n')
  t.equal(s.push('no line end'), 'no line end')
  t.equal(s.push('\x1b[32mOK\x1b[0m\r\n'), 'OK\n', 'escape sequences still go')
})

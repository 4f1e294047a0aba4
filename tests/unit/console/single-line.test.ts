// Patterns that cannot match a newline are searched again only from the last line's start
// when new text arrives: the scan that decides it is conservative, and the transcript finds
// exactly the matches a search of the whole text finds, however the text is chunked.
import t from 'tap'
import { cannotMatchNewline } from '../../../src/console/single-line.js'
import { Transcript, compilePatterns } from '../../../src/console/transcript.js'

t.test('which patterns count as single-line', async t => {
  for (const re of [/login: $/, /status=(\d+)/, /\w+@\w+:~# $/, /a\.b\[c\]/, /[A-Za-z0-9+/]{40}/i, /(foo|bar)baz?/]) {
    t.ok(cannotMatchNewline(re), `${re} stays on one line`)
  }
  for (const re of [/a\nb/, /a\sb/, /a\Sb/, /a\Db/, /a\Wb/, /a[^x]b/, /a.b/s, /a\x0ab/, /a\u000ab/, /a\cJb/, /a\p{L}b/u, /a[\t-\r]b/, /(a)\1/, /^abc/, new RegExp('a\nb')]) {
    t.notOk(cannotMatchNewline(re), `${re} may match a newline`)
  }
})

t.test('chunked search finds what a whole-text search finds', async t => {
  let seed = 5
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
  const words = ['login: ', 'status=42', 'ab', 'x', '\n', '\n', 'done', ' ', 'q']
  const patterns = [/status=(\d+)/, /done\s+q/, /ab(?:x|ab)+done/, /[^\n]*q\nx/]
  for (let round = 0; round < 200; round++) {
    let text = ''
    const n = 20 + rand(200)
    for (let i = 0; i < n; i++) text += words[rand(words.length)]
    const pattern = patterns[round % patterns.length]!
    // Reference: the first match in the whole text (a global RegExp from the start).
    const whole = new RegExp(pattern.source, pattern.flags + 'g').exec(text)
    const tr = new Transcript({ lookbehind: 64 })
    const compiled = compilePatterns(pattern)
    let from = 0
    let found: { at: number; text: string } | null = null
    for (let pos = 0; pos < text.length && !found; ) {
      const len = 1 + rand(12)
      tr.append(text.slice(pos, pos + len))
      pos += len
      const r = tr.search(compiled, from)
      if (r.match) found = { at: r.match.before.length, text: r.match.text }
      from = r.next
    }
    // (`$` matches wherever the text received so far ends, so it is left out here.) Matches
    // longer than the look-behind may be missed by design.
    if (whole && whole[0].length <= 64) t.equal(found?.at, whole.index, `round ${round}: ${pattern} found at ${whole.index}`)
    else if (!whole) t.equal(found, null, `round ${round}: ${pattern} found nowhere`)
  }
})

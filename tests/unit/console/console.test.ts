import t from 'tap'
import { SerialConsole } from '../../../src/console/console.js'
import { AnsiStripper } from '../../../src/console/ansi.js'
import { Transcript, compilePatterns } from '../../../src/console/transcript.js'
import { MachineExitedError, TimeoutError } from '../../../src/errors/errors.js'

const make = (opts: Partial<ConstructorParameters<typeof SerialConsole>[0]> = {}) => {
  const sent: string[] = []
  const c = new SerialConsole({ name: 'vm1', write: d => sent.push(d), defaultTimeout: 2000, ...opts })
  return { c, sent }
}

t.test('ANSI sequences and CR are removed, even when split across chunks', async t => {
  const s = new AnsiStripper()
  const parts = ['\x1b[1;3', '2mlogin\x1b', '[0m: \r', '\n\x1b]0;title\x07ok\x1b(B!']
  t.equal(parts.map(p => s.push(p)).join('') + s.flush(), 'login: \nok!')
  t.equal(new AnsiStripper().push('plain text\n'), 'plain text\n')
})

t.test("bash's bracketed-paste switches around a prompt are removed, however the bytes are chunked", async t => {
  // As bash 5.2 prints them on the Debian guest's serial console (tests/integration/guests.ts).
  const raw = '\x1b[?2004hroot@debian-live:~# __bcx BC1 true\r\n\x1b[?2004l\r\rBC1N 0\r\n\x1b[?2004hroot@debian-live:~# '
  const clean = 'root@debian-live:~# __bcx BC1 true\nBC1N 0\nroot@debian-live:~# '
  for (let cut = 1; cut < raw.length; cut++) {
    const s = new AnsiStripper()
    const got = s.push(raw.slice(0, cut)) + s.push(raw.slice(cut)) + s.flush()
    if (got !== clean) return t.fail(`cut at ${cut}: ${JSON.stringify(got)}`)
  }
  t.pass('the same clean text at every cut')
})

t.test('a stray ESC ] in noise does not swallow the lines after it', async t => {
  const s = new AnsiStripper()
  // ESC ] alone goes as a two-character escape; the lines after it stay.
  t.equal(s.push('noise\x1b]\nBC1B\nline\x07more\n'), 'noise\nBC1B\nline\x07more\n', 'no OSC across a newline')
  t.equal(new AnsiStripper().push('a\x1b]0;title\x07b\n'), 'ab\n', 'a real OSC is still removed')
  const split = new AnsiStripper()
  t.equal(split.push('x\x1b]0;ti'), 'x', 'an OSC cut short waits for its end')
  t.equal(split.push('\nBC1B\n'), '0;ti\nBC1B\n', 'a newline shows it was none')
})

t.test('a marker split across chunks is found', async t => {
  const { c } = make()
  const w = c.waitFor('MARK-1234-END')
  c.push('noise MARK-12')
  c.push('34-')
  c.push('EN')
  c.push('D tail')
  const m = await w
  t.equal(m.text, 'MARK-1234-END')
  t.equal(m.before, 'noise ')
})

t.test('a regex split across chunks with ANSI in between is found', async t => {
  const { c } = make()
  // A regex matches as soon as it can, so the digits are anchored by the line end.
  const w = c.waitFor(/status=(\d+)\n/)
  c.push('xx stat')
  c.push('\x1b[32mus=4')
  c.push('2\x1b[0m\r\n')
  const m = await w
  t.equal(m.groups?.[1], '42')
})

t.test('the cursor consumes: the next wait only sees newer output', async t => {
  const { c } = make()
  c.push('# \n# \n')
  await c.waitFor('# ')
  await c.waitFor('# ')
  await t.rejects(c.waitFor('# ', { timeout: 50 }), TimeoutError)
  c.push('later # ')
  t.equal((await c.waitFor('# ')).before, '\nlater ')
})

t.test('several patterns: the earliest match wins and says which', async t => {
  const { c } = make()
  c.push('Password: ... login: ')
  const m = await c.waitFor([/login: $/, 'Password:'])
  t.equal(m.index, 1)
  t.equal(m.text, 'Password:')
})

t.test('a timeout names the pattern and shows the last lines', async t => {
  const { c } = make()
  c.push('Booting from ROM...\nprobing EDD\n')
  const err = await c.waitFor(/# $/, { timeout: 30 }).catch(e => e)
  t.type(err, TimeoutError)
  t.match(err.message, /waiting for \/# \$\/ on the serial console of vm1/)
  t.match(err.message, /  \| probing EDD/)
})

t.test('a machine that stops fails pending and later waits at once', async t => {
  const { c } = make({ defaultTimeout: 60_000 })
  const pending = c.waitFor('never')
  c.push('Kernel panic - not syncing\n')
  c.end(new MachineExitedError('QEMU exited with code 0'))
  const e1 = await pending.catch(e => e)
  t.type(e1, MachineExitedError)
  t.match(e1.message, /Kernel panic/)
  await t.rejects(c.waitFor('x'), MachineExitedError)
})

t.test('bad patterns are rejected clearly', async t => {
  const { c } = make()
  await t.rejects(c.waitFor(''), /empty string/)
  await t.rejects(c.waitFor([]), /at least one pattern/)
  await t.rejects(c.waitFor(42 as unknown as string), /expected a string or RegExp/)
})

t.test('sendLine ends with a carriage return', async t => {
  const { c, sent } = make()
  c.sendLine('root')
  t.same(sent, ['root\r'])
})

t.test('100 MB of output is matched in linear time and bounded memory', async t => {
  const tr = new Transcript({ maxBuffered: 4 * 1024 * 1024 })
  const line = 'x'.repeat(99) + '\n'
  const chunk = line.repeat(655) // ~64 KiB chunks
  const total = 100 * 1024 * 1024
  const patterns = compilePatterns([/BOOT-DONE (\d+)/, 'never-seen'])
  let from = 0
  let found = null
  const start = process.hrtime.bigint()
  let sent = 0
  while (sent < total) {
    tr.append(chunk)
    sent += chunk.length
    const r = tr.search(patterns, from)
    from = r.next
  }
  tr.append('BOOT-')
  from = tr.search(patterns, from).next
  tr.append('DONE 7\n')
  found = tr.search(patterns, from).match
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  t.equal(found?.groups?.[1], '7')
  // Generous bound: a quadratic rescan would take minutes; linear takes well under a few seconds.
  t.ok(ms < 20_000, `matched 100 MB in ${ms.toFixed(0)} ms`)
  t.ok(tr.unread().length <= 4 * 1024 * 1024, 'unconsumed text stays within maxBuffered')
  t.ok(tr.droppedChars > 0, 'older unread text was dropped')
})

t.test('idle ends early when output makes wake true, not on other output; a stop still rejects it', async t => {
  const { c } = make()
  const t0 = Date.now()
  const idle = c.idle(5000, () => c.currentLine(0) === '# ')
  setTimeout(() => c.push('booting...\r\n'), 20)
  setTimeout(() => c.push('# '), 80)
  await idle
  const took = Date.now() - t0
  t.ok(took >= 70 && took < 1000, `woke at the prompt, after ${took} ms, not at the first output or the timeout`)
  const plain = c.idle(60)
  c.push('more\r\n')
  const t1 = Date.now()
  await plain
  t.ok(Date.now() - t1 >= 40, 'without wake, output does not end it')
  const pending = c.idle(5000, () => false)
  c.end(new MachineExitedError('vm1 exited'))
  await t.rejects(pending, MachineExitedError)
})

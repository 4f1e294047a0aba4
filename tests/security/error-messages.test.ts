// #26 Low: error messages carry guest lines (a command's stderr, a console line); a guest
// that prints a 10 MB line must not make a 10 MB message (it lands in TAP, the report, logs).
import t from 'tap'
import { CommandFailedError, GuestFailureError } from '../../src/errors/errors.js'

t.test('guest lines in messages are capped', async t => {
  const huge = 'A'.repeat(10 * 1024 * 1024)
  const e = new CommandFailedError(`cat failed: ${huge}`, 'cat', 1, '', huge)
  t.ok(e.message.length < 100 * 1024, `message of ${e.message.length} characters`)
  t.match(e.message, /more characters\)/)
  const many = Array.from({ length: 100_000 }, () => 'line of console output').join('\n')
  const g = new GuestFailureError(`panic:\n${many}`, 'kernel panic', 'x')
  t.ok(g.message.length < 100 * 1024, `message of ${g.message.length} characters`)
})

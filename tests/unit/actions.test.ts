// The step log: records with arguments, times, outcomes, nesting and attachments, read back
// in start order, and cut-short files read as far as they go.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ActionLog } from '../../src/machine/actions.js'
import { parseActions } from '../../src/report/actions.js'

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

t.test('actions.jsonl: one line per step, nested, with duration, outcome and files', async t => {
  const dir = t.testdir({})
  const file = join(dir, 'actions.jsonl')
  const log = new ActionLog(file)
  const out = await log.step('reboot', { how: 'guest' }, async () => {
    await log.step('waitForShell', { timeout: 1000 }, () => sleep(20))
    return 'done'
  })
  t.equal(out, 'done')
  await log.step('expectScreen', { name: 'menu', long: 'x'.repeat(1000) }, async () => log.attach('actual', '/a/menu-actual.png'), () => 'matched')
  await t.rejects(log.step('succeed', { command: 'false' }, async () => {
    throw Object.assign(new Error('Command "false" exited with status 1.\nstdout: …'), { name: 'CommandFailedError' })
  }), /status 1/)
  // two steps at once keep their own parents
  await Promise.all([log.step('a', {}, () => log.step('a-inner', {}, () => sleep(5))), log.step('b', {}, () => log.step('b-inner', {}, () => sleep(1)))])

  const records = parseActions(readFileSync(file, 'utf8'))
  const by = (action: string) => records.find(r => r.action === action)!
  t.same(records.map(r => r.action).slice(0, 4), ['reboot', 'waitForShell', 'expectScreen', 'succeed'], 'in start order, not end order')
  t.equal(by('waitForShell').parent, by('reboot').id)
  t.equal(by('reboot').parent, undefined)
  t.ok(by('waitForShell').durationMs >= 15, 'durations are measured')
  t.ok(by('reboot').durationMs >= by('waitForShell').durationMs)
  t.same(by('reboot').args, { how: 'guest' })
  t.match(by('expectScreen'), { outcome: 'ok', result: 'matched', attachments: [{ name: 'actual', path: '/a/menu-actual.png' }] })
  t.match(String(by('expectScreen').args.long), /^x{300}… \(1000 chars\)$/, 'long arguments are cut short')
  t.match(by('succeed'), { outcome: 'error', error: 'CommandFailedError: Command "false" exited with status 1.' })
  t.equal(by('a-inner').parent, by('a').id)
  t.equal(by('b-inner').parent, by('b').id)
  t.ok(records.every(r => typeof r.start === 'string' && !Number.isNaN(Date.parse(r.start)) && r.offsetMs >= 0))
})

t.test('a log cut short by a kill is read up to its last whole line', async t => {
  const text = '{"id":1,"action":"run","args":{},"start":"2026-01-01T00:00:00Z","offsetMs":0,"durationMs":1,"outcome":"ok"}\n{"id":2,"act'
  t.equal(parseActions(text).length, 1)
  t.same(parseActions(''), [])
})

t.test('without a file nothing is written and steps still run', async t => {
  const log = new ActionLog(undefined)
  t.equal(await log.step('x', {}, async () => 42), 42)
})

t.test("each step records the console's byte offsets while it ran: from the console's counter, else console.log's size", async t => {
  const dir = t.testdir({ 'console.log': 'boot\n' })
  let bytes = 10
  const log = new ActionLog(join(dir, 'actions.jsonl'), () => bytes)
  await log.step('outer', {}, async () => {
    bytes += 5
    await log.step('inner', {}, async () => {
      bytes += 7
    })
  })
  const [outer, inner] = parseActions(readFileSync(join(dir, 'actions.jsonl'), 'utf8'))
  t.same(inner!.console, { from: 15, to: 22 })
  t.same(outer!.console, { from: 10, to: 22 }, 'the outer step spans the inner one')
  const onDisk = new ActionLog(join(dir, 'disk.jsonl'))
  await onDisk.step('x', {}, async () => {
    const { appendFileSync } = await import('node:fs')
    appendFileSync(join(dir, 'console.log'), 'more\n')
  })
  t.same(parseActions(readFileSync(join(dir, 'disk.jsonl'), 'utf8'))[0]!.console, { from: 5, to: 10 })
})

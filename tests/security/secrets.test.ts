// #26 Low: values marked secret() (a password typed with vm.type, a login password) are
// used as they are but masked in actions.jsonl (which the report renders) and in error
// messages. (snapshot.json no longer holds the login password: snapshot-save.ts.)
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CommandFailedError, SpecError } from '../../src/errors/errors.js'
import { MASK, reveal, secret } from '../../src/errors/secret.js'
import { ActionLog } from '../../src/machine/actions.js'

const PW = 'hunter2-Sup3r-secret'

t.test('a secret typed is masked in actions.jsonl, but its value is what gets typed', async t => {
  const dir = t.testdir()
  const log = new ActionLog(join(dir, 'actions.jsonl'))
  const pw = secret(PW)
  let typed = ''
  await log.step('type', { text: pw }, async () => void (typed = reveal(pw)))
  await log.step('succeed', { command: `echo ${PW} | passwd --stdin` }, async () => undefined)
  await log.step('fail', {}, async () => {
    throw new Error(`the guest said: bad password ${PW}`)
  }).catch(() => undefined)
  const text = readFileSync(join(dir, 'actions.jsonl'), 'utf8')
  t.equal(typed, PW, 'the real value is typed')
  t.notMatch(text, PW, 'the value is nowhere in the log')
  t.match(text, MASK)
  t.equal(String(pw), MASK)
  t.equal(JSON.stringify({ pw }), `{"pw":"${MASK}"}`)
})

t.test('error messages mask secrets', async t => {
  secret(PW)
  t.notMatch(new SpecError(`login failed for password ${PW}`).message, PW)
  t.notMatch(new CommandFailedError(`echo ${PW} failed`, `echo ${PW}`, 1, '', '').message, PW)
})

// The pure half of waitForUnit, the port and file waits and systemctl (src/machine/services.ts):
// how a unit's state is read and judged (failed at once, inactive with no jobs, not found,
// still coming), the commands typed, and the SystemdError's message.
import t from 'tap'
import { SpecError, SystemdError } from '../../../src/errors/errors.js'
import {
  checkUnitName,
  fileCommand,
  judgeUnit,
  parseUnitState,
  portCommand,
  shellQuote,
  systemctlArgs,
  unitError,
  unitsOf,
  unitStateCommand,
  type UnitState,
} from '../../../src/machine/services.js'

const state = (over: Partial<UnitState>): UnitState => ({
  id: 'x.service',
  loadState: 'loaded',
  activeState: 'inactive',
  subState: 'dead',
  result: 'success',
  jobs: 0,
  activeStateAfter: 'inactive',
  ...over,
})

t.test('parseUnitState reads systemctl show, the job count and the second look', async t => {
  const out = 'Id=ssh.service\nLoadState=loaded\nActiveState=activating\nSubState=start-pre\nResult=success\nJobs=2\nActiveStateAfter=active\n'
  t.same(parseUnitState(out), {
    id: 'ssh.service',
    loadState: 'loaded',
    activeState: 'activating',
    subState: 'start-pre',
    result: 'success',
    jobs: 2,
    activeStateAfter: 'active',
  })
  t.same(parseUnitState('garbage\n').activeState, '', 'a missing property reads as empty')
  t.equal(parseUnitState('Jobs=\n').jobs, 0)
})

t.test('judgeUnit: active, failed at once, inactive with no jobs, not found, still coming', async t => {
  t.same(judgeUnit(state({ activeState: 'active', activeStateAfter: 'active' })), { kind: 'active' })
  t.same(judgeUnit(state({ activeState: 'failed', result: 'exit-code' })), { kind: 'failed', why: "reached state 'failed' (result: exit-code)" })
  t.same(judgeUnit(state({ activeState: 'activating', activeStateAfter: 'failed', result: 'success' })), { kind: 'reread' }, 'failed on the second look: read again, so the error quotes one consistent read')
  t.same(judgeUnit(state({ activeState: 'activating', activeStateAfter: 'activating' })), { kind: 'wait' })
  t.same(judgeUnit(state({ activeState: 'inactive', jobs: 3 })), { kind: 'wait' }, 'jobs are queued: it may still be started')
  t.same(judgeUnit(state({ activeState: 'inactive', jobs: 0, activeStateAfter: 'activating' })), { kind: 'wait' }, 'started between the looks')
  t.match(judgeUnit(state({})), { kind: 'failed', why: /is inactive \(dead\) and no job is queued that could start it$/ })
  t.match(judgeUnit(state({ result: 'exit-code' })), { why: /its last run ended with result 'exit-code'/ })
  t.match(judgeUnit(state({ loadState: 'not-found' })), { kind: 'failed', why: /does not exist/ })
  t.match(judgeUnit(state({ loadState: 'masked' })), { kind: 'failed', why: /is masked/ })
  t.same(judgeUnit(state({ activeState: 'reloading', activeStateAfter: 'reloading' })), { kind: 'wait' })
})

t.test('the commands quote what they are given', async t => {
  t.equal(shellQuote("it's"), `'it'\\''s'`)
  t.match(unitStateCommand("a'b.service"), /-- 'a'\\''b\.service'; echo "Jobs=/)
  t.match(unitStateCommand('ssh'), /systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,Result -- 'ssh'/)
  t.equal(fileCommand('/tmp/a b'), "test -e '/tmp/a b'")
  t.match(portCommand(22), /exec 3<>\/dev\/tcp\/localhost\/22/)
  t.match(portCommand(8080, '10.0.2.2'), /nc -z 10\.0\.2\.2 8080/)
  t.match(portCommand(22), /exit 127/, 'no tool: a status of its own')
})

t.test('bad input is a SpecError before anything is typed', async t => {
  t.throws(() => checkUnitName(''), SpecError)
  t.throws(() => checkUnitName('a\nb'), SpecError)
  t.throws(() => portCommand(0), SpecError)
  t.throws(() => portCommand(70000), SpecError)
  t.throws(() => portCommand(22, 'a;reboot'), SpecError)
  t.throws(() => fileCommand(''), SpecError)
  t.throws(() => systemctlArgs('  '), SpecError)
  t.throws(() => systemctlArgs(['start', 'a\nb']), SpecError)
})

t.test('systemctl arguments and the units they name', async t => {
  t.same(systemctlArgs(' restart   ssh.service '), ['restart', 'ssh.service'])
  t.same(systemctlArgs(['start', 'a b']), ['start', 'a b'])
  t.same(unitsOf(['start', '--no-block', 'a.service', 'b']), ['a.service', 'b'])
  t.same(unitsOf(['daemon-reload']), [])
})

t.test('unitError names the unit and quotes its status', async t => {
  const e = unitError('vm1', 'bad.service', "reached state 'failed'", 'failed', '× bad.service\n   Active: failed\n')
  t.ok(e instanceof SystemdError)
  t.equal(e.code, 'BOOTCHECK_SYSTEMD')
  t.equal(e.unit, 'bad.service')
  t.equal(e.state, 'failed')
  t.equal(e.message, "Unit 'bad.service' on vm1 reached state 'failed'.\nsystemctl status bad.service:\n  | × bad.service\n  |    Active: failed")
  const long = unitError('vm1', 'u', 'x', 'failed', Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n'))
  t.match(long.message, /line 39\n {2}\| … \(10 more lines\)$/)
  t.equal(unitError('vm1', 'u', 'x', '', '').message, "Unit 'u' on vm1 x.")
})

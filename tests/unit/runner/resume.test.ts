// `bootcheck resume`'s command line: one capsule, --machine, repeatable --media, --shares or
// --share GUEST=FOLDER, --ui, and
// the usage errors a user sees.
import t from 'tap'
import { parseResumeArgs } from '../../../src/runner/resume.js'
import { UsageError } from '../../../src/errors/errors.js'

t.test('a capsule and its options', async t => {
  t.same(parseResumeArgs(['runs/latest']), { capsule: 'runs/latest', media: [], ui: false, help: false })
  t.same(parseResumeArgs(['c', '--machine', 'server', '--media', '/m1', '--media', '/m2', '--ui']), { capsule: 'c', machine: 'server', media: ['/m1', '/m2'], ui: true, help: false })
  t.same(parseResumeArgs(['--help']), { media: [], ui: false, help: true })
  t.same(parseResumeArgs(['c', '--shares']).shares, 'recorded', '--shares: the recorded folders')
  t.same(parseResumeArgs(['c', '--share', '/mnt/a/=/srv/a', '--share', '/mnt/b=rel/b']).shares, { '/mnt/a': '/srv/a', '/mnt/b': 'rel/b' }, '--share GUEST=FOLDER')
  t.throws(() => parseResumeArgs(['c', '--share', 'mnt=/srv']), { name: 'UsageError', message: /GUEST=FOLDER/ })
  t.throws(() => parseResumeArgs(['c', '--shares', '--share', '/m=/s']), { message: /exclude each other/ })
})

t.test('no capsule, two capsules, an unknown option: usage errors', async t => {
  t.throws(() => parseResumeArgs([]), { name: 'UsageError', message: /which capsule\?/ })
  t.throws(() => parseResumeArgs(['a', 'b']), { name: 'UsageError', message: /one capsule at a time, got a, b/ })
  t.throws(() => parseResumeArgs(['a', '--frobnicate']))
  t.ok(new UsageError('x') instanceof Error)
})

// Minimal inputs that made the boot configuration parsers crash or (nearly) hang, found by
// the fuzz test (media-fuzz.test.ts) and its review: each now ends quickly in entries or a
// MediumError.
import t, { type Test } from 'tap'
import { MediumError } from '../../../src/errors/errors.js'
import { parseGrubConfig, parseSyslinuxConfig } from '../../../src/media/bootconfig.js'

const quick = (t: Test, started: number) => t.ok(Date.now() - started < 1000, `in ${Date.now() - started} ms`)

t.test('syslinux CONFIG naming its own file ends (was: stack overflow, a RangeError)', async t => {
  const started = Date.now()
  const es = parseSyslinuxConfig('CONFIG /a.cfg\nLABEL x\nKERNEL /x\n', { source: '/a.cfg', include: () => 'CONFIG /a.cfg\n' })
  t.same(es.map(e => e.label), ['x'], 'the loop is not followed')
  const ab = parseSyslinuxConfig('CONFIG /b.cfg\n', {
    source: '/a.cfg',
    include: p => (p === '/b.cfg' ? 'CONFIG /a.cfg\nLABEL b\nKERNEL /b\n' : 'CONFIG /b.cfg\n'),
  })
  t.same(ab.map(e => e.label), ['b'], 'a -> b -> a ends in b')
  quick(t, started)
})

t.test('syslinux INCLUDE of its own file several times ends at once (was: 3^16 reads, 40 s)', async t => {
  const started = Date.now()
  const es = parseSyslinuxConfig('INCLUDE /a.cfg\nLABEL x\nKERNEL /x\n', {
    source: '/a.cfg',
    include: () => 'INCLUDE /a.cfg\nINCLUDE /a.cfg\nINCLUDE /a.cfg\n',
  })
  t.same(es.map(e => e.label), ['x'])
  quick(t, started)
})

t.test('an include tree of more than 256 files is a MediumError', async t => {
  const include = (p: string) => {
    const n = Number(/d(\d+)/.exec(p)?.[1] ?? 0)
    return n > 30 ? 'LABEL x\nKERNEL /k\n' : `INCLUDE /d${n + 1}.cfg\n`.repeat(3)
  }
  t.throws(() => parseSyslinuxConfig('INCLUDE /d0.cfg\n', { source: '/a.cfg', include }), MediumError)
  const grub = (p: string) => {
    const n = Number(/d(\d+)/.exec(p)?.[1] ?? 0)
    return n > 30 ? '' : `source /d${n + 1}.cfg\n`.repeat(3)
  }
  t.throws(() => parseGrubConfig('source /d0.cfg\n', { include: grub }), { name: 'MediumError', message: /more than 256 files/ })
})

t.test("GRUB 'source' of its own file several times ends at once", async t => {
  const started = Date.now()
  const es = parseGrubConfig("source /a.cfg\nmenuentry 'x' { linux /x }\n", {
    source: '/a.cfg',
    include: () => 'source /a.cfg\nsource /a.cfg\nsource /a.cfg\n',
  })
  t.same(es.map(e => e.title), ['x'])
  quick(t, started)
})

t.test('GRUB blocks nested 20,000 deep are a MediumError (was: stack overflow, a RangeError)', async t => {
  t.throws(() => parseGrubConfig('{ '.repeat(20_000)), { name: 'MediumError', message: /nests blocks more than 64 deep/ })
  t.throws(() => parseGrubConfig('submenu x { '.repeat(20_000)), MediumError)
  t.equal(parseGrubConfig(`${'submenu x { '.repeat(10)}menuentry y { linux /k }${' }'.repeat(10)}`).length, 1, '10 deep is fine')
})

t.test('a GRUB variable doubled 28 times is a MediumError (was: 2^28 characters, out of memory)', async t => {
  const started = Date.now()
  t.throws(() => parseGrubConfig(`set a=xx\n${'set a="$a$a"\n'.repeat(28)}`), { name: 'MediumError', message: /variable 'a' grows beyond/ })
  t.throws(
    () => parseGrubConfig(`set a=${'x'.repeat(60_000)}\nmenuentry x {\nlinux /k${' $a'.repeat(2000)}\n}\n`),
    { name: 'MediumError', message: /expands to more than/ },
  )
  quick(t, started)
})

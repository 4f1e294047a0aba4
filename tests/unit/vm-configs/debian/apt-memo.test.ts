// apt's answers remembered while apt's state holds: asked once, reused, asked again when a
// file apt reads changes, and kept only when nothing changed while apt was being asked.
import t from 'tap'
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { aptStateFingerprint, rememberedPrintUris } from '../../../../vm-configs/debian/apt-memo.js'
import type { DebRef } from '../../../../vm-configs/debian/debs.js'

const ref = (pkg: string, version: string): DebRef => ({ pkg, version, file: `${pkg}_${version}_amd64.deb`, sha256: '0'.repeat(64) })

t.test('the fingerprint follows the files apt reads', async t => {
  const dir = t.testdir({ lists: { 'a_Packages.lz4': 'one' }, 'arch': 'arm64\n' })
  const fp = () => aptStateFingerprint([join(dir, 'lists')], [join(dir, 'arch'), join(dir, 'missing')])
  const first = fp()
  t.equal(fp(), first, 'stable while nothing changes')
  writeFileSync(join(dir, 'lists', 'a_Packages.lz4'), 'two')
  utimesSync(join(dir, 'lists', 'a_Packages.lz4'), new Date(), new Date(Date.now() + 5000))
  const second = fp()
  t.not(second, first, 'a list rewritten (apt-get update)')
  writeFileSync(join(dir, 'lists', 'b_Packages.lz4'), 'new')
  t.not(fp(), second, 'a list added (a new source)')
  const third = fp()
  writeFileSync(join(dir, 'missing'), '')
  t.not(fp(), third, 'a file that was missing appears (dpkg --add-architecture)')
})

t.test('asked once while the state holds; again when it changes; per package list', async t => {
  const debDir = t.testdir()
  let state = 'A'
  let asked = 0
  const ask = (v: string) => async () => {
    asked++
    return [ref('busybox-static', v)]
  }
  t.same(await rememberedPrintUris(['busybox-static'], debDir, ask('1'), () => state), [ref('busybox-static', '1')])
  t.same(await rememberedPrintUris(['busybox-static'], debDir, ask('2'), () => state), [ref('busybox-static', '1')], 'the kept answer')
  t.equal(asked, 1)
  await rememberedPrintUris(['hello'], debDir, ask('9'), () => state)
  t.equal(asked, 2, 'another package list is another question')
  state = 'B'
  t.same(await rememberedPrintUris(['busybox-static'], debDir, ask('3'), () => state), [ref('busybox-static', '3')], 'apt asked again')
  t.equal(asked, 3)
})

t.test('not kept when apt’s state changed while it was asked; a damaged file is asked again', async t => {
  const debDir = t.testdir()
  let state = 'A'
  let asked = 0
  const changing = async () => {
    asked++
    state = state + '+'
    return [ref('hello', '1')]
  }
  await rememberedPrintUris(['hello'], debDir, changing, () => state)
  await rememberedPrintUris(['hello'], debDir, async () => (asked++, [ref('hello', '2')]), () => state)
  t.equal(asked, 2, 'the first answer was not kept')
  mkdirSync(join(debDir, 'print-uris'), { recursive: true })
  for (const f of readdirSync(join(debDir, 'print-uris'))) writeFileSync(join(debDir, 'print-uris', f), '{not json')
  t.same(await rememberedPrintUris(['hello'], debDir, async () => (asked++, [ref('hello', '3')]), () => state), [ref('hello', '3')])
  t.equal(asked, 3)
})

// The guest commands of folder copies (src/machine/folders.ts), run by the host's sh and
// tar as a guest's would run them: a folder packed and unpacked into another (created,
// same names replaced, others left, a name with a quote), and the named failure when
// there is no tar. (Which paths are folders: statCommand, in guest-transfer.test.ts.)
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packCommand, unpackCommand } from '../../../src/machine/folders.js'

const dir = mkdtempSync(join(tmpdir(), 'bootcheck-folders-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const sh = (command: string, env: NodeJS.ProcessEnv = process.env): { out: string; err: string; status: number | null } => {
  const r = spawnSync('/bin/sh', ['-c', command], { env, encoding: 'utf8' })
  return { out: r.stdout, err: r.stderr, status: r.status }
}

t.test('pack, then unpack into a folder that is created; same names replaced, others left', async t => {
  const src = join(dir, "it's a folder")
  mkdirSync(join(src, 'sub'), { recursive: true })
  writeFileSync(join(src, 'a.txt'), 'new\n')
  writeFileSync(join(src, 'sub', 'b.txt'), 'b\n')
  symlinkSync('a.txt', join(src, 'link'))
  const archive = join(dir, 'x.tar')
  t.equal(sh(packCommand(src, archive)).status, 0)
  const dest = join(dir, 'dest', 'deeper')
  t.equal(sh(unpackCommand(archive, dest)).status, 0, 'unpacked into a folder made for it')
  t.equal(readFileSync(join(dest, 'sub', 'b.txt'), 'utf8'), 'b\n')
  t.equal(readlinkSync(join(dest, 'link')), 'a.txt')
  t.notOk(existsSync(archive), 'the archive is removed')
  writeFileSync(join(dest, 'a.txt'), 'old\n')
  writeFileSync(join(dest, 'mine.txt'), 'mine\n')
  sh(packCommand(src, archive))
  t.equal(sh(unpackCommand(archive, dest)).status, 0)
  t.equal(readFileSync(join(dest, 'a.txt'), 'utf8'), 'new\n', 'same name replaced')
  t.equal(readFileSync(join(dest, 'mine.txt'), 'utf8'), 'mine\n', 'others left')
  const bad = sh(unpackCommand(join(dir, 'missing.tar'), join(dir, 'd2')))
  t.not(bad.status, 0, 'a missing archive fails')
})

t.test('no tar is a named failure', async t => {
  const noTar = sh(packCommand(dir, join(dir, 'y.tar')), { PATH: '/nonexistent' })
  t.equal(noTar.status, 127)
  t.match(noTar.err, /copying a folder needs tar in the guest/)
})

// #26 item 3: `copyFrom` of a guest folder, the guest's side run by the host's sh and tar
// as a guest's shell would run it (a hostile guest packs what it likes): setuid files,
// device nodes, FIFOs and links that leave the destination must not land on the host,
// and a second copy must not write through a link the first (or anyone) left.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CopyContext } from '../../src/machine/files.js'
import { copyPathFromGuest } from '../../src/machine/folders.js'

/** A "guest" whose shell is the host's sh. */
function localGuest(path = process.env.PATH): CopyContext {
  const sh = (command: string) => spawnSync('/bin/sh', ['-c', command], { maxBuffer: 1 << 26, env: { ...process.env, PATH: path } })
  return {
    name: 'hostile',
    timeout: 30_000,
    shares: [],
    run: async c => {
      const r = sh(c)
      return { status: r.status ?? 1, output: r.stdout.toString('latin1'), stderr: r.stderr.toString() }
    },
    runBytes: async c => {
      const r = sh(c)
      return { status: r.status ?? 1, output: r.stdout, stderr: r.stderr.toString() }
    },
    runFeeding: async () => {
      throw new Error('not used by copyFrom')
    },
    mountShares: async () => {},
    step: (_a, _b, fn) => fn(),
  }
}

const isRoot = process.getuid?.() === 0

t.test('setuid files, devices, FIFOs and absolute links do not arrive', async t => {
  const dir = t.testdir()
  const guest = join(dir, 'guest')
  mkdirSync(guest)
  writeFileSync(join(guest, 'su'), '#!/bin/sh\n')
  chmodSync(join(guest, 'su'), 0o6755)
  writeFileSync(join(guest, 'plain.txt'), 'ok\n')
  symlinkSync('/etc/shadow', join(guest, 'abs'))
  symlinkSync('../../../../etc', join(guest, 'up'))
  symlinkSync('plain.txt', join(guest, 'inside'))
  spawnSync('mkfifo', [join(guest, 'fifo')])
  if (isRoot) spawnSync('mknod', ['-m', '0666', join(guest, 'null'), 'c', '1', '3'])
  const host = join(dir, 'host')
  await copyPathFromGuest(localGuest(), guest, host)
  const names = readdirSync(host)
  t.ok(names.includes('plain.txt') && names.includes('inside'), 'plain files and inside links arrive')
  t.equal(lstatSync(join(host, 'su')).mode & 0o7000, 0, 'no setuid/setgid bits')
  t.notOk(names.includes('abs'), 'an absolute link is dropped')
  t.notOk(names.includes('up'), 'a link climbing out is dropped')
  t.notOk(names.includes('fifo'), 'a FIFO is dropped')
  if (isRoot) t.notOk(names.includes('null'), 'a device node is dropped')
})

t.test('a second copy does not write through a link left in the destination', async t => {
  const dir = t.testdir()
  const outside = join(dir, 'outside')
  mkdirSync(outside)
  const guest = join(dir, 'guest')
  mkdirSync(guest)
  symlinkSync(outside, join(guest, 'd'))
  const host = join(dir, 'host')
  await copyPathFromGuest(localGuest(), guest, host)
  // Whatever the first copy left, plus a link planted as an older bootcheck would have left it.
  if (!existsSync(join(host, 'e'))) symlinkSync(outside, join(host, 'e'))
  const guest2 = join(dir, 'guest2')
  mkdirSync(join(guest2, 'd'), { recursive: true })
  mkdirSync(join(guest2, 'e'), { recursive: true })
  writeFileSync(join(guest2, 'd', 'pwn'), 'x')
  writeFileSync(join(guest2, 'e', 'pwn2'), 'x')
  // The hostile guest's tar lists only the files (no folder members), so the host's tar
  // would open d/pwn through whatever d is.
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'tar'), '#!/bin/sh\ncase "$1" in -cf) cd "$4" && exec /usr/bin/tar -cf "$2" --no-recursion $(find . -type f) ;; *) exec /usr/bin/tar "$@" ;; esac\n', { mode: 0o755 })
  await copyPathFromGuest(localGuest(`${bin}:${process.env.PATH}`), guest2, host).catch(() => undefined)
  t.same(readdirSync(outside), [], 'nothing written outside the destination')
  t.ok(lstatSync(join(host, 'e')).isDirectory(), 'the planted link was replaced by the folder')
})

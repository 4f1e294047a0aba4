// 9p shares: the spec checks, the launch plan's shares (tags, absolute host folders), QEMU's
// -fsdev/-device arguments, the guest's mount command and what its failure means.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchPlan, plannedShares, type Prepared } from '../../../src/machine/plan.js'
import { mountCommand, mountError, NO_9P_STATUS } from '../../../src/machine/shares.js'
import { checkSpec } from '../../../src/spec/check.js'
import { ShareError, SpecError } from '../../../src/errors/errors.js'
import { buildQemuArgv } from '../../../src/qemu/argv.js'
import { RESTORE_FIELDS } from '../../../src/spec/spec.js'

const where = { name: 'vm', accel: 'tcg' as const, workDir: '/w' }
const none: Prepared = { disks: [] }

t.test('shares become -fsdev local + virtio-9p-pci, read-only when asked', async t => {
  const spec = { cdrom: 'x.iso', shares: [{ host: 'data', guest: '/mnt/data/' }, { host: '/srv/ro,dir', guest: '/mnt/ro', readOnly: true }] }
  const plan = launchPlan(spec, where, none)
  t.same(plan.shares, [
    { tag: 'share0', host: join(process.cwd(), 'data'), guest: '/mnt/data', readOnly: false },
    { tag: 'share1', host: '/srv/ro,dir', guest: '/mnt/ro', readOnly: true },
  ])
  const argv = buildQemuArgv(plan)
  const fsdevs = argv.flatMap((a, i) => (a === '-fsdev' ? [argv[i + 1]] : []))
  t.same(fsdevs, [`local,id=share0,path=${join(process.cwd(), 'data')},security_model=mapped-xattr`, 'local,id=share1,path=/srv/ro,,dir,security_model=none,readonly=on'])
  t.ok(argv.includes('virtio-9p-pci,fsdev=share1,mount_tag=share1,id=share1-dev'))
  t.equal(buildQemuArgv(launchPlan({ cdrom: 'x.iso' }, where, none)).includes('-fsdev'), false, 'no shares, no 9p device')
})

t.test('bad shares are SpecErrors naming the field, with a snapshot too', async t => {
  const bad: Array<[unknown, RegExp]> = [
    [[{ host: 'x', guest: 'mnt/x' }], /shares\[0\]\.guest must be an absolute path/],
    [[{ host: '', guest: '/mnt/x' }], /shares\[0\]\.host/],
    [[{ guest: '/mnt/x' }], /shares\[0\]\.host/],
    [[{ host: 'x', guest: '/' }], /cannot be a mount point/],
    [[{ host: 'x', guest: '/mnt/a b' }], /cannot be a mount point/],
    [[{ host: 'x', guest: '/mnt/../etc' }], /cannot be a mount point/],
    [[{ host: 'x', guest: '/mnt/x' }, { host: 'y', guest: '/mnt/x/' }], /two shares are mounted at \/mnt\/x/],
  ]
  for (const [shares, message] of bad) t.throws(() => checkSpec({ cdrom: 'x', shares } as never), { name: 'SpecError', message })
  // With from, shares name the folders a failure capsule's machine shares again (docs/capsules.md), checked the same way.
  t.ok((RESTORE_FIELDS as readonly string[]).includes('shares'))
  t.doesNotThrow(() => checkSpec({ from: '/snap', shares: [{ host: 'x', guest: '/mnt/x' }] }))
  t.throws(() => checkSpec({ from: '/snap', shares: [{ host: 'x', guest: '/mnt/x; reboot' }] }), { name: 'SpecError', message: /cannot be a mount point/ })
  t.ok(new SpecError('x') instanceof Error)
})

t.test('the mount command mounts once, and says when the kernel has no 9p', async t => {
  const [share] = plannedShares({ shares: [{ host: '/h', guest: '/mnt/h', readOnly: true }] })
  const cmd = mountCommand(share!)
  t.match(cmd, /mount -t 9p -o trans=virtio,version=9p2000\.L,msize=262144,ro share0 '\/mnt\/h'/)
  t.match(cmd, /grep -qF 'share0 \/mnt\/h 9p ' \/proc\/mounts \|\|/, 'not mounted twice')
  // On this host (no 9p mount possible without root and a virtio transport) the command
  // either finds no 9p or fails to mount: never status 0.
  const dir = mkdtempSync(join(tmpdir(), 'bootcheck-shares-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const local = mountCommand({ tag: 'nosuchtag', host: '/h', guest: join(dir, 'm'), readOnly: false })
  let status = 0
  try {
    execFileSync('sh', ['-c', local], { stdio: 'ignore' })
  } catch (e) {
    status = (e as { status: number }).status
  }
  t.not(status, 0)
  const no9p = mountError('vm', share!, NO_9P_STATUS, 'modprobe 9p: modprobe: FATAL: Module 9p not found\n')
  t.ok(no9p instanceof ShareError)
  t.equal(no9p.code, 'BOOTCHECK_SHARE')
  t.match(no9p.message, /kernel has no 9p file system.*'\/h'.*\/mnt\/h\. Tried: modprobe 9pnet_virtio, modprobe 9p; the guest answered:\n  \| modprobe 9p: modprobe: FATAL: Module 9p not found\n.*OPTIONAL_MODULES/s)
  t.match(mountError('vm', share!, 32, 'mount: mounting share0 on /mnt/h failed: No such device\n').message, /failed \(status 32\):\n  \| mount: mounting share0/)
})

t.test('without 9p the mount command loads each module with its own modprobe and says what the guest answered', async t => {
  // A guest whose kernel has no 9p: a `grep` that finds no 9p in /proc/filesystems, a
  // `modprobe` that records its arguments and finds nothing, a `uname` naming a kernel.
  const dir = mkdtempSync(join(tmpdir(), 'bootcheck-shares-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  const tool = (name: string, body: string): void => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  tool('grep', `[ "$*" = "-qw 9p /proc/filesystems" ] && exit 1; exec /bin/grep "$@"`)
  tool('modprobe', `echo "$#:$*" >> ${join(dir, 'calls')}; echo "modprobe: FATAL: Module $1 not found in directory /lib/modules/6.1.0-test"; exit 1`)
  tool('uname', 'echo 6.1.0-test')
  const [share] = plannedShares({ shares: [{ host: '/h', guest: '/mnt/h' }] })
  const r = spawnSync('sh', ['-c', mountCommand(share!)], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' })
  t.equal(r.status, NO_9P_STATUS, 'exits with the no-9p status')
  t.same(readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean), ['1:9pnet_virtio', '1:9p'], 'one modprobe a module, each with one name (not 9p as a parameter of 9pnet_virtio)')
  t.match(r.stdout, /^modprobe 9pnet_virtio: modprobe: FATAL: Module 9pnet_virtio not found/m)
  t.match(r.stdout, /^modprobe 9p: modprobe: FATAL: Module 9p not found/m)
  t.match(r.stdout, /^kernel 6\.1\.0-test, \/lib\/modules\/6\.1\.0-test: missing$/m, 'says whether the kernel has a modules folder')
  t.match(mountError('vm', share!, r.status!, r.stdout).message, /the guest answered:\n  \| modprobe 9pnet_virtio: modprobe: FATAL/, 'the error quotes the answers')
})

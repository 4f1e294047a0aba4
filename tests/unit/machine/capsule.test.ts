// The pure parts of failure capsules: the failing step found in a step log, the machines
// saved and resumed together (wired by networks), the resume plan's refusals, the mode from
// the environment, finding a capsule in a folder, and the snapshot manifest's rule for a
// capsule's network cards (a network's name, never a socket path).
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CAPSULE_FORMAT,
  capsuleGroup,
  capsuleMode,
  capsuleNetworks,
  createCapsuleDir,
  isCapsuleDirName,
  describeFailure,
  failingStep,
  findCapsule,
  parseActions,
  readCapsule,
  resumePlan,
  writeCapsule,
  type CapsuleMachine,
  type CapsuleManifest,
} from '../../../src/machine/capsule.js'
import { checkManifest } from '../../../src/machine/snapshot-check.js'
import { MANIFEST_FORMAT } from '../../../src/machine/snapshot-manifest.js'
import { CapsuleError, SnapshotError } from '../../../src/errors/errors.js'
import type { ActionRecord } from '../../../src/report/model.js'

const rec = (id: number, action: string, outcome: 'ok' | 'error', extra: Partial<ActionRecord> = {}): ActionRecord => ({
  id, action, args: { command: `c${id}` }, start: '', offsetMs: 0, durationMs: 1, outcome, ...extra,
})

t.test('the failing step is the last that failed; a half-written log line is skipped', async t => {
  const log = [
    rec(1, 'succeed', 'ok', { offsetMs: 0, durationMs: 5 }),
    rec(2, 'succeed', 'error', { offsetMs: 10, durationMs: 50, error: 'CommandFailedError: status 1', console: { from: 10, to: 20 } }),
    rec(3, 'waitForShell', 'error', { parent: 2, offsetMs: 20, durationMs: 40, error: 'TimeoutError: inner' }),
    rec(4, 'succeed', 'ok', { offsetMs: 70, durationMs: 5 }),
  ]
  const text = log.map(r => JSON.stringify(r)).join('\n') + '\n{"id":5,"act'
  const parsed = parseActions(text)
  t.equal(parsed.length, 4)
  t.same(failingStep(parsed), { id: 2, action: 'succeed', args: { command: 'c2' }, error: 'CommandFailedError: status 1', console: { from: 10, to: 20 } }, 'the outer step, not the wait inside it that ended with it')
  t.same(failingStep([...parsed, rec(5, 'expectScreen', 'error', { offsetMs: 80, durationMs: 1, error: 'ScreenMismatchError: x' })])?.id, 5, 'a later failure is the failing step')
  t.equal(failingStep([rec(1, 'succeed', 'ok')]), undefined, 'no failed step: the test failed on an assertion of its own')
})

const m = (name: string, networks: string[], extra: Partial<CapsuleMachine> = {}): CapsuleMachine => ({
  name, dir: name, artifacts: `../${name}`, networks, shares: [], steps: 1, consoleBytes: 0, saveMs: 1, ...extra,
})

t.test('machines wired by networks go together, through a router too; a machine alone goes alone', async t => {
  const all = [m('client', ['lan']), m('router', ['lan', 'wan']), m('outside', ['wan']), m('lonely', []), m('other', ['dmz'])]
  t.same(capsuleGroup(all[0]!, all).map(x => x.name), ['client', 'router', 'outside'])
  t.same(capsuleGroup(all[2]!, all).map(x => x.name), ['client', 'router', 'outside'], 'from either end')
  t.same(capsuleGroup(all[3]!, all).map(x => x.name), ['lonely'])
  t.same(capsuleGroup(m('new', []), all).map(x => x.name), ['new'], 'a machine not registered is its own group')
  t.same(capsuleNetworks(all), [
    { name: 'lan', machines: ['client', 'router'] },
    { name: 'wan', machines: ['router', 'outside'] },
    { name: 'dmz', machines: ['other'] },
  ])
})

const manifest = (machines: CapsuleMachine[]): CapsuleManifest => ({
  format: CAPSULE_FORMAT, test: 'pings', file: '/p/net.test.ts', savedAt: '', failures: ['should be equal'], machines, networks: capsuleNetworks(machines),
})

t.test('a resume brings back the machines asked for with their network peers, and refuses unsaved ones by name', async t => {
  const c = manifest([m('a', ['lan']), m('b', ['lan']), m('c', []), m('shared', [], { dir: undefined, notSaved: 'it shares /srv with 9p' })])
  t.same(resumePlan(c, ['a']).machines.map(x => x.name), ['a', 'b'])
  t.same(resumePlan(c, ['a']).networks, [{ name: 'lan', machines: ['a', 'b'] }])
  t.same(resumePlan(c, ['c']).machines.map(x => x.name), ['c'])
  t.throws(() => resumePlan(c, ['zz']), { name: 'CapsuleError', message: /no machine 'zz' \(it has 'a', 'b', 'c', 'shared'\)/ })
  t.throws(() => resumePlan(c), { name: 'CapsuleError', message: /shared: it shares \/srv with 9p/ }, 'all of them includes the unsaved one')
  t.throws(() => resumePlan(c, ['shared']), CapsuleError)
})

t.test('what failed, in words: the test, its assertions, each machine\'s failing step', async t => {
  const c = manifest([m('a', [], { failingStep: { id: 7, action: 'succeed', args: { command: 'false' }, error: 'CommandFailedError: exit status 1' } }), m('b', [])])
  t.same(describeFailure(c), ["test 'pings' of /p/net.test.ts failed", '  should be equal', '  a: step 7 succeed("false") failed: CommandFailedError: exit status 1'])
})

t.test('BOOTCHECK_CAPSULE turns capsules off; anything else keeps the default', async t => {
  t.equal(capsuleMode({}), 'failed')
  for (const v of ['off', '0', 'false', 'NO']) t.equal(capsuleMode({ BOOTCHECK_CAPSULE: v }), 'off', v)
  t.equal(capsuleMode({ BOOTCHECK_CAPSULE: 'failed' }), 'failed')
})

t.test('a capsule is found from its folder, the test folder, a machine folder in it, or a run folder with one', async t => {
  const root = t.testdir({ run: { artifacts: { 'a.test.ts': { one: { vm: {}, capsule: { vm: {} } }, two: { vm: {} } } } } })
  const test = join(root, 'run/artifacts/a.test.ts/one')
  await writeCapsule(join(test, 'capsule'), manifest([m('vm', [])]))
  const capsule = join(test, 'capsule')
  for (const p of [capsule, test, join(capsule, 'vm'), join(root, 'run')]) t.equal(await findCapsule(p), capsule, p)
  t.equal((await readCapsule(capsule)).machines[0]!.name, 'vm')
  await t.rejects(findCapsule(join(root, 'run/artifacts/a.test.ts/two')), { name: 'CapsuleError', message: /No failure capsule in/ })
  mkdirSync(join(root, 'run/artifacts/a.test.ts/two/capsule'))
  await writeCapsule(join(root, 'run/artifacts/a.test.ts/two/capsule'), manifest([m('vm', [])]))
  await t.rejects(findCapsule(join(root, 'run')), { message: /holds 2 capsules; name one/ })
  await t.rejects(findCapsule(join(root, 'nowhere')), { message: /is not a folder/ })
})

t.test('a capsule manifest naming a folder outside it, or of another format, is refused', async t => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'capsule.json'), JSON.stringify(manifest([m('vm', [], { dir: '../../etc' })])))
  await t.rejects(readCapsule(dir), { name: 'CapsuleError', message: /not a plain name/ })
  writeFileSync(join(dir, 'capsule.json'), JSON.stringify({ format: 9 }))
  await t.rejects(readCapsule(dir), { message: /not a capsule manifest of format 1/ })
  writeFileSync(join(dir, 'capsule.json'), '{')
  await t.rejects(readCapsule(dir), { message: /Cannot read the capsule manifest/ })
})

t.test("a snapshot's card on a network names the network, never a socket or a capture file", async t => {
  const snap = (nics: unknown): unknown => ({
    format: MANIFEST_FORMAT, name: 'c', machine: 'vm', createdAt: '', qemu: { version: '7.2.0', package: '', machineType: 'pc-q35-7.2', accel: 'tcg' },
    plan: { memoryMiB: 512, cpus: 1, firmware: { kind: 'bios' }, disks: [], extraArgs: [], nics },
    files: { disks: [] }, removable: {}, media: [], bases: {}, shellReady: true, shellProtocol: 'x', state: { bytes: 1, sha256: '0'.repeat(64) },
  })
  const card = { id: 'nic-lan', mac: '52:54:00:aa:bb:cc', backend: { kind: 'vde', socketDir: '' } }
  t.doesNotThrow(() => checkManifest(snap([card, { id: 'nic-user', mac: '52:54:00:aa:bb:cd', backend: { kind: 'user' } }]), 'f'))
  t.throws(() => checkManifest(snap([{ ...card, backend: { kind: 'vde', socketDir: '/tmp/evil' } }]), 'f'), SnapshotError, 'a socket path')
  t.throws(() => checkManifest(snap([{ ...card, capture: '/home/u/.bashrc' }]), 'f'), SnapshotError, 'a capture file to write')
  t.throws(() => checkManifest(snap([{ ...card, mac: 'x,romfile=/etc/passwd' }]), 'f'), SnapshotError, 'a MAC that is not one')
})

t.test("a capsule's shares: plain tags and guest paths (the host folder comes from the resume, not from here)", async t => {
  const snap = (shares: unknown): unknown => ({
    format: MANIFEST_FORMAT, name: 'c', machine: 'vm', createdAt: '', qemu: { version: '7.2.0', package: '', machineType: 'pc-q35-7.2', accel: 'tcg' },
    plan: { memoryMiB: 512, cpus: 1, firmware: { kind: 'bios' }, disks: [], extraArgs: [], shares },
    files: { disks: [] }, removable: {}, media: [], bases: {}, shellReady: true, shellProtocol: 'x', state: { bytes: 1, sha256: '0'.repeat(64) },
  })
  const share = { tag: 'share0', host: '/srv/data', guest: '/mnt/data', readOnly: false }
  t.doesNotThrow(() => checkManifest(snap([share]), 'f'))
  t.throws(() => checkManifest(snap([{ ...share, tag: 'x,security_model=none' }]), 'f'), SnapshotError, 'a tag that is not one')
  t.throws(() => checkManifest(snap([{ ...share, guest: '/mnt/x; reboot' }]), 'f'), SnapshotError, 'a guest path with shell characters')
  t.throws(() => checkManifest(snap([{ ...share, extra: 1 }]), 'f'), SnapshotError, 'a field of its own')
})

t.test('a second capsule in one test folder gets its own folder, found like the first', async t => {
  const dir = t.testdir({})
  t.equal(await createCapsuleDir(dir), join(dir, 'capsule'))
  t.equal(await createCapsuleDir(dir), join(dir, 'capsule-2'))
  t.ok(isCapsuleDirName('capsule-2') && isCapsuleDirName('capsule'))
  t.notOk(isCapsuleDirName('capsule-x') || isCapsuleDirName('capsules') || isCapsuleDirName('my-capsule'))
  await writeCapsule(join(dir, 'capsule-2'), manifest([m('vm', [])]))
  t.equal(await findCapsule(dir), join(dir, 'capsule-2'), 'the only one with a manifest')
  await writeCapsule(join(dir, 'capsule'), manifest([m('vm', [])]))
  await t.rejects(findCapsule(dir), { message: /holds 2 capsules; name one/ }, 'with two, the test folder lists them')
})

// #26 item 5: a snapshot folder from a shared CI cache is data, not code. Crafted
// snapshot.json files (QEMU arguments, a writable share of /root shared without being asked, /etc/shadow as the CD,
// a disk id that climbs out of the machine's folder) and a folder others may write must
// end in a SnapshotError before QEMU starts, never in QEMU's argv. No QEMU boots here:
// the restore is prepared (qemu -version, qemu-img) and its plan inspected.
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CapsuleError, SnapshotError } from '../../src/errors/errors.js'
import { MANIFEST_FORMAT, readManifest, SNAPSHOT_MANIFEST } from '../../src/machine/snapshot-manifest.js'
import { prepareRestore } from '../../src/machine/snapshot-restore.js'
import { qemuIdentity } from '../../src/qemu/identity.js'
import { execFileSync } from 'node:child_process'

const QEMU = '/usr/bin/qemu-system-x86_64'
const id = await qemuIdentity(QEMU)

function manifest(): Record<string, any> {
  return {
    format: MANIFEST_FORMAT, name: 'snap', machine: 'vm', createdAt: '2026-01-01T00:00:00Z',
    qemu: { version: id.version, package: '', machineType: id.machineTypes.find(m => m.startsWith('pc-q35')) ?? 'q35', accel: 'tcg' },
    plan: { name: 'vm', accel: 'tcg', memoryMiB: 256, cpus: 1, firmware: { kind: 'bios' }, qmpSocket: '/x/qmp.sock', disks: [], extraArgs: [] },
    files: { disks: [] }, removable: {}, media: [], bases: {}, shellReady: true, shellProtocol: 'x',
    state: { bytes: 16, sha256: '0'.repeat(64) },
  }
}

/** Writes a snapshot folder with `m` as its manifest; prepares its restore; the plan or the error. */
async function restore(root: string, m: Record<string, any>, prepare?: (dir: string) => void, shares?: ReadonlyMap<string, string>): Promise<unknown> {
  mkdirSync(join(root, 'a', 'b', 'work'), { recursive: true })
  mkdirSync(join(root, 'a', 'b', 'art'), { recursive: true })
  const dir = join(root, 'snap')
  mkdirSync(dir, { mode: 0o700 })
  writeFileSync(join(dir, 'state.bin'), Buffer.concat([Buffer.from([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3]), Buffer.alloc(8)]))
  prepare?.(dir)
  writeFileSync(join(dir, SNAPSHOT_MANIFEST), JSON.stringify(m), { mode: 0o400 })
  try {
    const read = await readManifest(dir)
    return (await prepareRestore(dir, read, { name: 'vm', qemu: QEMU, accel: 'tcg', workDir: join(root, 'a', 'b', 'work'), artifactsDir: join(root, 'a', 'b', 'art'), ...(shares ? { shares } : {}) }, {})).plan
  } catch (e) {
    return e
  }
}

t.test('QEMU arguments in the manifest are not run (-plugin)', async t => {
  const m = manifest()
  m.plan.extraArgs = ['-plugin', 'file=/tmp/evil.so']
  t.type(await restore(t.testdir(), m), SnapshotError)
})

t.test('a writable share of /root in the saved plan is never shared by itself', async t => {
  // a failure capsule records its shares; a restore shares only the folders its spec gives
  const m = manifest()
  m.plan.shares = [{ tag: 'share0', host: '/root', guest: '/mnt', readOnly: false }]
  const r = await restore(t.testdir(), m)
  t.type(r, CapsuleError, 'no folder given for /mnt: refused')
  t.match(String((r as Error).message), /shared '\/root' at \/mnt: resume it with that folder shared again/)
  const given = t.testdir({ mine: {} })
  const plan = (await restore(join(given, 'r'), m, undefined, new Map([['/mnt', join(given, 'mine')]]))) as { shares?: { host: string }[] }
  t.same(plan.shares?.map(s => s.host), [join(given, 'mine')], 'the folder given is shared, /root is not')
})

t.test('/etc/shadow as the CD (not among the checksummed media)', async t => {
  const m = manifest()
  m.removable = { cdrom: { medium: '/etc/shadow', trayOpen: false } }
  t.type(await restore(t.testdir(), m), SnapshotError)
})

t.test("a disk id '../../victim' writes no overlay outside the machine's folder", async t => {
  const m = manifest()
  m.files.disks = [{ id: '../../victim', file: 'disk.qcow2' }]
  let root = ''
  const r = await restore(t.testdir(), m, dir => {
    root = join(dir, '..')
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'disk.qcow2'), '1M'])
    writeFileSync(join(root, 'a', 'victim.qcow2'), 'precious')
  })
  t.type(r, SnapshotError)
  t.equal(readFileSync(join(root, 'a', 'victim.qcow2'), 'utf8'), 'precious', 'the unrelated .qcow2 is untouched')
})

t.test('a kernel, initrd or TFTP root outside the snapshot and its media (fw_cfg hands them to the guest)', async t => {
  for (const [field, value] of [['kernel', '/etc/shadow'], ['initrd', '/root/.ssh/id_rsa'], ['net', { tftpRoot: '/root' }]] as const) {
    const m = manifest()
    m.plan[field] = value
    t.type(await restore(t.testdir(), m), SnapshotError, field)
  }
})

t.test('UEFI variables outside the snapshot folder (QEMU would write the file they name)', async t => {
  const m = manifest()
  m.plan.firmware = { kind: 'uefi', code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/etc/passwd' }
  t.type(await restore(t.testdir(), m), SnapshotError)
})

t.test('a snapshot folder others may write is refused', async t => {
  const r = await restore(t.testdir(), manifest(), dir => chmodSync(dir, 0o777))
  t.type(r, SnapshotError)
  t.match(String((r as Error).message), /writable by others/)
})

t.test('a sound manifest still restores (the plan is data from it)', async t => {
  const r = await restore(t.testdir(), manifest())
  t.notOk(r instanceof Error, `no error (${(r as Error)?.message})`)
  t.ok(existsSync(QEMU))
})

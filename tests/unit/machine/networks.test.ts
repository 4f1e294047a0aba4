// The pure parts of networks of machines: stable MAC addresses, the NICs' QEMU arguments
// (vde netdev, MAC, capture, which card boots), the spec checks, the pcap reader/merger,
// frame summaries and DHCP message types, and the group admission of bootAll.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stableMac } from '../../../src/net/mac.js'
import { dhcpMessageType, mergePcaps, readPcap, summarizeFrame, writePcap, type Pcap } from '../../../src/net/pcap.js'
import { buildQemuArgv, type LaunchPlan } from '../../../src/qemu/argv.js'
import { launchPlan, planNics } from '../../../src/machine/plan.js'
import { checkSpec } from '../../../src/spec/check.js'
import { NetworkError, SpecError } from '../../../src/errors/errors.js'
import { interfaceOf, LIST_INTERFACES } from '../../../src/machine/nics.js'
import type { NetworkRef } from '../../../src/spec/spec.js'
import { GroupAdmission } from '../../../src/api/group-admission.js'
import { bigEndianNanoPcap } from '../net/pcap-fixture.js'
import type { AdmissionRequest } from '../../../src/machine/start.js'

const lan: NetworkRef = { name: 'lan', socketDir: '/s/lan', captureDir: '/a/network-lan', test: 't', closed: false }
const wan: NetworkRef = { name: 'wan', socketDir: '/s/wan', captureDir: '/a/network-wan', test: 't', closed: false }

t.test('MAC addresses derive from machine and network names', async t => {
  t.equal(stableMac('client', 'lan'), stableMac('client', 'lan'), 'the same in every run')
  t.match(stableMac('client', 'lan'), /^52:54:00(:[0-9a-f]{2}){3}$/)
  t.not(stableMac('client', 'lan'), stableMac('client', 'wan'), 'another network, another address')
  t.not(stableMac('client', 'lan'), stableMac('server', 'lan'), 'another machine, another address')
  const macs = new Set(Array.from({ length: 200 }, (_, i) => stableMac(`m${i}`, 'lan')))
  t.equal(macs.size, 200, '200 machines on one network get 200 addresses')
})

t.test('NICs in the launch plan and on QEMU\'s command line', async t => {
  const nics = planNics({ nics: [lan, 'user', wan] }, 'router')
  t.same(nics.map(n => n.id), ['nic-lan', 'nic-user', 'nic-wan'])
  t.equal(nics[0]!.mac, stableMac('router', 'lan'))
  t.equal(nics[0]!.capture, '/a/network-lan/router.pcap', 'each NIC writes its own capture in the network\'s folder')
  t.equal(nics[1]!.capture, undefined, 'the user network is not captured')
  const plan = launchPlan({ cdrom: '/x.iso', nics: [lan, 'user'] }, { name: 'router', accel: 'tcg', workDir: '/w' }, { disks: [] })
  const argv = buildQemuArgv(plan).join(' ')
  t.match(argv, `-netdev vde,id=nic-lan.dev,sock=/s/lan -device virtio-net-pci,netdev=nic-lan.dev,id=nic-lan,mac=${stableMac('router', 'lan')},romfile=`)
  t.match(argv, '-object filter-dump,id=nic-lan.dump,netdev=nic-lan.dev,queue=rx,file=/a/network-lan/router.pcap')
  t.match(argv, '-netdev user,id=nic-user.dev -device virtio-net-pci,netdev=nic-user.dev,id=nic-user')
  t.notMatch(argv, /nic-user\.dump/)
  t.match(argv, /ide-cd,drive=cd0,id=cdrom,bootindex=1/, 'the CD boots; a NIC without bootFrom net gets no boot index')
  t.notMatch(argv, /id=nic-lan,[^ ]*bootindex/)

  const client = buildQemuArgv(launchPlan({ nics: ['user', lan, wan], bootFrom: 'net' }, { name: 'c', accel: 'tcg', workDir: '/w' }, { disks: [] })).join(' ')
  t.match(client, /id=nic-lan,mac=[0-9a-f:]+,bootindex=1/, 'with bootFrom net the first network card boots, with its ROM')
  t.match(client, /id=nic-wan,mac=[0-9a-f:]+,romfile=/, 'the others have no ROM')
  t.match(client, /id=nic-user,mac=[0-9a-f:]+,romfile=/)
  const withComma = buildQemuArgv({ name: 'x', accel: 'tcg', memoryMiB: 64, cpus: 1, firmware: { kind: 'bios' }, qmpSocket: '/q', disks: [], extraArgs: [], nics: [{ id: 'nic-a', mac: '52:54:00:00:00:01', backend: { kind: 'vde', socketDir: '/s,x' }, capture: '/c,d.pcap' }] } satisfies LaunchPlan)
  t.ok(withComma.includes('vde,id=nic-a.dev,sock=/s,,x'), 'commas in paths are escaped')
  t.ok(withComma.some(a => a.endsWith('file=/c,,d.pcap')))
})

t.test('spec checks', async t => {
  t.doesNotThrow(() => checkSpec({ nics: [lan], bootFrom: 'net' }), 'a diskless client boots from its network')
  t.throws(() => checkSpec({ nics: [lan] }), SpecError, 'a machine with only a NIC and no bootFrom has nothing to boot')
  t.throws(() => checkSpec({ nics: ['user'], bootFrom: 'net' }), { name: 'SpecError', message: /nothing to boot/ })
  t.throws(() => checkSpec({ cdrom: 'x', nics: [lan, lan] }), { message: /network 'lan' twice/ })
  t.throws(() => checkSpec({ cdrom: 'x', nics: ['user', 'user'] }), { message: /'user' twice/ })
  t.throws(() => checkSpec({ cdrom: 'x', nics: [{ name: 'lan' } as unknown as NetworkRef] }), { message: /nics\[0\] is neither a network/ })
  t.throws(() => checkSpec({ cdrom: 'x', nics: 'lan' as unknown as NetworkRef[] }), { message: /nics must be an array/ })
  t.throws(() => checkSpec({ pxe: { tftpRoot: '/t', bootfile: 'p' }, nics: ['user'] }), { message: /already gives the machine a user-network NIC/ })
  // nics with from name the networks a failure capsule's cards go back onto (a restore of a
  // snapshot without a card there is refused when it is prepared: snapshot-restore.ts)
  t.doesNotThrow(() => checkSpec({ from: '/snap', nics: [lan] } as never))
})

const frame = (src: number, proto: 'udp' | 'tcp', payload: Buffer): Buffer => {
  const eth = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0, src, 0x08, 0x00])
  const l4 = proto === 'udp' ? Buffer.alloc(8) : Buffer.alloc(20)
  l4.writeUInt16BE(68, 0)
  l4.writeUInt16BE(67, 2)
  if (proto === 'tcp') {
    l4[12] = 5 << 4
    l4[13] = 0x12
  }
  const ip = Buffer.alloc(20)
  ip[0] = 0x45
  ip.writeUInt16BE(20 + l4.length + payload.length, 2)
  ip[9] = proto === 'udp' ? 17 : 6
  Buffer.from([10, 0, 0, src]).copy(ip, 12)
  Buffer.from([10, 0, 0, 255]).copy(ip, 16)
  return Buffer.concat([eth, ip, l4, payload])
}

const dhcp = (type: number): Buffer => {
  const b = Buffer.alloc(244)
  b.writeUInt32BE(0x63825363, 236)
  b[240] = 53
  b[241] = 1
  b[242] = type
  b[243] = 255
  return b
}

t.test('pcap: write, read back, merge by time, summaries', async t => {
  const a: Pcap = { linkType: 1, snapLen: 65535, packets: [{ timeUs: 1_000_000, length: 0, data: frame(1, 'udp', dhcp(1)) }, { timeUs: 3_000_005, length: 0, data: frame(1, 'tcp', Buffer.from('hi')) }] }
  a.packets.forEach(p => (p.length = p.data.length))
  const b: Pcap = { linkType: 1, snapLen: 65535, packets: [{ timeUs: 2_000_000, length: 0, data: frame(2, 'udp', dhcp(2)) }] }
  b.packets.forEach(p => (p.length = p.data.length))
  const back = readPcap(writePcap(a))
  t.equal(back.packets.length, 2)
  t.equal(back.packets[1]!.timeUs, 3_000_005, 'microseconds survive')
  t.same(back.packets[0]!.data, a.packets[0]!.data)
  const merged = mergePcaps([readPcap(writePcap(a)), readPcap(writePcap(b))])
  t.same(merged.packets.map(p => summarizeFrame(p.data)!.ip!.src), ['10.0.0.1', '10.0.0.2', '10.0.0.1'], 'ordered by time across files')
  const s = summarizeFrame(merged.packets[0]!.data)!
  t.equal(s.src, '52:54:00:00:00:01')
  t.equal(s.dst, 'ff:ff:ff:ff:ff:ff')
  t.same([s.udp!.srcPort, s.udp!.dstPort], [68, 67])
  t.equal(dhcpMessageType(s.udp!.payload), 1, 'DHCPDISCOVER')
  t.equal(dhcpMessageType(summarizeFrame(merged.packets[1]!.data)!.udp!.payload), 2, 'DHCPOFFER')
  const tcp = summarizeFrame(merged.packets[2]!.data)!.tcp!
  t.equal(tcp.flags, 0x12)
  t.equal(tcp.payload.toString(), 'hi')
  t.equal(dhcpMessageType(Buffer.from('not dhcp')), undefined)
  const cut = writePcap(a).subarray(0, 24 + 16 + a.packets[0]!.data.length + 10)
  t.equal(readPcap(cut).packets.length, 1, 'a file cut inside a frame gives the whole frames before the cut')
  t.throws(() => readPcap(Buffer.alloc(30)), /not a pcap file/)
  t.throws(() => readPcap(Buffer.alloc(3)), /not a pcap file/)
  t.throws(() => mergePcaps([a, { ...b, linkType: 105 }]), /link types/)
  t.equal(summarizeFrame(Buffer.alloc(10)), undefined)
  // big-endian nanosecond file, as other tools write
  const r = readPcap(bigEndianNanoPcap())
  t.equal(r.packets[0]!.timeUs, 5_000_007)
})

t.test('a merged capture is a pcap file tcpdump reads', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'bootcheck-pcap-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const p = (timeUs: number, src: number, type: number) => ({ timeUs, length: 0, data: frame(src, 'udp', dhcp(type)) })
  const merged = mergePcaps([
    { linkType: 1, snapLen: 65535, packets: [p(1_000_000, 1, 1), p(3_000_000, 1, 3)] },
    { linkType: 1, snapLen: 65535, packets: [p(2_000_000, 2, 2)] },
  ])
  merged.packets.forEach(k => (k.length = k.data.length))
  const file = join(dir, 'lan.pcap')
  writeFileSync(file, writePcap(merged))
  const out = execFileSync('tcpdump', ['-nn', '-tt', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const lines = out.trim().split('\n')
  t.equal(lines.length, 3, 'three frames')
  t.match(lines[0]!, /^1\.000000 IP 10\.0\.0\.1\.68 > 10\.0\.0\.255\.67: /)
  t.match(lines[1]!, /^2\.000000 IP 10\.0\.0\.2\.68 > /, 'in time order across the NICs')
  t.match(lines[2]!, /^3\.000000 IP 10\.0\.0\.1\.68 > /)
})

t.test('bootAll\'s group admission: one request for the sum, released when the last machine ends', async t => {
  const requests: AdmissionRequest[] = []
  let released = 0
  let grant!: () => void
  const group = new GroupAdmission(3, async r => {
    requests.push(r)
    await new Promise<void>(res => (grant = res))
    return { status: () => {}, release: () => released++ }
  })
  const ask = (m: string, mem: number) => group.admit({ machine: m, test: 'fleet', memoryMiB: mem, cpus: 1 })
  const p1 = ask('server', 1024)
  const p2 = ask('c1', 512)
  await new Promise(r => setImmediate(r))
  t.equal(requests.length, 0, 'nothing is asked while a member has not asked')
  const p3 = ask('c2', 512)
  await new Promise(r => setImmediate(r))
  t.same(requests, [{ machine: 'server+c1+c2', test: 'fleet', memoryMiB: 2048, cpus: 3 }], 'one request for all three')
  let admitted = 0
  for (const p of [p1, p2, p3]) void p.then(() => admitted++)
  await new Promise(r => setImmediate(r))
  t.equal(admitted, 0, 'they wait together')
  grant()
  const [a1, a2, a3] = await Promise.all([p1, p2, p3])
  a1.release()
  a1.release()
  a2.release()
  t.equal(released, 0, 'the room is held while one machine still runs')
  a3.release()
  t.equal(released, 1, 'and given back once, when the last ends')

  const failing = new GroupAdmission(2, async () => t.fail('must not be asked') as never)
  const waiting = failing.admit({ machine: 'a', test: 'x', memoryMiB: 1, cpus: 1 })
  failing.fail(new Error('b has a bad spec'))
  await t.rejects(waiting, /b has a bad spec/, 'a member that fails before asking releases the others')
  await t.rejects(failing.admit({ machine: 'c', test: 'x', memoryMiB: 1, cpus: 1 }), /bad spec/)
})

t.test('interfaceName: the guest interface with the NIC\'s MAC, or a NetworkError naming those there are', async t => {
  const nic = { id: 'nic-lan', network: 'lan', mac: '52:54:00:ab:cd:ef' }
  const listing = 'lo 00:00:00:00:00:00\neth0 52:54:00:12:34:56\nenp0s4 52:54:00:AB:CD:EF\n'
  t.equal(interfaceOf('router', nic, listing), 'enp0s4', 'found by MAC, in any case')
  t.throws(() => interfaceOf('router', nic, 'lo 00:00:00:00:00:00\n'), NetworkError)
  t.throws(
    () => interfaceOf('router', nic, 'lo 00:00:00:00:00:00\n'),
    /router has no interface with MAC 52:54:00:ab:cd:ef, its NIC on 'lan' \(the guest has: lo 00:00:00:00:00:00\): does its kernel have the card's driver \(virtio_net\) loaded\?/,
  )
  t.match(LIST_INTERFACES, /\/sys\/class\/net/, 'listed from sysfs: no ip(8) needed')
})

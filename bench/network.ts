// Networks of machines, measured in one run:
// - three demo machines on one network booted together (bootAll) to all three shells,
//   beside one machine alone (the baseline);
// - TCP throughput between two guests (busybox nc + dd, 32 MB) on bootcheck's switch
//   (vde_switch), beside QEMU's own point-to-point `-netdev stream` over a Unix socket (the
//   alternative the README weighs it against).
// BENCH_RUNS (default 3) of each, alternating.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot, bootAll, network, stableMac, type Machine, type MachineSpec, type TestContext } from '../src/index.js'
import { interfaceOf, LIST_INTERFACES } from '../src/machine/nics.js'
import { demoMedia, params } from '../vm-configs/demo.js'
import { emit, row, stats } from './lib/report.js'

const media = await demoMedia()
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const MB = 32
const live: MachineSpec = { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media), memory: '512M' }

/** A test context whose teardowns run when `end` is called. */
function context(name: string): TestContext & { end(): Promise<void> } {
  const fns: Array<() => unknown> = []
  return { fullname: `bench > TAP > ${name}`, teardown: fn => void fns.push(fn), end: async () => { for (const f of fns) await f() } }
}

/** The guest's interface with `mac` up, with `ip` (the stream baseline's NICs are QEMU arguments bootcheck does not know). */
async function addr(vm: Machine, mac: string, ip: string): Promise<void> {
  const dev = interfaceOf(vm.name, { id: 'nic', network: 'bench', mac }, await vm.succeed(LIST_INTERFACES))
  await vm.succeed(`ip link set ${dev} up && ip addr add ${ip}/24 dev ${dev}`)
}

/** Seconds for `MB` MB from b to a over TCP; a listens on 10.0.0.1. */
async function throughput(a: Machine, b: Machine): Promise<number> {
  await b.waitUntilSucceeds('ping -c 1 -W 1 10.0.0.1', { timeout: 60_000 })
  await a.succeed('(nc -l -p 5000 > /dev/null </dev/null &); sleep 0.3')
  const t0 = performance.now()
  await b.succeed(`dd if=/dev/zero bs=64k count=${MB * 16} 2>/dev/null | nc 10.0.0.1 5000`, { timeout: 600_000 })
  return MB / ((performance.now() - t0) / 1000)
}

const threeMs: number[] = []
const aloneMs: number[] = []
const vdeMBs: number[] = []
const streamMBs: number[] = []
for (let i = 0; i < RUNS; i++) {
  // one machine alone
  let t0 = performance.now()
  const one = await boot({ ...live, name: 'alone' })
  await one.succeed('true')
  aloneMs.push(performance.now() - t0)
  await one.dispose()

  // three on a network
  const ctx = context('three')
  const lan = await network(ctx, { name: 'lan' })
  t0 = performance.now()
  const m = await bootAll(ctx, { a: { ...live, nics: [lan] }, b: { ...live, nics: [lan] }, c: { ...live, nics: [lan] } })
  await Promise.all(Object.values(m).map(vm => vm.succeed('true')))
  threeMs.push(performance.now() - t0)
  await addr(m.a, m.a.nics[0]!.mac, '10.0.0.1')
  await addr(m.b, m.b.nics[0]!.mac, '10.0.0.2')
  await m.c.dispose()
  vdeMBs.push(await throughput(m.a, m.b))
  await ctx.end()

  // QEMU's stream netdev, point to point over a Unix socket
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-bench-stream-'))
  const sock = join(dir, 's')
  const nic = (mac: string, server: boolean): string[] => [
    '-netdev', `stream,id=s0,server=${server ? 'on' : 'off'},addr.type=unix,addr.path=${sock}`,
    '-device', `virtio-net-pci,netdev=s0,mac=${mac},romfile=`,
  ]
  const sa = await boot({ ...live, name: 'sa', qemuArgs: nic(stableMac('sa', 's'), true) })
  await sa.succeed('true')
  const sb = await boot({ ...live, name: 'sb', qemuArgs: nic(stableMac('sb', 's'), false) })
  await addr(sa, stableMac('sa', 's'), '10.0.0.1')
  await addr(sb, stableMac('sb', 's'), '10.0.0.2')
  streamMBs.push(await throughput(sa, sb))
  await sa.dispose()
  await sb.dispose()
  await rm(dir, { recursive: true, force: true })
}

process.stdout.write(`network (${RUNS} runs each; TCG)\n`)
emit([
  row('network', 'three machines on a network to all shells', 'ms', stats(threeMs), 'one machine alone to its shell', stats(aloneMs)),
  row('network', `TCP between two guests on vde_switch (${MB} MB)`, 'MB/s', stats(vdeMBs), 'QEMU -netdev stream (Unix socket)', stats(streamMBs)),
])

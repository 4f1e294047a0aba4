// Boot and command figures of bootcheck against bare QEMU started with the same argv
// (bench/lib/bare.ts), in the same run, on the demo media booted direct-kernel:
// boot to the first command's answer, a trivial command's round trip, a small output's,
// and `cat` of a 10 MB text file (MB/s of payload; the bare loop's raw `cat` is the
// console's full speed). The trivial command is also compared with the bare round trip
// typed on the same console between two `succeed('true')`, which sees the same host load.
//
//   BENCH_BOOTS (default 3), BENCH_COMMANDS (default 30), BENCH_BIG_MB (default 10; 0 skips)
import { boot, type MachineSpec } from '../src/index.js'
import { detectAccelerator, resolveQemuBinary } from '../src/qemu/accel.js'
import { demoMedia, params } from '../vm-configs/demo.js'
import { startBare, type BareQemu } from './lib/bare.js'
import { emit, row, stats, type Stats } from './lib/report.js'

const BOOTS = Number(process.env.BENCH_BOOTS ?? 3)
const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 30)
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 10)
const media = await demoMedia()
const spec: MachineSpec = { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media) }
const qemu = await resolveQemuBinary(process.env.BOOTCHECK_QEMU ?? 'qemu-system-x86_64')
const { accel } = await detectAccelerator({ qemu })
// The big file: random bytes as base64 text, BIG_MB megabytes of it.
const makeBig = `head -c ${Math.round((BIG_MB * 1e6 * 3) / 4)} /dev/urandom | base64 > /tmp/big`
const pause = (): Promise<void> => new Promise(r => setTimeout(r, 20))

/** Bare: types `cmd; printf '%s%s\n' mk <n>x` and waits for `mk<n>x` (the echo shows `mk <n>x`). */
let seq = 0
async function bare(vm: BareQemu, cmd: string, timeoutMs?: number): Promise<number> {
  const n = seq++
  const t0 = performance.now()
  vm.write(`${cmd}; printf '%s%s\\n' mk ${n}x\r`)
  await vm.waitFor(`mk${n}x\n`, timeoutMs)
  return performance.now() - t0
}

const b = { boot: [] as number[], trivial: [] as number[], small: [] as number[], bigMBps: [] as number[] }
for (let i = 0; i < BOOTS; i++) {
  const t0 = performance.now()
  const vm = await startBare(spec, accel)
  try {
    await vm.waitFor('/ # ')
    await bare(vm, 'true')
    b.boot.push(performance.now() - t0)
    if (i > 0) continue
    for (let j = 0; j < COMMANDS; j++) {
      b.trivial.push(await bare(vm, 'true'))
      await pause()
    }
    for (let j = 0; j < COMMANDS; j++) {
      b.small.push(await bare(vm, 'echo hi'))
      await pause()
    }
    if (BIG_MB > 0) {
      await bare(vm, makeBig, 120_000)
      b.bigMBps.push(BIG_MB / ((await bare(vm, 'cat /tmp/big', 1_200_000)) / 1000))
    }
  } finally {
    await vm.stop()
  }
}

const c = { boot: [] as number[], trivial: [] as number[], sameConsole: [] as number[], small: [] as number[], bigMBps: [] as number[] }
for (let i = 0; i < BOOTS; i++) {
  const t0 = performance.now()
  const vm = await boot({ name: 'bench-commands', accel, ...spec })
  try {
    await vm.succeed('true')
    c.boot.push(performance.now() - t0)
    if (i > 0) continue
    const time = async (cmd: string, want: string): Promise<number> => {
      const s = performance.now()
      const out = await vm.succeed(cmd)
      const ms = performance.now() - s
      if (out !== want) throw new Error(`${cmd} printed ${JSON.stringify(out)}`)
      await pause()
      return ms
    }
    for (let j = 0; j < COMMANDS; j++) {
      c.trivial.push(await time('true', ''))
      // The bare round trip typed on this same console right after, so both see the same load.
      const n = seq++
      const s = performance.now()
      vm.console.sendLine(`true; printf '%s%s\\n' mk ${n}x`)
      await vm.console.waitFor(`mk${n}x\n`)
      c.sameConsole.push(performance.now() - s)
      await pause()
    }
    for (let j = 0; j < COMMANDS; j++) c.small.push(await time('echo hi', 'hi\n'))
    if (BIG_MB > 0) {
      const size = Number((await vm.succeed(`${makeBig}; wc -c </tmp/big`, { timeout: 120_000 })).trim())
      const s = performance.now()
      const big = await vm.succeed('cat /tmp/big', { timeout: 1_200_000 })
      const ms = performance.now() - s
      if (big.length !== size) throw new Error(`cat /tmp/big: ${big.length} bytes instead of ${size}`)
      c.bigMBps.push(BIG_MB / (ms / 1000))
    }
  } finally {
    await vm.dispose()
  }
}

const s = (xs: number[]): Stats => stats(xs)
process.stdout.write(`demo media, direct kernel boot, ${accel}; ${BOOTS} boots each, ${COMMANDS} commands each; ratio = bootcheck / bare\n`)
const rows = [
  row('commands', 'boot to first command answer', 'ms', s(c.boot), 'bare QEMU', s(b.boot)),
  row('commands', "succeed('true')", 'ms', s(c.trivial), 'bare true', s(b.trivial)),
  row('commands', "succeed('true'), interleaved", 'ms', s(c.trivial), 'bare true, same VM', s(c.sameConsole)),
  row('commands', "succeed('echo hi')", 'ms', s(c.small), 'bare echo hi', s(b.small)),
]
if (BIG_MB > 0) rows.push(row('commands', `succeed('cat ${BIG_MB} MB file')`, 'MB/s', s(c.bigMBps), 'bare cat', s(b.bigMBps)))
emit(rows)

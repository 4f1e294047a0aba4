// File copies (vm.copyTo, vm.copyFrom) over the serial console and over a 9p share, in
// KB/s (serial) or MB/s (9p) of file payload, each beside a baseline on the same machine in the same run:
//   - copyTo over serial: the same file's base64 typed in one go into `head -n` with the
//     echo off (the console's raw input rate, no chunks, no checks);
//   - copyFrom over serial: `base64` of the same file printed on the console, up to a
//     marker (the console's raw output rate for the same text, no protocol, no checks);
//   - copyTo / copyFrom over 9p: `cp` between the share and /root in the guest, typed on
//     the console up to a marker (the share's raw rate, no host copy, no checksums).
// One machine (the demo system, direct kernel boot, a 9p share) serves all rows.
//
//   BENCH_FILES_RUNS (default 3), BENCH_SERIAL_MB (default 0.25), BENCH_9P_MB (default 20)
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot, type Machine } from '../src/index.js'
import { detectAccelerator, resolveQemuBinary } from '../src/qemu/accel.js'
import { UPLOAD_LINE } from '../src/guest/transfer.js'
import { demoMedia, params } from '../vm-configs/demo.js'
import { emit, row, stats } from './lib/report.js'

const RUNS = Number(process.env.BENCH_FILES_RUNS ?? 3)
const SERIAL_MB = Number(process.env.BENCH_SERIAL_MB ?? 0.25)
const SHARE_MB = Number(process.env.BENCH_9P_MB ?? 20)
const media = await demoMedia()
const qemu = await resolveQemuBinary(process.env.BOOTCHECK_QEMU ?? 'qemu-system-x86_64')
const { accel } = await detectAccelerator({ qemu })
const dir = mkdtempSync(join(tmpdir(), 'bootcheck-bench-files-'))
const share = join(dir, 'share')
mkdirSync(share)

let seq = 0
/** Types `cmd; printf marker` on the console and waits for the marker: the bare round trip. */
async function bare(vm: Machine, cmd: string): Promise<number> {
  const n = seq++
  const t0 = performance.now()
  vm.console.sendLine(`${cmd}; printf '%s%s\\n' mk ${n}x`)
  await vm.console.waitFor(`mk${n}x\n`, { timeout: 1_200_000 })
  return performance.now() - t0
}

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000)
const kbps = (bytes: number, ms: number): number => bytes / 1e3 / (ms / 1000)
const r = { to: [] as number[], toRaw: [] as number[], from: [] as number[], fromRaw: [] as number[], to9p: [] as number[], to9pRaw: [] as number[], from9p: [] as number[], from9pRaw: [] as number[] }
const vm = await boot({ name: 'bench-files', accel, cdrom: media.iso, kernel: media.kernel, initrd: media.initrd, kernelParams: params(media), shares: [{ host: share, guest: '/mnt/share' }] })
try {
  await vm.succeed('true')
  const small = randomBytes(Math.round(SERIAL_MB * 1e6))
  const big = randomBytes(Math.round(SHARE_MB * 1e6))
  writeFileSync(join(dir, 'small.bin'), small)
  writeFileSync(join(dir, 'big.bin'), big)
  const b64 = small.toString('base64')
  const lines: string[] = []
  for (let i = 0; i < b64.length; i += UPLOAD_LINE) lines.push(b64.slice(i, i + UPLOAD_LINE))
  for (let i = 0; i < RUNS; i++) {
    r.to.push(kbps(small.length, (await vm.copyTo(join(dir, 'small.bin'), '/root/small.bin', { via: 'serial' })).durationMs))
    // Raw input: the same text typed in one go (the ready marker keeps it from the line editor).
    const n = seq++
    vm.console.sendLine(`stty -echo; printf '%s%s\\n' rd ${n}y; head -n ${lines.length} > /tmp/raw.b64; stty echo; printf '%s%s\\n' mk ${n}x`)
    await vm.console.waitFor(`rd${n}y\n`)
    const t0 = performance.now()
    vm.console.send(lines.join('\n') + '\n')
    await vm.console.waitFor(`mk${n}x\n`, { timeout: 1_200_000 })
    r.toRaw.push(kbps(small.length, performance.now() - t0))
    r.from.push(kbps(small.length, (await vm.copyFrom('/root/small.bin', join(dir, 'small-back.bin'), { via: 'serial' })).durationMs))
    r.fromRaw.push(kbps(small.length, await bare(vm, 'base64 /root/small.bin')))
    r.to9p.push(mbps(big.length, (await vm.copyTo(join(dir, 'big.bin'), '/root/big.bin', { via: '9p' })).durationMs))
    writeFileSync(join(share, 'raw.bin'), big)
    r.to9pRaw.push(mbps(big.length, await bare(vm, 'cp /mnt/share/raw.bin /root/raw.bin')))
    r.from9p.push(mbps(big.length, (await vm.copyFrom('/root/big.bin', join(dir, 'big-back.bin'), { via: '9p' })).durationMs))
    r.from9pRaw.push(mbps(big.length, await bare(vm, 'cp /root/raw.bin /mnt/share/raw-back.bin && sync')))
    await vm.succeed('rm -f /root/raw.bin /mnt/share/raw-back.bin /tmp/raw.b64')
  }
} finally {
  await vm.dispose()
  rmSync(dir, { recursive: true, force: true })
}
process.stdout.write(`demo media, direct kernel boot, ${accel}; ${RUNS} runs; serial ${SERIAL_MB} MB, 9p ${SHARE_MB} MB of random bytes; KB/s or MB/s of file payload; ratio = bootcheck / baseline\n`)
emit([
  row('files', 'copyTo over serial', 'KB/s', stats(r.to), 'same base64 typed in one go', stats(r.toRaw)),
  row('files', 'copyFrom over serial', 'KB/s', stats(r.from), 'base64 of it printed on the console', stats(r.fromRaw)),
  row('files', 'copyTo over 9p', 'MB/s', stats(r.to9p), 'cp from the share in the guest', stats(r.to9pRaw)),
  row('files', 'copyFrom over 9p', 'MB/s', stats(r.from9p), 'cp to the share in the guest', stats(r.from9pRaw)),
])

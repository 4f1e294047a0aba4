// Other architectures under TCG: boot to the first command of the demo boards (aarch64
// virt, mips64el malta; direct kernel boot) with bootcheck, against bare QEMU started with
// the same argv (bench/lib/bare.ts) in the same run; and on aarch64, restoring a snapshot
// + the first command against a cold boot + the first command.
import { boot, ARCH_PROFILES, type MachineSpec } from '../src/index.js'
import { boardMedia } from '../vm-configs/demo.js'
import { startBare } from './lib/bare.js'
import { emit, row, stats } from './lib/report.js'

const BOOTS = Number(process.env.BENCH_BOOTS ?? 3)

/** Bare: waits for the board init's banner, then types `true` and waits for a marker. */
async function bareBoot(spec: MachineSpec): Promise<number> {
  const t0 = performance.now()
  const vm = await startBare(spec, 'tcg', ARCH_PROFILES[spec.arch!].qemu)
  try {
    await vm.waitFor('board: bootcheck ')
    vm.write("true; printf '%s%s\\n' mk 0x\r")
    await vm.waitFor('mk0x\n')
    return performance.now() - t0
  } finally {
    await vm.stop()
  }
}

async function bootcheckBoot(spec: MachineSpec): Promise<number> {
  const t0 = performance.now()
  const vm = await boot({ name: 'bench-board', ...spec })
  try {
    await vm.succeed('true')
    return performance.now() - t0
  } finally {
    await vm.dispose()
  }
}

const rows = []
for (const arch of ['aarch64', 'mips64el'] as const) {
  const m = await boardMedia(arch)
  const spec: MachineSpec = { arch, kernel: m.kernel, initrd: m.initrd, kernelParams: m.kernelParams, memory: '512M' }
  const bare: number[] = []
  const ours: number[] = []
  // interleaved, so a busy moment of the host hits both
  for (let i = 0; i < BOOTS; i++) {
    bare.push(await bareBoot(spec))
    ours.push(await bootcheckBoot(spec))
  }
  rows.push(row('boards', `${arch}: boot to first command (bootcheck)`, 'ms', stats(ours), `${arch}: bare QEMU, same argv`, stats(bare)))
}

// aarch64 snapshot: restore + first command against a cold boot + first command
const arm = await boardMedia('aarch64')
const armSpec: MachineSpec = { arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.kernelParams, memory: '512M' }
const src = await boot({ name: 'bench-board-src', ...armSpec })
await src.succeed('true')
const snap = await src.snapshot({ name: 'bench-board' })
await src.dispose()
const cold: number[] = []
const warm: number[] = []
for (let i = 0; i < BOOTS; i++) {
  cold.push(await bootcheckBoot(armSpec))
  const t0 = performance.now()
  const vm = await boot({ from: snap, name: 'bench-board-restored' })
  await vm.succeed('true')
  warm.push(performance.now() - t0)
  await vm.dispose()
}
await snap.remove()
rows.push(row('boards', 'aarch64: snapshot restore + first command', 'ms', stats(warm), 'aarch64: cold boot + first command', stats(cold)))
emit(rows)

// Other architectures under TCG: boot to the first command of the demo boards (aarch64
// virt, mips64el malta; direct kernel boot) with bootcheck, against bare QEMU started with
// the same argv (bench/lib/bare.ts) in the same run: with the board's prompt given
// (`shellPrompt`) and without (bootcheck then waits for a second of quiet after a
// prompt-looking line). On aarch64, restoring a snapshot + the first command against a cold
// boot + the first command: of the direct-kernel board (a 6 s boot) and of the live ISO
// through AAVMF and GRUB (the boot a test suite would snapshot).
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

/** The demo boards' prompt (vm-configs/debian/boards/init.sh sets PS1='# '). */
const BOARD_PROMPT = /^# $/

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
  const known: number[] = []
  const unknown: number[] = []
  // One boot of each first, not counted: the first boot of a process loads modules and
  // warms caches (400 ms more than the next ones for bootcheck on aarch64).
  await bareBoot(spec)
  await bootcheckBoot({ ...spec, shellPrompt: BOARD_PROMPT })
  // interleaved, so a busy moment of the host hits all three
  for (let i = 0; i < BOOTS; i++) {
    bare.push(await bareBoot(spec))
    known.push(await bootcheckBoot({ ...spec, shellPrompt: BOARD_PROMPT }))
    unknown.push(await bootcheckBoot(spec))
  }
  rows.push(row('boards', `${arch}: boot to first command (bootcheck, shellPrompt given)`, 'ms', stats(known), `${arch}: bare QEMU, same argv`, stats(bare)))
  rows.push(row('boards', `${arch}: boot to first command (bootcheck, prompt not given)`, 'ms', stats(unknown), `${arch}: bare QEMU, same argv`, stats(bare)))
}

// aarch64 snapshots: restore + first command against a cold boot + first command
async function restoreAgainstCold(label: string, spec: MachineSpec): Promise<void> {
  const src = await boot({ name: 'bench-board-src', ...spec })
  await src.succeed('true')
  const snap = await src.snapshot({ name: 'bench-board' })
  await src.dispose()
  const cold: number[] = []
  const warm: number[] = []
  try {
    for (let i = 0; i < BOOTS; i++) {
      cold.push(await bootcheckBoot(spec))
      const t0 = performance.now()
      const vm = await boot({ from: snap, name: 'bench-board-restored' })
      await vm.succeed('true')
      warm.push(performance.now() - t0)
      await vm.dispose()
    }
  } finally {
    await snap.remove()
  }
  rows.push(row('boards', `aarch64 ${label}: snapshot restore + first command`, 'ms', stats(warm), `aarch64 ${label}: cold boot + first command`, stats(cold)))
}

const arm = await boardMedia('aarch64')
await restoreAgainstCold('direct kernel', { arch: 'aarch64', kernel: arm.kernel, initrd: arm.initrd, kernelParams: arm.kernelParams, memory: '512M', shellPrompt: BOARD_PROMPT })
await restoreAgainstCold('live ISO (AAVMF, GRUB)', { arch: 'aarch64', cdrom: arm.iso!, memory: '512M', shellPrompt: BOARD_PROMPT })
emit(rows)

// A runner interrupted during a boot leaves no QEMU behind: on SIGINT and SIGTERM it ends
// its machines by pid; on SIGKILL the kernel's parent-death signal ends them, and the
// temporary folder left behind is removed by the next run's sweep.
import t from 'tap'
import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { alive } from './process.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { sleep } from '../../src/util/sleep.js'
import { sweepDeadScratch } from '../../src/util/scratch.js'
import { MACHINE_SCRATCH_PREFIX } from '../../src/machine/start.js'

await demoMedia() // build before timing anything
const fixture = fileURLToPath(new URL('./fixtures/hold-machine.ts', import.meta.url))
// The fixture's temporary folders go in a folder of this test's own: any `bootcheck run`
// starting meanwhile (nested runs of other files) sweeps /tmp of dead owners' folders, and
// would remove the one SIGKILL leaves before this test looks at it.
const tmp = mkdtempSync(join(tmpdir(), 'bootcheck-interrupt-test-'))
t.teardown(() => rmSync(tmp, { recursive: true, force: true }))


async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!alive(pid)) return true
    await sleep(100)
  }
  return !alive(pid)
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
  t.test(`${signal} during a boot ends the machine`, async t => {
    const child = execa(process.execPath, ['--import', 'tsx', fixture], { reject: false, stderr: 'inherit', env: { TMPDIR: tmp } })
    let qemuPid = 0
    let artifacts = ''
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /QEMU_PID=(\d+)/.exec(out)
        if (m) qemuPid = Number(m[1])
        const a = /ARTIFACTS=(\S+)/.exec(out)
        if (a) artifacts = a[1]!
        if (out.includes('BOOTING')) resolve()
      })
      child.once('exit', () => reject(new Error(`fixture exited early: ${out}`)))
    })
    t.teardown(() => {
      if (alive(qemuPid)) process.kill(qemuPid, 'SIGKILL')
    })
    t.ok(alive(qemuPid), 'QEMU runs while the guest boots')
    child.kill(signal)
    const r = await child
    if (signal === 'SIGKILL') t.equal(r.signal, 'SIGKILL')
    else t.equal(r.exitCode, signal === 'SIGINT' ? 130 : 143, 'the runner exits with the signal’s status')
    t.ok(await gone(qemuPid, 5000), `QEMU ${qemuPid} is gone`)
    // The machine's temporary folder (overlays, QMP socket) goes with it; after SIGKILL
    // nothing could remove it, so the next run's start does (its owner is dead).
    const command = readFileSync(join(artifacts, 'qemu-command.txt'), 'utf8')
    const scratch = /(\/\S*\/bootcheck-vm-[A-Za-z0-9]+)\/qmp\.sock/.exec(command)?.[1]
    t.ok(scratch, 'the command line names the temporary folder')
    if (signal !== 'SIGKILL') t.notOk(existsSync(scratch!), `${scratch} is removed`)
    else {
      t.ok(existsSync(scratch!), `${scratch} is left by the killed process`)
      t.ok(sweepDeadScratch([MACHINE_SCRATCH_PREFIX], dirname(scratch!)).includes(scratch!), 'the sweep at the next start removes it')
      t.notOk(existsSync(scratch!))
    }
  })
}

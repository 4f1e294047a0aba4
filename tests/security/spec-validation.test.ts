// #26 item 9: values a machine spec may not hold, each a named SpecError from checkSpec
// (which startMachine calls before anything starts), never a raw TypeError, a silently
// different machine, or text injected into QEMU's option lists.
import t from 'tap'
import { SpecError } from '../../src/errors/errors.js'
import { checkSpec } from '../../src/spec/check.js'
import type { MachineSpec } from '../../src/spec/spec.js'

const base = { cdrom: '/media/live.iso' }
const cases: Array<[string, Record<string, unknown>]> = [
  ["firmware 'efi' (would boot BIOS)", { firmware: 'efi' }],
  ["bootFrom 'floppy'", { bootFrom: 'floppy' }],
  ["accel 'xen'", { accel: 'xen' }],
  ["shellProbe 'loud'", { shellProbe: 'loud' }],
  ["shellPrompt '(' (no regular expression)", { shellPrompt: '(' }],
  ['shellPrompt /# $/g (stateful flag)', { shellPrompt: /# $/g }],
  ['shellPrompt 42', { shellPrompt: 42 }],
  ["kernelParams 'quiet' (a string)", { kernel: '/k', kernelParams: 'quiet' }],
  ['disks [null]', { disks: [null] }],
  ["qemuArgs '-snapshot' (a string)", { qemuArgs: '-snapshot' }],
  ['a disk id injecting into -drive', { disks: [{ size: '1G', id: 'x,file=/etc/shadow,if=none,id=y' }] }],
  ['a disk id used twice', { disks: [{ size: '1G', id: 'a' }, { size: '1G', id: 'a' }] }],
  ['a 30-day timeout (overflows to 1 ms)', { timeout: 30 * 24 * 3600 * 1000 }],
  ['a 30-day bootTimeout', { bootTimeout: 30 * 24 * 3600 * 1000 }],
  ["memory '9999G'", { memory: '9999G' }],
  ['cpus 1e6', { cpus: 1e6 }],
  ["a share's guest path with $()", { shares: [{ host: '/tmp', guest: '/mnt/$(reboot)' }] }],
  ['login.user a number', { login: { user: 5 } }],
]

for (const [what, fields] of cases) {
  t.test(what, async t => {
    let thrown: unknown
    try {
      checkSpec({ ...base, ...fields } as unknown as MachineSpec)
    } catch (e) {
      thrown = e
    }
    t.type(thrown, SpecError, `a SpecError (got ${thrown === undefined ? 'nothing' : `${(thrown as Error).name}: ${(thrown as Error).message}`})`)
  })
}

t.test('sound specs still pass', async t => {
  t.doesNotThrow(() => checkSpec({ ...base, firmware: 'uefi', memory: '1G', cpus: 2, timeout: 60_000, disks: [{ size: '1G', id: 'data-1' }], qemuArgs: ['-snapshot'] }))
})

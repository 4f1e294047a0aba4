// The pure spec → launch plan step, for every boot mode, and the spec checks before it.
import t from 'tap'
import { bootMedia, kernelSource, launchPlan, diskOverlays, type Prepared } from '../../../src/machine/plan.js'
import { checkSpec } from '../../../src/spec/check.js'
import { SpecError } from '../../../src/errors/errors.js'
import { buildQemuArgv } from '../../../src/qemu/argv.js'
import type { MachineSpec } from '../../../src/spec/spec.js'

const where = { name: 'vm', accel: 'tcg' as const, workDir: '/w' }
const none: Prepared = { disks: [] }
const after = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []))

t.test('direct kernel boot: kernel, initrd and the whole command line from the spec', async t => {
  const spec: MachineSpec = { kernel: 'k/bzImage', initrd: 'k/initrd', kernelParams: ['console=ttyS0', 'quiet'] }
  t.equal(kernelSource(spec), 'kernel')
  const plan = launchPlan(spec, where, none)
  t.match(plan, { kernel: /\/k\/bzImage$/, initrd: /\/k\/initrd$/, append: 'console=ttyS0 quiet', firmware: { kind: 'bios' } })
  t.equal(plan.memoryMiB, 1024, 'default memory 1G')
  t.equal(plan.cpus, 1)
  t.equal(plan.qmpSocket, '/w/qmp.sock')
  const argv = buildQemuArgv(plan)
  t.same(after(argv, '-append'), ['console=ttyS0 quiet'])
})

t.test("an ISO entry: the extracted kernel with the entry's parameters, then the spec's; the ISO stays attached", async t => {
  const spec: MachineSpec = { cdrom: 'live.iso', kernelParams: ['copytoram'] }
  t.equal(kernelSource(spec), 'iso-entry')
  t.equal(kernelSource({ cdrom: 'live.iso', bootEntry: 'rescue' }), 'iso-entry', 'bootEntry alone boots the entry directly too')
  const prepared: Prepared = { disks: [], isoEntry: { kernel: '/w/kernel', initrd: '/w/initrd', params: ['boot=live', 'console=ttyS0'] } }
  const plan = launchPlan(spec, where, prepared)
  t.match(plan, { cdrom: /\/live\.iso$/, kernel: '/w/kernel', initrd: '/w/initrd', append: 'boot=live console=ttyS0 copytoram' })
  t.throws(() => launchPlan(spec, where, none), /not extracted/, 'a caller that skipped extraction is a bug, said at once')
})

t.test('an ISO without parameters boots through its own boot loader', async t => {
  const spec: MachineSpec = { cdrom: 'live.iso' }
  t.equal(kernelSource(spec), 'firmware')
  const plan = launchPlan(spec, where, none)
  t.equal(plan.kernel, undefined)
  t.match(plan.cdrom, /live\.iso$/)
})

t.test('PXE: the served root and boot file on the NIC; kernelParams go nowhere near an ISO entry', async t => {
  const spec: MachineSpec = { pxe: { tftpRoot: '/srv/tftp', bootfile: 'pxelinux.0' }, bootFrom: 'net' }
  t.equal(kernelSource(spec), 'firmware')
  const plan = launchPlan(spec, where, { disks: [], net: { tftpRoot: '/w/tftp', bootfile: 'pxelinux.0' } })
  t.same(plan.net, { tftpRoot: '/w/tftp', bootfile: 'pxelinux.0' })
  t.equal(plan.bootFrom, 'net')
  t.ok(buildQemuArgv(plan).some(a => a.includes('tftp=/w/tftp') && a.includes('bootfile=pxelinux.0')))
})

t.test('iPXE: an HTTP boot file; kernelParams with a cdrom beside it do not extract the ISO', async t => {
  const spec: MachineSpec = { ipxe: { httpRoot: '/srv/http' }, cdrom: 'x.iso', kernelParams: ['a=1'] }
  t.equal(kernelSource(spec), 'firmware')
  const plan = launchPlan(spec, where, { disks: [], net: { bootfile: 'http://10.0.2.2:1234/bootcheck-chain.ipxe' } })
  t.equal(plan.append, undefined, 'the parameters travel in the chain script, not -append')
  t.match(plan.net, { bootfile: /^http:\/\/10\.0\.2\.2:\d+\// })
})

t.test('UEFI firmware, disks, USB, tablet, memory, cpus and extra arguments', async t => {
  const spec: MachineSpec = {
    firmware: 'uefi',
    disks: ['a.img', { image: 'b.qcow2', id: 'data' }],
    usb: 'stick.img',
    tablet: true,
    memory: '1.5G',
    cpus: 2,
    qemuArgs: ['-rtc', 'base=utc'],
  }
  const overlays = diskOverlays(spec, '/w')
  t.same(overlays, [
    { id: 'disk0', image: 'a.img', file: '/w/disk0.qcow2' },
    { id: 'data', image: 'b.qcow2', file: '/w/data.qcow2' },
  ])
  const plan = launchPlan(spec, where, {
    disks: overlays.map(({ id, file }) => ({ id, file })),
    usb: '/w/usb.qcow2',
    firmware: { kind: 'uefi', code: '/ovmf/CODE.fd', vars: '/w/VARS.fd' },
  })
  t.same(plan.firmware, { kind: 'uefi', code: '/ovmf/CODE.fd', vars: '/w/VARS.fd' })
  t.match(plan, { usb: '/w/usb.qcow2', tablet: true, memoryMiB: 1536, cpus: 2, extraArgs: ['-rtc', 'base=utc'] })
  t.equal(plan.disks.length, 2)
})

t.test('bad specs are SpecErrors naming the field, before anything starts', async t => {
  const bad: Array<[MachineSpec, RegExp]> = [
    [{}, /nothing to boot/],
    [{ pxe: { tftpRoot: '/', bootfile: 'x' }, ipxe: { httpRoot: '/' } }, /pxe or ipxe, not both/],
    [{ kernel: 'k', pxe: { tftpRoot: '/', bootfile: 'x' } }, /exclude each other/],
    [{ pxe: { tftpRoot: '/', bootfile: 'x' }, kernelParams: ['a'] }, /comes from the boot loader/],
    [{ cdrom: 'x', bootFrom: 'net' }, /bootFrom 'net' needs pxe, ipxe or a network in nics/],
    [{ cdrom: 'x', initrd: 'i' }, /initrd given without kernel/],
    [{ disks: ['d'], kernelParams: ['a'] }, /kernelParams need a kernel/],
    [{ cdrom: 'x', cpus: 0 }, /cpus must be/],
    [{ cdrom: 'x', name: 'a b' }, /name must be letters/],
    [{ cdrom: 'x', memory: '0' }, /less than 16 MiB/],
    [{ cdrom: 'x', memory: 'lots' }, /cannot read "lots"/],
    [{ cdrom: 'x', timeout: -1 }, /timeout must be/],
  ]
  for (const [spec, why] of bad) {
    const e = (() => {
      try {
        checkSpec(spec)
      } catch (e) {
        return e
      }
      return undefined
    })()
    t.type(e, SpecError, JSON.stringify(spec))
    t.match((e as SpecError).message, why)
    t.equal((e as SpecError).code, 'BOOTCHECK_SPEC')
  }
  t.doesNotThrow(() => checkSpec({ cdrom: 'x', memory: '512M', cpus: 2, name: 'ok-1' }))
})

t.test('which media are checked as boot media', async t => {
  t.same(bootMedia({ cdrom: 'a.iso', disks: ['blank.img'] }), [{ path: 'a.iso', role: 'cdrom' }], 'a disk beside a CD may be blank')
  t.same(bootMedia({ usb: 'stick.img' }), [{ path: 'stick.img', role: 'usb' }])
  t.same(bootMedia({ usb: 'stick.img', cdrom: 'a.iso' }), [{ path: 'a.iso', role: 'cdrom' }])
  t.same(bootMedia({ usb: 'stick.img', cdrom: 'a.iso', bootFrom: 'usb' }), [{ path: 'a.iso', role: 'cdrom' }, { path: 'stick.img', role: 'usb' }])
  t.same(bootMedia({ disks: ['os.img', 'data.img'] }), [{ path: 'os.img', role: 'disk' }], 'only the first disk boots')
  t.same(bootMedia({ kernel: 'k', disks: ['blank.img'] }), [], 'a direct kernel boot boots no medium')
  t.same(bootMedia({ pxe: { tftpRoot: '/', bootfile: 'x' }, disks: ['blank.img'] }), [], 'nor does a network boot')
  t.same(bootMedia({ cdrom: 'a.iso', disks: ['os.img'], bootFrom: 'disk' }), [{ path: 'a.iso', role: 'cdrom' }, { path: 'os.img', role: 'disk' }])
})

t.test('memory is parsed once: checkSpec returns it and the plan carries it', async t => {
  t.equal(checkSpec({ cdrom: 'x.iso', memory: '1.5G' }).memoryMiB, 1536)
  t.equal(checkSpec({ cdrom: 'x.iso' }).memoryMiB, 1024, 'the default')
  t.equal(checkSpec({ from: '/snap' }).memoryMiB, undefined, "a restore has its snapshot's")
  const checked = checkSpec({ cdrom: 'x.iso', memory: 700 })
  t.equal(launchPlan({ cdrom: 'x.iso', memory: 'not read again' }, { ...where, memoryMiB: checked.memoryMiB }, none).memoryMiB, 700)
})

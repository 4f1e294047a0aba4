import t from 'tap'
import { buildQemuArgv, escapeOpt, shellQuote, type LaunchPlan } from '../../../src/qemu/argv.js'
import { parseMemory } from '../../../src/spec/spec.js'

const base: LaunchPlan = {
  name: 'vm',
  accel: 'tcg',
  memoryMiB: 1024,
  cpus: 2,
  firmware: { kind: 'bios' },
  qmpSocket: '/tmp/x/qmp.sock',
  disks: [],
  extraArgs: [],
}

const after = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []))

t.test('basics: no defaults, accel, memory, serial on stdio, QMP socket', async t => {
  const a = buildQemuArgv(base)
  t.ok(a.includes('-nodefaults'))
  t.same(after(a, '-accel'), ['tcg'])
  t.notOk(a.includes('-cpu'), 'no -cpu host under TCG')
  t.same(after(a, '-m'), ['1024M'])
  t.same(after(a, '-smp'), ['2'])
  t.same(after(a, '-serial'), ['chardev:serial0'])
  t.ok(after(a, '-chardev').includes('stdio,id=serial0,signal=off'))
  t.ok(after(a, '-chardev').includes('socket,id=qmp,path=/tmp/x/qmp.sock,server=on,wait=off'))
  t.same(after(a, '-mon'), ['chardev=qmp,mode=control'])
  t.notOk(a.includes('-kernel'))
  t.notOk(a.some(x => x.includes('pflash')))
})

t.test('tcgSingleThread runs every vCPU on one TCG thread; without it, or under KVM, the accelerator is as chosen', async t => {
  t.same(after(buildQemuArgv({ ...base, machineType: 'raspi3b', cpus: 4, tcgSingleThread: true }), '-accel'), ['tcg,thread=single'])
  t.same(after(buildQemuArgv({ ...base, machineType: 'virt', cpus: 4 }), '-accel'), ['tcg'])
  t.same(after(buildQemuArgv({ ...base, accel: 'kvm', tcgSingleThread: true }), '-accel'), ['kvm'])
})

t.test('KVM adds -cpu host', async t => {
  const a = buildQemuArgv({ ...base, accel: 'kvm' })
  t.same(after(a, '-accel'), ['kvm'])
  t.same(after(a, '-cpu'), ['host'])
})

t.test('CD is read-only removable media with id cdrom; USB stick is usb-storage on xhci', async t => {
  const a = buildQemuArgv({ ...base, cdrom: '/m/live.iso', usb: '/w/usb.qcow2' })
  const drives = after(a, '-drive')
  const devices = after(a, '-device')
  t.ok(drives.includes('if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=/m/live.iso'))
  t.ok(devices.includes('ide-cd,drive=cd0,id=cdrom,bootindex=1'))
  t.ok(devices.includes('qemu-xhci,id=xhci'))
  t.ok(drives.includes('if=none,id=usb0,format=qcow2,file=/w/usb.qcow2'))
  t.ok(devices.includes('usb-storage,bus=xhci.0,drive=usb0,id=usb,removable=on,bootindex=2'))
})

t.test('a tablet shares the xhci controller with the USB stick', async t => {
  const alone = after(buildQemuArgv({ ...base, tablet: true }), '-device')
  t.same(alone, ['qemu-xhci,id=xhci', 'usb-tablet,bus=xhci.0,id=tablet'])
  const both = after(buildQemuArgv({ ...base, tablet: true, usb: '/u.qcow2' }), '-device')
  t.equal(both.filter(d => d.startsWith('qemu-xhci')).length, 1, 'one controller')
  t.ok(both.includes('usb-tablet,bus=xhci.0,id=tablet'))
})

t.test('bootFrom reorders boot indexes', async t => {
  const a = buildQemuArgv({ ...base, cdrom: '/c.iso', usb: '/u.qcow2', disks: [{ id: 'disk0', file: '/d.qcow2' }], bootFrom: 'disk' })
  const devices = after(a, '-device')
  t.ok(devices.includes('virtio-blk-pci,drive=disk0-drive,id=disk0,bootindex=1'))
  t.ok(devices.includes('ide-cd,drive=cd0,id=cdrom,bootindex=2'))
  t.ok(devices.some(d => d.startsWith('usb-storage') && d.endsWith('bootindex=3')))
})

t.test('several disks: only the first is bootable', async t => {
  const a = buildQemuArgv({ ...base, disks: [{ id: 'disk0', file: '/a' }, { id: 'data', file: '/b' }] })
  const devices = after(a, '-device')
  t.ok(devices.includes('virtio-blk-pci,drive=disk0-drive,id=disk0,bootindex=1'))
  t.ok(devices.includes('virtio-blk-pci,drive=data-drive,id=data'))
})

t.test('direct kernel boot and UEFI', async t => {
  const a = buildQemuArgv({
    ...base,
    kernel: '/k/bzImage',
    initrd: '/k/initrd',
    append: 'console=ttyS0 copytoram',
    firmware: { kind: 'uefi', code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/w/VARS.fd' },
  })
  t.same(after(a, '-kernel'), ['/k/bzImage'])
  t.same(after(a, '-initrd'), ['/k/initrd'])
  t.same(after(a, '-append'), ['console=ttyS0 copytoram'])
  t.same(after(a, '-drive').filter(d => d.startsWith('if=pflash')), [
    'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
    'if=pflash,format=raw,unit=1,file=/w/VARS.fd',
  ])
})

t.test('no NIC unless the machine boots from the network', async t => {
  const a = buildQemuArgv({ ...base, cdrom: '/c.iso' })
  t.same(after(a, '-netdev'), [])
  t.notOk(after(a, '-device').some(d => d.startsWith('virtio-net')))
})

t.test('PXE: user networking with TFTP root and boot file; the NIC boots first', async t => {
  const a = buildQemuArgv({ ...base, cdrom: '/c.iso', disks: [{ id: 'disk0', file: '/d.qcow2' }], net: { tftpRoot: '/w/tftp,x', bootfile: 'pxelinux.0' } })
  t.same(after(a, '-netdev'), ['user,id=net0-user,tftp=/w/tftp,,x,bootfile=pxelinux.0'])
  const devices = after(a, '-device')
  t.ok(devices.includes('virtio-net-pci,netdev=net0-user,id=net0,bootindex=1'))
  t.ok(devices.includes('ide-cd,drive=cd0,id=cdrom,bootindex=2'))
  t.ok(devices.includes('virtio-blk-pci,drive=disk0-drive,id=disk0,bootindex=3'))
})

t.test('iPXE over HTTP: an http:// boot file and no TFTP; bootFrom can put the network later', async t => {
  const a = buildQemuArgv({ ...base, disks: [{ id: 'disk0', file: '/d.qcow2' }], net: { bootfile: 'http://10.0.2.2:4567/netboot.ipxe' }, bootFrom: 'disk' })
  t.same(after(a, '-netdev'), ['user,id=net0-user,bootfile=http://10.0.2.2:4567/netboot.ipxe'])
  const devices = after(a, '-device')
  t.ok(devices.includes('virtio-blk-pci,drive=disk0-drive,id=disk0,bootindex=1'))
  t.ok(devices.includes('virtio-net-pci,netdev=net0-user,id=net0,bootindex=2'))
})

t.test('commas in paths are escaped; extra args come last', async t => {
  t.equal(escapeOpt('/a,b/c'), '/a,,b/c')
  const a = buildQemuArgv({ ...base, cdrom: '/m/x,y.iso', extraArgs: ['-rtc', 'base=utc'] })
  t.ok(after(a, '-drive')[0]!.endsWith('file=/m/x,,y.iso'))
  t.same(a.slice(-2), ['-rtc', 'base=utc'])
})

t.test('shellQuote makes a pasteable command line', async t => {
  t.equal(shellQuote(['qemu', '-append', "console=ttyS0 a='b'"]), `qemu -append 'console=ttyS0 a='\\''b'\\'''`)
})

t.test('memory sizes', async t => {
  t.equal(parseMemory('1G'), 1024)
  t.equal(parseMemory('512M'), 512)
  t.equal(parseMemory('1.5G'), 1536)
  t.equal(parseMemory('2GiB'), 2048)
  t.equal(parseMemory(768), 768)
  t.throws(() => parseMemory('lots'), /cannot read "lots"/)
  t.throws(() => parseMemory('1K'), /less than 16 MiB/)
  t.throws(() => parseMemory(1.5), /at least 16 MiB/)
})

// kexec on real QEMU: the live system loads the netboot kernel and initrd (from a small
// ext4 data disk made on the host with mke2fs -d) with kexec -l and a marker on the
// command line, then kexec -e. vm.handover reports kexec: no QMP RESET (the firmware did
// not run), a new kernel boot id. The new system runs from RAM: its store is the
// squashfs inside the netboot initrd, there is no live medium, and /proc/cmdline is the
// one kexec was given.
// From the Debian guest of guests.ts (systemd, Debian's kexec-tools): the demo ISO goes into
// the CD drive, and Debian kexecs into the demo system's kernel and initrd from it.
import t from 'tap'
import { execa } from 'execa'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { boot } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'
import { guests } from './guests.js'

const media = await demoMedia()

t.test('kexec from the live system into the netboot kernel and initrd', async t => {
  const dir = t.testdir({ files: {} })
  copyFileSync(media.netboot.kernel, join(dir, 'files', 'bzImage'))
  copyFileSync(media.netboot.initrd, join(dir, 'files', 'initrd'))
  const data = join(dir, 'kexec-data.img')
  await execa('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'kexec-data', '-d', join(dir, 'files'), data, '64M'])

  const vm = await boot(t, {
    name: 'kexec',
    cdrom: media.iso,
    kernel: media.kernel,
    initrd: media.initrd,
    kernelParams: params(media),
    disks: [data],
    memory: '1G',
  })
  await vm.succeed('mkdir -p /mnt/data && mount -o ro /dev/vda /mnt/data')
  t.match(await vm.succeed('grep " /iso " /proc/mounts'), /^\/dev\/sr0 \/iso iso9660/, 'before: the live system runs from the CD')
  const marker = `bootcheck.marker=kexec-${process.pid}`
  const append = [...media.netboot.kernelParams.filter(p => p !== 'initrd=initrd'), marker].join(' ')
  await vm.succeed(`kexec -l /mnt/data/bzImage --initrd=/mnt/data/initrd --append="${append}"`, { timeout: 120_000 })
  const resetsBefore = vm.qmp.events.filter(e => e.event === 'RESET').length

  const r = await vm.handover(() => vm.console.sendLine('kexec -e'), { expect: 'stage-1: netboot', timeout: 300_000 })
  t.equal(r.kind, 'kexec', 'handover reports kexec')
  t.equal(vm.qmp.events.filter(e => e.event === 'RESET').length, resetsBefore, 'QEMU reported no RESET: no firmware ran')
  t.not(r.after.bootId, r.before.bootId, 'a new kernel boot id')
  t.ok(r.durationMs > 0, `the netboot shell after ${r.durationMs} ms`)

  t.equal(await vm.succeed('cat /proc/cmdline'), `${append}\n`, 'the command line kexec was given')
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^tmpfs \/ tmpfs/, 'a tmpfs root')
  const ro = await vm.succeed('grep " /nix/.ro-store " /proc/mounts')
  t.match(ro, /^\/dev\/loop\d+ \/nix\/\.ro-store squashfs/, 'the store is a loop-mounted squashfs')
  t.match(await vm.succeed('cat /sys/block/loop0/loop/backing_file'), /^\/nix-store\.squashfs/, '…from the initrd, i.e. from RAM')
  await vm.fail('grep -q " /iso " /proc/mounts') // no medium
  t.equal(await vm.succeed('hello'), 'Hello, world!\n')
})

const debian = guests.find(g => g.name === 'debian')
if (debian) {
  t.test('kexec from the stock Debian guest into the demo system on the CD', async t => {
    const vm = await debian.shell(t, 'kexec-debian')
    await vm.eject('cdrom') // toram: Debian runs from RAM
    await vm.insert(media.iso)
    await vm.waitUntilSucceeds('mkdir -p /mnt/cd && mount -o ro /dev/sr0 /mnt/cd', { timeout: 30_000 })
    const append = [...params(media), `bootcheck.marker=kexec-${process.pid}`].join(' ')
    await vm.succeed(`kexec -l /mnt/cd/boot/bzImage --initrd=/mnt/cd/boot/initrd --append="${append}" && umount /mnt/cd`, { timeout: 120_000 })
    const resetsBefore = vm.qmp.events.filter(e => e.event === 'RESET').length

    const r = await vm.handover(() => vm.console.sendLine('kexec -e'), { expect: 'stage-1: bootcheck live stage 1', timeout: 300_000 })
    t.equal(r.kind, 'kexec', 'handover reports kexec')
    t.match(r.before.init, /systemd|\/sbin\/init/, 'before: systemd was PID 1')
    t.equal(vm.qmp.events.filter(e => e.event === 'RESET').length, resetsBefore, 'QEMU reported no RESET: no firmware ran')
    t.not(r.after.bootId, r.before.bootId, 'a new kernel boot id')
    t.equal(await vm.succeed('cat /proc/cmdline'), `${append}\n`, 'the command line kexec was given')
    t.match(await vm.succeed('grep " /iso " /proc/mounts'), /^\/dev\/sr0 \/iso iso9660/, 'the demo system found its CD')
    t.equal(await vm.succeed('hello'), 'Hello, world!\n')
  })
}

// Install the live system on a blank disk and boot it from there, on UEFI (BIOS: see the
// loop below), on real QEMU: the demo ISO boots as a CD with a blank 2 GiB disk, bootcheck-install
// partitions it (MBR: FAT boot partition with extlinux and GRUB EFI, ext2 root with the
// store), the CD is ejected, the reboot is a reset (firmware ran again), and the machine
// comes up from the disk: root=LABEL=bootcheck-root on the command line, / on /dev/vda2,
// no /iso. The disk is saved, and a second machine boots the saved disk alone.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { boot, type Machine } from '../../src/index.js'
import { CONTRACT } from '../../vm-configs/debian/contract.js'
import { demoMedia } from '../../vm-configs/demo.js'

const media = await demoMedia()
const dir = t.testdir({})
const ROOT = CONTRACT.install.rootLabel

/** The machine runs the installed system from the disk, not the live medium. */
async function assertBootedFromDisk(t: Test, vm: Machine): Promise<void> {
  const cmdline = await vm.succeed('cat /proc/cmdline')
  t.match(cmdline, ` root=LABEL=${ROOT}`, 'the boot loader on the disk passed root=LABEL=…')
  t.notMatch(cmdline, /copytoram/)
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^\/dev\/vda2 \/ ext4 rw/m, '/ is the root partition')
  await vm.fail('grep -q " /iso " /proc/mounts') // no live medium
  await vm.fail('grep -q "/nix/.ro-store" /proc/mounts') // and no squashfs: the store is on the disk
  t.match(await vm.succeed('cat /etc/bootcheck-installed'), /^installed by bootcheck-install from \/nix\/store\/\w{32}-system$/m)
  t.equal(await vm.succeed('hello'), 'Hello, world!\n', 'a program from the installed store')
}

// BIOS (the installer's default boot loaders, booted by SeaBIOS from the disk) is
// examples/install.test.ts, run by cli.test.ts through `bootcheck run examples/`.
for (const firmware of ['uefi'] as const) {
  const saved = join(dir, `installed-${firmware}.qcow2`)

  t.test(`${firmware}: install from the live CD, eject it, reboot into the disk, save the disk`, async t => {
    const vm = await boot(t, { name: `install-${firmware}`, cdrom: media.iso, disks: [{ size: '2G' }], memory: '1G', ...(firmware === 'uefi' ? { firmware } : {}) })
    await vm.fail('bootcheck-install') // no disk: a usage error
    const out = await vm.succeed(`bootcheck-install --${firmware} /dev/vda`, { timeout: 300_000 })
    t.match(out, /bootcheck-install: done: \/dev\/vda boots \/nix\/store\/\w{32}-system/)
    t.match(await vm.succeed('cat /sys/block/vda/vda1/start /sys/block/vda/vda2/start'), /^2048\n133120\n$/, 'two partitions where the installer put them')
    await vm.eject()
    const r = await vm.handover(() => vm.console.sendLine('reboot'), { expect: 'stage-1: booting from disk', timeout: 300_000 })
    t.equal(r.kind, 'reset', 'the firmware ran again')
    t.not(r.after.bootId, r.before.bootId)
    t.not(r.after.root, r.before.root, 'another root file system')
    await assertBootedFromDisk(t, vm)
    await vm.succeed('echo "written after the first boot from disk" > /root/note && sync')
    await vm.saveDisk('disk0', saved)
  })

  t.test(`${firmware}: the saved disk boots alone`, async t => {
    const vm = await boot(t, { name: `installed-${firmware}`, disks: [saved], memory: '1G', ...(firmware === 'uefi' ? { firmware } : {}) })
    await assertBootedFromDisk(t, vm)
    t.equal(await vm.succeed('cat /root/note'), 'written after the first boot from disk\n', 'the root is persistent')
  })
}

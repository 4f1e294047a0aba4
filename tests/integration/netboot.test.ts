// The demo system as a NixOS-style netboot image (kernel, an initrd carrying the store,
// netboot.ipxe), booted three ways a real machine boots it: straight from the kernel and
// initrd, by PXE (pxelinux over QEMU's TFTP), and by iPXE over HTTP (UEFI here, BIOS in
// examples/netboot.test.ts). Each time the guest proves that no block device holds its root
// and that the store works.
import t, { type Test } from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { boot, type Machine } from '../../src/index.js'
import { demoMedia, pxelinuxNetboot } from '../../vm-configs/demo.js'

const media = await demoMedia()
const nb = media.netboot
const GRUB_NET_MODULES = ['efinet', 'tftp', 'net', 'normal', 'configfile', 'linux', 'echo', 'serial', 'terminal', 'test', 'gzio']
const STAGE1_NETBOOT = 'stage-1: netboot: nix-store.squashfs is in the initrd; no medium needed'

/** What the guest shows when it runs from RAM only: asserted the same way after every boot. */
async function provesRunsFromRam(t: Test, vm: Machine): Promise<void> {
  const mounts = await vm.succeed('cat /proc/mounts')
  const at = (dir: string): string[] | undefined => mounts.split('\n').map(l => l.split(' ')).find(f => f[1] === dir)
  t.equal(at('/')?.[2], 'tmpfs', 'the root is a tmpfs')
  t.same(at('/nix/.ro-store')?.slice(0, 3), ['/dev/loop0', '/nix/.ro-store', 'squashfs'], 'the store is a squashfs on a loop device')
  t.notOk(at('/iso'), 'there is no medium on /iso')
  const backing = (await vm.succeed('cat /sys/block/loop0/loop/backing_file')).trim()
  t.match(backing, /^\/nix-store\.squashfs( \(deleted\))?$/, `the loop device's file is the initrd's squashfs, in RAM (${backing})`)
  // no disk, CD, USB stick or NVMe device exists at all: only loop and RAM disks
  const blocks = (await vm.succeed('ls /sys/block')).split(/\s+/).filter(Boolean)
  t.same(blocks.filter(b => !/^(loop|ram|zram)\d+$/.test(b)), [], `only loop/RAM block devices: ${blocks.join(' ')}`)
  t.equal(await vm.succeed('hello'), 'Hello, world!\n', 'a program from the squashfs runs')
  t.match(await vm.succeed('readlink -f /run/current-system/sw/bin/hello'), /^\/nix\/store\/[a-z0-9]{32}-hello-[^/]+\/bin\/hello\n$/)
}

/** The netboot folder, to prove the overlays and servers never changed it. */
const snapshot = async (): Promise<string[]> =>
  (await readdir(nb.dir)).sort().map(n => `${n} ${statSync(`${nb.dir}/${n}`).size} ${statSync(`${nb.dir}/${n}`).mtimeMs}`)

t.test('the netboot build: bzImage, an initrd with the store inside, a NixOS-style netboot.ipxe', async t => {
  t.same(await readdir(nb.dir).then(l => l.sort()), ['bzImage', 'initrd', 'netboot.ipxe'])
  const script = readFileSync(nb.ipxeScript, 'utf8')
  t.match(script, /^#!ipxe\n/)
  t.match(script, /^kernel bzImage .*init=\/nix\/store\/\S+-system\/init .*initrd=initrd \$\{cmdline\}$/m)
  t.match(script, /^initrd initrd$/m)
  t.match(script, /^boot$/m)
  t.ok(statSync(nb.initrd).size > statSync(media.initrd).size + 1_000_000, 'the netboot initrd is bigger by the squashfs')
})

// #region direct
t.test('direct kernel boot of the netboot kernel and initrd, nothing attached', async t => {
  const vm = await boot(t, { name: 'netboot-direct', kernel: nb.kernel, initrd: nb.initrd, kernelParams: nb.kernelParams, memory: '1G' })
  await vm.console.waitFor(STAGE1_NETBOOT)
  await provesRunsFromRam(t, vm)
})
// #endregion

// #region pxe
t.test('PXE: pxelinux over TFTP, with pxelinux and its configuration laid over the read-only netboot folder', async t => {
  const before = await snapshot()
  const vm = await boot(t, {
    name: 'netboot-pxe',
    memory: '1G',
    pxe: pxelinuxNetboot(media, 'bootcheck.via=pxelinux'),
  })
  await vm.console.waitFor(STAGE1_NETBOOT)
  await provesRunsFromRam(t, vm)
  const cmdline = await vm.succeed('cat /proc/cmdline')
  t.match(cmdline, /BOOT_IMAGE=bzImage/, 'pxelinux booted the kernel')
  t.match(cmdline, /bootcheck\.via=pxelinux/, 'with the overlaid configuration')
  t.same(await snapshot(), before, 'the netboot folder is unchanged')
})
// #endregion

t.test('UEFI PXE: OVMF, a GRUB network image over TFTP, its grub.cfg laid over the netboot folder', async t => {
  // A GRUB EFI image that reads its configuration from the TFTP server it came from.
  const dir = t.testdir({})
  const grub = join(dir, 'grubnetx64.efi')
  await execa('grub-mkimage', ['-O', 'x86_64-efi', '-p', '(tftp)/grub', '-o', grub, ...GRUB_NET_MODULES])
  const before = await snapshot()
  const vm = await boot(t, {
    name: 'netboot-pxe-uefi',
    memory: '1G',
    firmware: 'uefi',
    pxe: {
      tftpRoot: nb.dir,
      bootfile: 'grubnetx64.efi',
      overlay: {
        'grubnetx64.efi': { path: grub },
        'grub/grub.cfg': [
          'serial --unit=0 --speed=115200',
          'terminal_input serial console',
          'terminal_output serial console',
          'echo "grub: loading bzImage and initrd from $net_default_server"',
          `linux (tftp)/bzImage ${nb.kernelParams.join(' ')} bootcheck.via=grub`,
          'initrd (tftp)/initrd',
          'boot',
          '',
        ].join('\n'),
      },
    },
  })
  await vm.console.waitFor('grub: loading bzImage and initrd from 10.0.2.2')
  await vm.console.waitFor(STAGE1_NETBOOT)
  await provesRunsFromRam(t, vm)
  t.match(await vm.succeed('cat /proc/cmdline'), /BOOT_IMAGE=\(tftp\)\/bzImage .*bootcheck\.via=grub/)
  t.match(await vm.succeed('ls /sys/firmware/efi'), /efivars|runtime/, 'booted under UEFI')
  t.same(await snapshot(), before, 'the netboot folder is unchanged')
})

// BIOS: examples/netboot.test.ts (the same boot and requests, run by cli.test.ts through
// `bootcheck run examples/`).
for (const firmware of ['uefi'] as const) {
  t.test(`iPXE over HTTP (${firmware}): the NIC's iPXE chains to netboot.ipxe served by bootcheck`, async t => {
    const before = await snapshot()
    const vm = await boot(t, {
      name: `netboot-ipxe-${firmware}`,
      memory: '1G',
      firmware,
      ipxe: { httpRoot: nb.dir }, // script: 'netboot.ipxe' is the default
      kernelParams: ['bootcheck.via=ipxe'], // through ${cmdline}
    })
    t.match(vm.http?.guestUrl, /^http:\/\/10\.0\.2\.2:\d+\/$/)
    await vm.console.waitFor(STAGE1_NETBOOT)
    await provesRunsFromRam(t, vm)
    t.match(await vm.succeed('cat /proc/cmdline'), /init=\/nix\/store\/\S+ .*bootcheck\.via=ipxe/, 'script parameters, then ${cmdline}')
    const http = vm.http!
    t.same(
      http.requests.filter(r => r.status === 200).map(r => r.path),
      ['/bootcheck-chain.ipxe', '/netboot.ipxe', '/bzImage', '/initrd'],
      'the guest fetched the chain script, the script, the kernel and the initrd over HTTP',
    )
    t.equal(http.served('/initrd')[0]?.bytes, statSync(nb.initrd).size, 'the whole initrd')
    t.match(readFileSync(`${vm.artifactsDir}/http.log`, 'utf8'), /GET \/initrd 200 \d+/, 'requests are logged in the artifacts')
    await vm.dispose()
    await t.rejects(fetch(http.hostUrl + 'netboot.ipxe'), 'the server is gone after dispose')
    t.same(await snapshot(), before, 'the netboot folder is unchanged')
  })
}

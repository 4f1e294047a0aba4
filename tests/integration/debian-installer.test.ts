// A real third-party netboot artifact: Debian 12's installer (package
// debian-installer-12-netboot-amd64, text flavour), booted straight from its kernel and
// initrd, and over PXE from its own read-only TFTP tree with a pxelinux configuration of
// ours laid over it (the packaged one shows a graphical menu and no serial console).
// Either way the test waits for the installer's first question on the serial console.
import t from 'tap'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { boot } from '../../src/index.js'

const TEXT = '/usr/lib/debian-installer/images/12/amd64/text'
const DI = join(TEXT, 'debian-installer/amd64')
const FIRST_QUESTION = 'Choose the language to be used for the installation process.'
const skip = existsSync(join(DI, 'linux')) ? false : 'apt-get install debian-installer-12-netboot-amd64 (scripts/setup.sh does)'

t.test('direct boot of the installer kernel and initrd', { skip }, async t => {
  const vm = await boot(t, {
    name: 'd-i-direct',
    kernel: join(DI, 'linux'),
    initrd: join(DI, 'initrd.gz'),
    kernelParams: ['console=ttyS0,115200', '---', 'quiet'],
    memory: '1G',
  })
  const m = await vm.console.waitFor(FIRST_QUESTION, { timeout: 180_000 })
  t.match(m.before, /Select a language/, 'the dialog of the language question')
})

t.test('PXE boot of the installer tree with a serial pxelinux.cfg/default laid over it', { skip }, async t => {
  const packaged = join(TEXT, 'pxelinux.cfg/default')
  const before = readFileSync(packaged, 'utf8')
  const vm = await boot(t, {
    name: 'd-i-pxe',
    memory: '1G',
    pxe: {
      tftpRoot: TEXT,
      bootfile: 'pxelinux.0',
      overlay: {
        'pxelinux.cfg/default': [
          'serial 0 115200',
          'default install',
          'prompt 0',
          'timeout 0',
          'label install',
          '  kernel debian-installer/amd64/linux',
          '  append initrd=debian-installer/amd64/initrd.gz console=ttyS0,115200 --- quiet',
          '',
        ].join('\n'),
      },
    },
  })
  await vm.console.waitFor(/PXELINUX \d/, { timeout: 60_000 })
  const m = await vm.console.waitFor(FIRST_QUESTION, { timeout: 180_000 })
  t.match(m.before, /Select a language/)
  t.equal(readFileSync(packaged, 'utf8'), before, "the package's pxelinux.cfg/default is unchanged")
  t.equal(realpathSync(packaged), join(DI, 'boot-screens/syslinux.cfg'), 'and still the link the package made')
})

t.test("UEFI PXE: the installer's own GRUB network image, with a serial grub.cfg laid over it", { skip }, async t => {
  // grubx64.efi looks for its configuration at (tftp)/debian-installer/amd64/grub/grub.cfg
  const vm = await boot(t, {
    name: 'd-i-pxe-uefi',
    memory: '1G',
    firmware: 'uefi',
    pxe: {
      tftpRoot: TEXT,
      bootfile: 'debian-installer/amd64/grubx64.efi',
      overlay: {
        'debian-installer/amd64/grub/grub.cfg': [
          'serial --unit=0 --speed=115200',
          'terminal_input serial console',
          'terminal_output serial console',
          'echo "grub: prefix=$prefix"',
          'linux /debian-installer/amd64/linux console=ttyS0,115200 --- quiet',
          'initrd /debian-installer/amd64/initrd.gz',
          'boot',
          '',
        ].join('\n'),
      },
    },
  })
  await vm.console.waitFor('grub: prefix=(tftp,10.0.2.2)/debian-installer/amd64/grub', { timeout: 60_000 })
  const m = await vm.console.waitFor(FIRST_QUESTION, { timeout: 180_000 })
  t.match(m.before, /Select a language/)
})

// Boot entries from isolinux/syslinux and GRUB configurations (inline text shaped like
// NixOS's and Debian-installer's), and findBootEntries / extractBootFiles on small ISOs
// made with xorriso.
import t from 'tap'
import { execa } from 'execa'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  BOOT_CONFIG_PATHS,
  chooseBootEntry,
  extractBootFiles,
  findBootEntries,
  parseGrubConfig,
  parseSyslinuxConfig,
  splitCommandLine,
  type BootEntry,
} from '../../../src/media/bootconfig.js'
import { IsoImage } from '../../../src/media/iso9660.js'
import { MediumError } from '../../../src/errors/errors.js'

const STORE = '/nix/store/0m3hkpzw4xn4b9v8s8l5lw2y2dqmk0i4-nixos-system-nixos-24.05.20240101.abcdef0'
const NIX_PARAMS = `init=${STORE}/init root=LABEL=nixos-minimal-24.05-x86_64 boot.shell_on_fail loglevel=4`

// what nixos/modules/installer/cd-dvd/iso-image.nix writes (shortened)
const NIXOS_ISOLINUX = `SERIAL 0 115200
TIMEOUT 100
UI vesamenu.c32
MENU BACKGROUND /isolinux/background.png

MENU TITLE NixOS
MENU RESOLUTION 800 600
MENU CLEAR
MENU ROWS 6
MENU CMDLINEROW -4
MENU COLOR BORDER       30;44      #00000000    #00000000   none

DEFAULT boot

LABEL boot
MENU LABEL NixOS 24.05.20240101.abcdef0 Installer
LINUX /boot/bzImage
APPEND ${NIX_PARAMS}
INITRD /boot/initrd

# A variant to boot with 'nomodeset'
LABEL boot-nomodeset
MENU LABEL NixOS 24.05.20240101.abcdef0 Installer (nomodeset)
LINUX /boot/bzImage
APPEND ${NIX_PARAMS} nomodeset
INITRD /boot/initrd

# A variant to boot with 'copytoram'
LABEL boot-copytoram
MENU LABEL NixOS 24.05.20240101.abcdef0 Installer (copytoram)
LINUX /boot/bzImage
APPEND ${NIX_PARAMS} copytoram
INITRD /boot/initrd

LABEL boot-serial
MENU LABEL NixOS 24.05.20240101.abcdef0 Installer (serial console=ttyS0)
LINUX /boot/bzImage
APPEND ${NIX_PARAMS} console=ttyS0,115200n8
INITRD /boot/initrd

LABEL hdt
MENU LABEL Hardware Detection Tool
COM32 hdt.c32
`

const NIXOS_GRUB = `set textmode=false
# Serial console, when there is one
if serial --unit=0 --speed=115200; then
  terminal_input --append serial
  terminal_output --append serial
fi

set with_fonts=false
if [ "$textmode" == "false" ] ; then
  insmod gfxterm
  insmod png
  set gfxpayload=keep
  set gfxmode=1920x1080,1366x768,auto
fi

# If the parameter iso_path is set, append the findiso parameter to the kernel
# line. We need this to allow the nixos iso to be booted from grub directly.
if [ \${iso_path} ] ; then
  set isoboot="findiso=\${iso_path}"
fi

#
# Menu entries
#

menuentry 'NixOS 24.05.20240101.abcdef0 Installer ' --class installer {
  # Fallback to UEFI console for boot, efifb sometimes has difficulties.
  terminal_output console

  linux /boot/bzImage \${isoboot} ${NIX_PARAMS}
  initrd /boot/initrd
}
menuentry 'NixOS 24.05.20240101.abcdef0 Installer (nomodeset)' --class nomodeset {
  terminal_output console
  linux /boot/bzImage \${isoboot} ${NIX_PARAMS} nomodeset
  initrd /boot/initrd
}
menuentry 'NixOS 24.05.20240101.abcdef0 Installer (copytoram)' --class copytoram {
  linux /boot/bzImage \${isoboot} ${NIX_PARAMS} copytoram
  initrd /boot/initrd
}

submenu "HiDPI, Quirks and Accessibility" --class hidpi --class submenu {
  menuentry 'NixOS 24.05.20240101.abcdef0 Installer (HiDPI)' --class hidpi-entry {
    linux /boot/bzImage \${isoboot} ${NIX_PARAMS} video=2560x1440@60
    initrd /boot/initrd
  }
  menuentry 'NixOS 24.05.20240101.abcdef0 Installer (Quirk: no ACPI)' {
    linux /boot/bzImage \${isoboot} ${NIX_PARAMS} acpi=off
    initrd /boot/initrd
  }
}

if [ "$grub_platform" = "efi" ]; then
menuentry 'Firmware Setup' --class settings {
  fwsetup
  clear
  echo ""
  echo "If you see this message, your EFI system doesn't support this feature."
  echo ""
}
fi
menuentry 'Shutdown' --class shutdown {
  halt
}
`

// Debian-installer (bookworm netinst), split over included files as on the ISO
const DI_FILES: Record<string, string> = {
  '/isolinux/isolinux.cfg': `# D-I config version 2.0
# search path for the c32 support libraries (libcom32, libutil etc.)
path 
include menu.cfg
default vesamenu.c32
prompt 0
timeout 0
`,
  '/isolinux/menu.cfg': `menu hshift 4
menu width 70

menu title Debian GNU/Linux installer menu (BIOS mode)
include stdmenu.cfg
include gtk.cfg
include txt.cfg
menu begin advanced
    menu label ^Advanced options
	menu title Advanced options
	include stdmenu.cfg
	label mainmenu
		menu label ^Back..
		menu exit
	include adtxt.cfg
menu end
label help
	menu label ^Help
	text help
   Display help screens; type 'menu' at boot prompt to return to this menu
	endtext
	config prompt.cfg
`,
  '/isolinux/stdmenu.cfg': `menu background splash.png
menu color title	* #FFFFFFFF *
menu vshift 12
menu rows 10
`,
  '/isolinux/gtk.cfg': `default installgui
label installgui
	menu label ^Graphical install
	menu default
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet 
`,
  '/isolinux/txt.cfg': `label install
	menu label ^Install
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/initrd.gz --- quiet 
`,
  '/isolinux/adtxt.cfg': `label expert
	menu label E^xpert install
	kernel /install.amd/vmlinuz
	append priority=low vga=788 initrd=/install.amd/initrd.gz --- 
include rqtxt.cfg
label auto
	menu label ^Automated install
	kernel /install.amd/vmlinuz
	append auto=true priority=critical vga=788 initrd=/install.amd/initrd.gz --- quiet 
`,
  '/isolinux/rqtxt.cfg': `label rescue
	menu label ^Rescue mode
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/initrd.gz rescue/enable=true --- quiet 
`,
}

const DI_GRUB = `if [ x$feature_default_font_path = xy ] ; then
   font=unicode
else
   font=$prefix/font.pf2
fi

if loadfont $font ; then
  set gfxmode=800x600
  set gfxpayload=keep
  insmod efi_gop
else
  set gfxmode=auto
  insmod all_video
fi

insmod gfxterm
insmod png

source /boot/grub/theme.cfg

terminal_output gfxterm

insmod play
play 960 440 1 0 4 440 1
set theme=/boot/grub/theme/1
menuentry --hotkey=g 'Graphical install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet 
    initrd   /install.amd/gtk/initrd.gz
}
menuentry --hotkey=i 'Install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet 
    initrd   /install.amd/initrd.gz
}
submenu --hotkey=a 'Advanced options ...' {
    set menu_color_normal=cyan/blue
    set theme=/boot/grub/theme/1-1
    menuentry '... Graphical expert install' {
        set background_color=black
        linux    /install.amd/vmlinuz priority=low vga=788 --- 
        initrd   /install.amd/gtk/initrd.gz
    }
    menuentry '... Expert install' {
        linux    /install.amd/vmlinuz priority=low vga=788 --- 
        initrd   /install.amd/initrd.gz
    }
}
menuentry --hotkey=s 'Install with speech synthesis' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 speakup.synth=soft --- quiet 
    initrd   /install.amd/gtk/initrd.gz
}
`

const pick = (es: BootEntry[], label: string) => es.find(e => e.label === label)

t.test('splitCommandLine', async t => {
  t.same(splitCommandLine('  a b=c   "d e" f="g h" '), ['a', 'b=c', '"d e"', 'f="g h"'])
  t.same(splitCommandLine(''), [])
})

t.test('syslinux: NixOS isolinux.cfg', async t => {
  const es = parseSyslinuxConfig(NIXOS_ISOLINUX, { source: '/isolinux/isolinux.cfg' })
  t.same(
    es.map(e => e.label),
    ['boot', 'boot-nomodeset', 'boot-copytoram', 'boot-serial'],
    'Linux entries in order; the COM32 module is left out',
  )
  t.same(es[0], {
    label: 'boot',
    title: 'NixOS 24.05.20240101.abcdef0 Installer',
    kernel: '/boot/bzImage',
    initrds: ['/boot/initrd'],
    params: NIX_PARAMS.split(' '),
    isDefault: true,
    source: '/isolinux/isolinux.cfg',
  })
  t.same(es.map(e => e.isDefault), [true, false, false, false])
  t.same(pick(es, 'boot-copytoram')?.params.at(-1), 'copytoram')
  t.same(pick(es, 'boot-serial')?.params.at(-1), 'console=ttyS0,115200n8')
  t.equal(pick(es, 'boot-nomodeset')?.title, 'NixOS 24.05.20240101.abcdef0 Installer (nomodeset)')
})

t.test('syslinux: Debian-installer with INCLUDE, MENU BEGIN, MENU DEFAULT, initrd= in APPEND', async t => {
  const asked: string[] = []
  const include = (p: string) => {
    asked.push(p)
    return DI_FILES[p]
  }
  const es = parseSyslinuxConfig(DI_FILES['/isolinux/isolinux.cfg']!, { source: '/isolinux/isolinux.cfg', include })
  t.same(es.map(e => e.label), ['installgui', 'install', 'expert', 'rescue', 'auto'], 'nested includes, submenu flattened')
  t.same(asked.slice(0, 3), ['/isolinux/menu.cfg', '/isolinux/stdmenu.cfg', '/isolinux/gtk.cfg'], 'includes resolved in the config folder')
  t.same(es.filter(e => e.isDefault).map(e => e.label), ['installgui'], 'MENU DEFAULT wins over DEFAULT vesamenu.c32')
  t.same(pick(es, 'installgui'), {
    label: 'installgui',
    title: 'Graphical install',
    kernel: '/install.amd/vmlinuz',
    initrds: ['/install.amd/gtk/initrd.gz'],
    params: ['vga=788', '---', 'quiet'],
    isDefault: true,
    source: '/isolinux/gtk.cfg',
  })
  t.same(pick(es, 'rescue')?.params, ['vga=788', 'rescue/enable=true', '---', 'quiet'])
  t.equal(pick(es, 'rescue')?.source, '/isolinux/rqtxt.cfg')
  t.equal(pick(es, 'expert')?.title, 'Expert install', "'^' hotkey marks removed")
  t.notOk(pick(es, 'help'), 'a CONFIG entry is not a Linux entry')
  t.notOk(pick(es, 'mainmenu'), 'an entry without kernel is left out')

  const noInclude = parseSyslinuxConfig(DI_FILES['/isolinux/isolinux.cfg']!, { source: '/isolinux/isolinux.cfg' })
  t.same(noInclude, [], 'without an include reader there is nothing')
})

t.test('syslinux: keywords, paths, defaults', async t => {
  const cfg = `# comment
prompt 1
Timeout 50
  APPEND quiet global=1
default Second extra
label first
  kernel vmlinuz
  initrd initrd.img,../extra/fw.img
label second
  MENU label Second ^entry
  LINUX ../kernels/vmlinuz-lts console=ttyS0
  append initrd=a.img,/abs/b.img initrd=c.img root=/dev/sr0 "quoted arg=x y"
label none
  linux /vmlinuz
  append -
label chain
  kernel chain.c32
  append hd0 0
label local
  localboot 0
label memtest
  kernel /memtest.bin
`
  const es = parseSyslinuxConfig(cfg, { source: '/boot/isolinux/isolinux.cfg' })
  t.same(es.map(e => e.label), ['first', 'second', 'none'], 'chain loading, localboot and boot sectors are not Linux entries')
  t.same(es[0], {
    label: 'first',
    kernel: '/boot/isolinux/vmlinuz',
    initrds: ['/boot/isolinux/initrd.img', '/boot/extra/fw.img'],
    params: ['quiet', 'global=1'],
    isDefault: false,
    source: '/boot/isolinux/isolinux.cfg',
  }, 'relative paths resolve in the config folder; the global APPEND applies')
  t.same(es[1], {
    label: 'second',
    title: 'Second entry',
    kernel: '/boot/kernels/vmlinuz-lts',
    initrds: ['/boot/isolinux/a.img', '/abs/b.img', '/boot/isolinux/c.img'],
    params: ['console=ttyS0', 'root=/dev/sr0', '"quoted arg=x y"'],
    isDefault: true,
    source: '/boot/isolinux/isolinux.cfg',
  }, 'LINUX args, several initrd=, quotes kept; DEFAULT matches the label ignoring case')
  t.same(es[2]?.params, [], 'APPEND - drops the global APPEND')

  t.same(
    parseSyslinuxConfig('ONTIMEOUT b\nLABEL a\nKERNEL /a\nLABEL b\nKERNEL /b\n').map(e => e.isDefault),
    [false, true],
    'ONTIMEOUT names the default when there is no DEFAULT',
  )
  t.same(
    parseSyslinuxConfig('LABEL a\nKERNEL /a\nLABEL b\nKERNEL /b\n').map(e => e.isDefault),
    [true, false],
    'no default named: the first entry',
  )
  t.same(parseSyslinuxConfig('LABEL a\nKERNEL a\n').map(e => e.kernel), ['a'], 'no source folder: paths stay as written')
  t.same(
    parseSyslinuxConfig('DEFAULT /vmlinuz initrd=/initrd.gz root=/dev/ram0\n', { source: '/syslinux.cfg' }),
    [{ label: 'default', kernel: '/vmlinuz', initrds: ['/initrd.gz'], params: ['root=/dev/ram0'], isDefault: true, source: '/syslinux.cfg' }],
    'a DEFAULT command line without labels',
  )
  const restarted = parseSyslinuxConfig('CONFIG /boot/syslinux/real.cfg\nLABEL old\nKERNEL /old\n', {
    source: '/syslinux/syslinux.cfg',
    include: p => (p === '/boot/syslinux/real.cfg' ? 'LABEL new\nKERNEL vmlinuz\n' : undefined),
  })
  t.same(restarted.map(e => [e.label, e.kernel, e.source]), [['new', '/boot/syslinux/vmlinuz', '/boot/syslinux/real.cfg']], 'CONFIG starts over in the new folder')
  t.same(
    parseSyslinuxConfig('text help\nLABEL fake\nKERNEL /fake\nendtext\nLABEL real\nKERNEL /real\n').map(e => e.label),
    ['real'],
    'TEXT HELP blocks are skipped',
  )
  const loop = parseSyslinuxConfig('INCLUDE /self.cfg\nLABEL x\nKERNEL /x\n', { include: () => 'INCLUDE /self.cfg\n' })
  t.same(loop.map(e => e.label), ['x'], 'include loops end')
})

t.test('GRUB: NixOS grub.cfg', async t => {
  const es = parseGrubConfig(NIXOS_GRUB, { source: '/EFI/BOOT/grub.cfg' })
  t.same(
    es.map(e => e.title),
    [
      'NixOS 24.05.20240101.abcdef0 Installer ',
      'NixOS 24.05.20240101.abcdef0 Installer (nomodeset)',
      'NixOS 24.05.20240101.abcdef0 Installer (copytoram)',
      'NixOS 24.05.20240101.abcdef0 Installer (HiDPI)',
      'NixOS 24.05.20240101.abcdef0 Installer (Quirk: no ACPI)',
    ],
    'Linux entries, submenu flattened; firmware setup and shutdown left out',
  )
  t.same(es[0], {
    label: 'NixOS 24.05.20240101.abcdef0 Installer ',
    title: 'NixOS 24.05.20240101.abcdef0 Installer ',
    kernel: '/boot/bzImage',
    initrds: ['/boot/initrd'],
    params: NIX_PARAMS.split(' '),
    isDefault: true,
    source: '/EFI/BOOT/grub.cfg',
  }, '${isoboot} (only set conditionally) expands to nothing')
  t.same(es.map(e => e.isDefault), [true, false, false, false, false], 'no default set: entry 0')
  t.equal(es[3]?.params.at(-1), 'video=2560x1440@60')
})

t.test('GRUB: Debian-installer grub.cfg', async t => {
  const sourced: string[] = []
  const es = parseGrubConfig(DI_GRUB, {
    source: '/boot/grub/grub.cfg',
    include: p => {
      sourced.push(p)
      return p === '/boot/grub/theme.cfg' ? 'set color_normal=light-gray/black\n' : undefined
    },
  })
  t.same(sourced, ['/boot/grub/theme.cfg'], 'source is read through the include reader')
  t.same(es.map(e => e.label), [
    'Graphical install',
    'Install',
    '... Graphical expert install',
    '... Expert install',
    'Install with speech synthesis',
  ])
  t.same(es[0], {
    label: 'Graphical install',
    title: 'Graphical install',
    kernel: '/install.amd/vmlinuz',
    initrds: ['/install.amd/gtk/initrd.gz'],
    params: ['vga=788', '---', 'quiet'],
    isDefault: true,
    source: '/boot/grub/grub.cfg',
  }, '--hotkey=g is an option, not the title')
  t.same(es[2]?.params, ['priority=low', 'vga=788', '---'])
})

t.test('GRUB: defaults, ids, quoting, variables', async t => {
  const cfg = `set default="1>0"  # a submenu entry
set timeout=5
set root_dev=(cd0)
set extra="quiet  splash"
menuentry "A \\"quoted\\" title" --class x --id first {
  linuxefi ($root)/casper/vmlinuz boot=casper $extra 'single quoted $extra' "dq=\${extra}" ---
  initrdefi /casper/initrd /casper/ucode.img
}
submenu 'More' --id more {
  menuentry 'Inner one' --id inner { linux \${root_dev}/k1 a=1; initrd /i1; }
  menuentry 'Inner two' {
    set kp="x=1"
    linux16 /k2 $kp
    initrd16 /i2
  }
}
menuentry 'Chain' { chainloader +1 }
function helper {
  menuentry 'Never' { linux /never }
}
if [ -e /x ]; then
  set extra=conditional
fi
menuentry 'Late' {
  linux /late $extra
}
`
  const es = parseGrubConfig(cfg)
  t.same(es.map(e => e.label), ['first', 'inner', 'Inner two', 'Late'], 'labels are ids when given, else titles')
  t.same(es[0], {
    label: 'first',
    title: 'A "quoted" title',
    kernel: '/casper/vmlinuz',
    initrds: ['/casper/initrd', '/casper/ucode.img'],
    params: ['boot=casper', 'quiet', 'splash', '"single quoted $extra"', 'dq="quiet  splash"', '---'],
    isDefault: false,
    source: 'grub.cfg',
  }, 'device prefix stripped, unquoted variables split, quoted ones not')
  t.same(es[1], {
    label: 'inner',
    title: 'Inner one',
    kernel: '/k1',
    initrds: ['/i1'],
    params: ['a=1'],
    isDefault: true,
    source: 'grub.cfg',
  }, '"1>0" picks the first entry of the submenu; ; separates commands')
  t.same(es[2]?.params, ['x=1'], 'variables set inside the entry')
  t.same(es[3]?.params, ['quiet', 'splash'], 'a set inside if is not evaluated')

  const byIndex = (d: string) => parseGrubConfig(`set default=${d}\n${cfg.split('\n').slice(1).join('\n')}`).filter(e => e.isDefault).map(e => e.label)
  t.same(byIndex('0'), ['first'])
  t.same(byIndex('first'), ['first'], 'by id')
  t.same(byIndex("'A \"quoted\" title'"), ['first'], 'by title')
  t.same(byIndex('more>inner'), ['inner'], 'by ids through a submenu')
  t.same(byIndex('3'), ['Late'], 'indexes count entries without Linux too (not those in functions)')
  t.same(byIndex('9'), ['first'], 'an index past the end boots entry 0')
  t.same(byIndex('2'), [], 'the default is the chain loader: no Linux default')
  t.same(byIndex('nonsense'), ['first'], 'an unknown default boots entry 0')
  t.same(parseGrubConfig('menuentry x {\n linux\n}\n'), [], 'linux without a path')
})

t.test('chooseBootEntry', async t => {
  const es = parseSyslinuxConfig(NIXOS_ISOLINUX)
  t.equal(chooseBootEntry(es)?.label, 'boot')
  t.equal(chooseBootEntry(es, 'boot-copytoram')?.label, 'boot-copytoram')
  t.equal(chooseBootEntry(es, 'NixOS 24.05.20240101.abcdef0 Installer (nomodeset)')?.label, 'boot-nomodeset', 'by title')
  t.equal(chooseBootEntry(es, 'BOOT-SERIAL')?.label, 'boot-serial', 'ignoring case')
  t.equal(chooseBootEntry(es, e => e.params.includes('nomodeset'))?.label, 'boot-nomodeset', 'by predicate')
  t.equal(chooseBootEntry(es, 'nope'), undefined)
})

// ---------------------------------------------------------------------------
// ISOs

const hasXorriso = (await execa('sh', ['-c', 'command -v xorriso'], { reject: false })).exitCode === 0
const skip = hasXorriso ? false : 'xorriso missing (apt-get install xorriso)'

const dir = t.testdir()
async function makeIso(name: string, files: Record<string, string | Buffer>, args: string[] = []): Promise<string> {
  const root = join(dir, `${name}-root`)
  for (const [p, data] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true })
    writeFileSync(join(root, p), data)
  }
  mkdirSync(root, { recursive: true })
  const iso = join(dir, `${name}.iso`)
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, ...args, root])
  return iso
}

const kernel = randomBytes(5000)
const ucode = randomBytes(1001) // not a multiple of 4: padded before the next initrd
const initrd = randomBytes(3000)
const liveFiles = {
  'boot/vmlinuz': kernel,
  'boot/ucode.img': ucode,
  'boot/initrd.img': initrd,
  'boot/isolinux/isolinux.cfg': 'DEFAULT live\nINCLUDE entries.cfg\n',
  'boot/isolinux/entries.cfg': [
    'LABEL live',
    '  MENU LABEL Live system',
    '  KERNEL ../vmlinuz',
    '  INITRD ../ucode.img,../initrd.img',
    '  APPEND boot=live quiet',
    'LABEL safe',
    '  KERNEL ../vmlinuz',
    '  APPEND initrd=../initrd.img boot=live nomodeset',
    'LABEL broken',
    '  KERNEL ../missing-vmlinuz',
    '',
  ].join('\n'),
  'boot/grub/grub.cfg': "set default=1\nmenuentry 'Live (GRUB)' { linux /boot/vmlinuz boot=live; initrd /boot/initrd.img }\nmenuentry 'Safe (GRUB)' --id safe-grub { linux /boot/vmlinuz nomodeset\n}\n",
  'boot/grub/loopback.cfg': 'source /boot/grub/grub.cfg\n',
}

t.test('findBootEntries and extractBootFiles on an ISO', { skip }, async t => {
  const isoPath = await makeIso('live', liveFiles)
  const iso = await IsoImage.open(isoPath)
  const es = await findBootEntries(iso)
  await iso.close()
  t.same(
    es.map(e => [e.label, e.source, e.isDefault]),
    [
      ['live', '/boot/isolinux/entries.cfg', true],
      ['safe', '/boot/isolinux/entries.cfg', false],
      ['broken', '/boot/isolinux/entries.cfg', false],
      ['Live (GRUB)', '/boot/grub/grub.cfg', false],
      ['safe-grub', '/boot/grub/grub.cfg', true],
    ],
    'syslinux entries (through INCLUDE) then GRUB; loopback.cfg sourcing grub.cfg adds nothing twice',
  )
  t.same(es[0]?.initrds, ['/boot/ucode.img', '/boot/initrd.img'], 'relative to the config folder')

  const out = join(dir, 'out')
  const def = await extractBootFiles(isoPath, out)
  t.equal(def.entry.label, 'live', 'the first default')
  t.same(def.params, ['boot=live', 'quiet'])
  t.equal(def.kernel, join(out, 'kernel'))
  t.ok(readFileSync(def.kernel).equals(kernel), 'kernel byte-identical')
  t.equal(def.initrd, join(out, 'initrd'))
  t.ok(
    readFileSync(def.initrd!).equals(Buffer.concat([ucode, Buffer.alloc(3), initrd])),
    'initrds concatenated, the first padded to 4 bytes',
  )

  const safe = await extractBootFiles(isoPath, join(dir, 'out2'), { entry: 'safe' })
  t.same(safe.params, ['boot=live', 'nomodeset'])
  t.ok(readFileSync(safe.initrd!).equals(initrd), 'a single initrd is copied as is')

  const grub = await extractBootFiles(isoPath, join(dir, 'out3'), { entry: 'Safe (GRUB)' })
  t.equal(grub.entry.label, 'safe-grub', 'by title')
  t.equal(grub.initrd, undefined, 'no initrd')
  t.ok(readFileSync(grub.kernel).equals(kernel))

  const byFn = await extractBootFiles(isoPath, join(dir, 'out4'), { entry: e => e.source.includes('grub') && e.params.includes('boot=live') })
  t.equal(byFn.entry.label, 'Live (GRUB)')

  await t.rejects(extractBootFiles(isoPath, join(dir, 'out5'), { entry: 'nope' }), MediumError)
  await extractBootFiles(isoPath, join(dir, 'out5'), { entry: 'nope' }).catch((e: Error) =>
    t.match(e.message, /No boot entry of ISO '.*live\.iso' is named 'nope'; available: live \(Live system\), safe, broken, Live \(GRUB\), safe-grub \(Safe \(GRUB\)\)\./),
  )
  await extractBootFiles(isoPath, join(dir, 'out6'), { entry: 'broken' }).then(
    () => t.fail('should fail'),
    (e: Error) => {
      t.type(e, MediumError)
      t.match(e.message, /The kernel '\/boot\/missing-vmlinuz' of boot entry 'broken' \(from \/boot\/isolinux\/entries\.cfg\) is not in ISO/)
    },
  )
})

t.test('plain ISO 9660 names: configs found ignoring case', { skip }, async t => {
  const isoPath = await makeIso('plain', { 'isolinux/isolinux.cfg': 'LABEL x\nKERNEL /boot/vmlinuz\n', 'boot/vmlinuz': kernel }, ['--norock'])
  const iso = await IsoImage.open(isoPath)
  t.teardown(() => iso.close())
  t.equal(iso.names, 'plain')
  t.same((await findBootEntries(iso)).map(e => [e.label, e.source]), [['x', '/ISOLINUX/ISOLINUX.CFG']])
  const got = await extractBootFiles(isoPath, join(dir, 'plain-out'))
  t.ok(readFileSync(got.kernel).equals(kernel))
})

t.test('an ISO without boot configuration', { skip }, async t => {
  const isoPath = await makeIso('empty', { 'readme.txt': 'nothing to boot\n', 'boot/grub/grub.cfg': 'menuentry x { chainloader +1 }\n' })
  await extractBootFiles(isoPath, join(dir, 'empty-out')).then(
    () => t.fail('should fail'),
    (e: Error) => {
      t.type(e, MediumError)
      t.match(e.message, /^No boot entries found in ISO '.*empty\.iso': looked at /)
      for (const p of BOOT_CONFIG_PATHS) t.ok(e.message.includes(p), `names ${p}`)
      t.match(e.message, /found \/boot\/grub\/grub\.cfg but no Linux entries in them/)
    },
  )
  await t.rejects(extractBootFiles(join(dir, 'no-such.iso'), join(dir, 'x')), MediumError, 'a missing ISO')
})

// Seeded fuzz test of the ISO 9660 reader and the syslinux/GRUB parsers: mutations of a
// real small ISO built here with xorriso (Rock Ridge, Joliet, isolinux.cfg and grub.cfg
// with includes inside) and of real-shaped configuration texts (Debian installer, the
// demo builder's). Every case must end in a result or a MediumError, within 1 s.
//
// The seed is printed; rerun a failure with BOOTCHECK_FUZZ_SEED=<seed> (and fewer cases
// with BOOTCHECK_FUZZ_CASES=<n>). Each case has its own generator (seed, case number), so
// a failing case is reproduced by its number alone.
import { execa } from 'execa'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { MediumError } from '../../../src/errors/errors.js'
import { parseGrubConfig, parseSyslinuxConfig, searchBootConfigs } from '../../../src/media/bootconfig.js'
import { IsoImage, SECTOR_SIZE } from '../../../src/media/iso9660.js'

const SEED = Number(process.env.BOOTCHECK_FUZZ_SEED ?? 20_261_202) >>> 0
const CASES = Number(process.env.BOOTCHECK_FUZZ_CASES ?? 1000)
const CASE_LIMIT_MS = 1000
t.comment(`fuzz seed ${SEED} (BOOTCHECK_FUZZ_SEED=${SEED} to reproduce), ${CASES} cases per target`)

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! }
}
const caseRng = (target: number, n: number) => prng((SEED ^ Math.imul(target + 1, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0)

interface Failure {
  target: string
  case: number
  what: string
  error: string
}

const outcomes = { result: 0, mediumError: 0 }

/** Runs one case: a result or a MediumError within the limit, anything else is a failure. */
async function runCase(failures: Failure[], times: number[], target: string, n: number, what: string, fn: () => Promise<unknown> | unknown) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>(r => {
    timer = setTimeout(() => r('hang'), CASE_LIMIT_MS * 5)
  })
  try {
    const r = await Promise.race([Promise.resolve().then(fn), hang])
    if (r === 'hang') failures.push({ target, case: n, what, error: `no answer within ${CASE_LIMIT_MS * 5} ms` })
    else outcomes.result++
  } catch (e) {
    if (e instanceof MediumError) outcomes.mediumError++
    else failures.push({ target, case: n, what, error: `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` })
  } finally {
    clearTimeout(timer)
  }
  const ms = performance.now() - started
  times.push(ms)
  if (ms > CASE_LIMIT_MS) failures.push({ target, case: n, what, error: `took ${Math.round(ms)} ms` })
}

function report(t: Tap.Test, failures: Failure[], times: number[]) {
  const sorted = [...times].sort((a, b) => a - b)
  t.comment(`${outcomes.result} results, ${outcomes.mediumError} MediumErrors`)
  outcomes.result = outcomes.mediumError = 0
  t.comment(`${times.length} cases, median ${sorted[sorted.length >> 1]?.toFixed(2)} ms, slowest ${sorted.at(-1)?.toFixed(1)} ms`)
  for (const f of failures.slice(0, 20)) t.comment(`FAIL ${f.target} case ${f.case} (${f.what}): ${f.error}`)
  t.same(failures, [], `every case ends in a result or a MediumError within ${CASE_LIMIT_MS} ms (seed ${SEED})`)
}
declare namespace Tap {
  type Test = import('tap').Test
}

// ---------------------------------------------------------------------------------------
// configuration texts: Debian installer shapes, the demo builder's, NixOS-like variables

const ISOLINUX: Record<string, string> = {
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
\tmenu title Advanced options
\tinclude stdmenu.cfg
\tlabel mainmenu
\t\tmenu label ^Back..
\t\tmenu exit
\tinclude adtxt.cfg
menu end
label help
\tmenu label ^Help
\ttext help
   Display help screens; type 'menu' at boot prompt to return to this menu
\tendtext
\tconfig prompt.cfg
`,
  '/isolinux/stdmenu.cfg': `menu background splash.png
menu color title\t* #FFFFFFFF *
menu color border\t* #00000000 #00000000 none
menu vshift 12
menu rows 10
menu tabmsg Press ENTER to boot or TAB to edit a menu entry
`,
  '/isolinux/gtk.cfg': `default installgui
label installgui
\tmenu label ^Graphical install
\tmenu default
\tkernel /install.amd/vmlinuz
\tappend vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet
`,
  '/isolinux/txt.cfg': `label install
\tmenu label ^Install
\tkernel /install.amd/vmlinuz
\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet
`,
  '/isolinux/adtxt.cfg': `label expert
\tmenu label E^xpert install
\tkernel /install.amd/vmlinuz
\tappend priority=low vga=788 initrd=/install.amd/initrd.gz ---
include rqtxt.cfg
label auto
\tmenu label ^Automated install
\tkernel /install.amd/vmlinuz
\tappend auto=true priority=critical vga=788 initrd=/install.amd/initrd.gz --- quiet
`,
  '/isolinux/rqtxt.cfg': `label rescue
\tmenu label ^Rescue mode
\tkernel /install.amd/vmlinuz
\tappend vga=788 initrd=/install.amd/initrd.gz rescue/enable=true --- quiet
`,
  '/isolinux/prompt.cfg': `prompt 1
display f1.txt
timeout 0
include menu.cfg
`,
  // the demo builder's (vm-configs/debian/build.ts)
  '/isolinux/live.cfg': `SERIAL 0 115200
SAY bootcheck live: entries live (default, 60 s) and live-copytoram
PROMPT 1
TIMEOUT 600
DEFAULT live

LABEL live
  KERNEL /boot/bzImage
  INITRD /boot/initrd
  APPEND console=ttyS0,115200 init=/init loglevel=4

LABEL live-copytoram
  KERNEL /boot/bzImage
  INITRD /boot/initrd
  APPEND console=ttyS0,115200 init=/init loglevel=4 copytoram
`,
}

const GRUB: Record<string, string> = {
  '/boot/grub/grub.cfg': `if [ x$feature_default_font_path = xy ] ; then
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
source /boot/grub/theme.cfg
set isofile="/live/\${arch}.iso"
set params="boot=live components quiet splash"
terminal_output gfxterm
menuentry --hotkey=g 'Graphical install' --id gui {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet
    initrd   /install.amd/gtk/initrd.gz
}
menuentry --hotkey=i 'Install' {
    linux    /install.amd/vmlinuz $params "findiso=\${isofile}" ---
    initrd   /install.amd/initrd.gz
}
submenu --hotkey=a 'Advanced options ...' {
    set menu_color_normal=cyan/blue
    menuentry '... Graphical expert install' {
        linux    /install.amd/vmlinuz priority=low vga=788 ---
        initrd   /install.amd/gtk/initrd.gz
    }
    submenu '... Speech-enabled advanced options ...' {
        menuentry '... Expert speech install' { linux /install.amd/vmlinuz priority=low speakup.synth=soft; initrd /install.amd/initrd.gz; }
    }
}
menuentry 'UEFI Firmware Settings' { fwsetup }
menuentry 'Other config' { configfile /boot/grub/loopback.cfg }
set default="1>0"
`,
  '/boot/grub/theme.cfg': `set color_normal=light-gray/black
set menu_color_highlight=white/dark-gray
if background_image /isolinux/splash.png; then
  set color_normal=light-gray/black
elif background_image /splash.png; then
  set color_normal=light-gray/black
else
  set menu_color_normal=cyan/blue
fi
function load_video { insmod all_video; }
`,
  '/boot/grub/loopback.cfg': `source /boot/grub/grub.cfg\n`,
  // the demo builder's
  '/boot/grub/live.cfg': `serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input serial console
terminal_output serial console
set timeout=60
set default=live

menuentry 'live' --id live {
  linux /boot/bzImage console=ttyS0,115200 init=/init loglevel=4
  initrd /boot/initrd
}

menuentry 'live-copytoram' --id live-copytoram {
  linux /boot/bzImage console=ttyS0,115200 init=/init loglevel=4 copytoram
  initrd /boot/initrd
}
`,
}

const TOKENS = [
  '{', '}', '"', "'", '$', '${', '}', '\\', ';', '\n', ' ', '\t', '#', '=', '>', '^', '\r\n', '\0', '\uFEFF', 'é',
  'include menu.cfg\n', 'INCLUDE /isolinux/isolinux.cfg\n', 'config /isolinux/isolinux.cfg\n', 'CONFIG prompt.cfg /isolinux\n',
  'menu begin x\n', 'menu end\n', 'label x\n', 'kernel vmlinuz.c32\n', 'append initrd=a,,b,\n', 'default \n', 'text help\n',
  'source /boot/grub/grub.cfg\n', 'source /boot/grub/theme.cfg\n', '. /boot/grub/loopback.cfg\n', 'configfile /boot/grub/grub.cfg\n',
  'submenu x {\n', "menuentry 'y' {\n", 'function f {\n', 'if true; then\n', 'fi\n', 'done\n', 'set a="$a$a"\n', 'set default="0>1>2"\n',
  '${isofile}', '$params', 'linux ($root)/vmlinuz', 'initrd', '--id', '--hotkey=', '--',
]

/** Lines that read other files of the set, so mutations make include loops and fan-outs. */
const DIRECTIVES = {
  syslinux: ['include', 'INCLUDE', 'menu include', 'config', 'CONFIG'],
  grub: ['source', '.', 'configfile'],
}

function mutateText(text: string, r: ReturnType<typeof prng>, kind: 'syslinux' | 'grub', names: string[]): { text: string; what: string } {
  let s = text
  const did: string[] = []
  const rounds = 1 + r.int(6)
  for (let k = 0; k < rounds; k++) {
    const pos = r.int(s.length + 1)
    switch (r.int(10)) {
      case 8:
      case 9: {
        // a whole line reading a file of the set (often the file itself), repeated
        const lines = s.split('\n')
        const at = r.int(lines.length + 1)
        const line = `${r.pick(DIRECTIVES[kind])} ${r.pick(names)}`
        const times = r.next() < 0.3 ? 1 + r.int(4) : 1
        lines.splice(at, 0, ...Array<string>(times).fill(line))
        s = lines.join('\n')
        did.push(`line ${JSON.stringify(line)}x${times}@${at}`)
        break
      }
      case 0:
      case 1: {
        const tok = r.pick(TOKENS)
        s = s.slice(0, pos) + tok + s.slice(pos)
        did.push(`insert ${JSON.stringify(tok)}@${pos}`)
        break
      }
      case 2: {
        const n = 1 + r.int(20)
        s = s.slice(0, pos) + s.slice(pos + n)
        did.push(`delete ${n}@${pos}`)
        break
      }
      case 3:
        s = s.slice(0, pos)
        did.push(`truncate@${pos}`)
        break
      case 4: {
        const c = String.fromCharCode(r.int(256))
        s = s.slice(0, pos) + c + s.slice(pos + 1)
        did.push(`char ${c.charCodeAt(0)}@${pos}`)
        break
      }
      case 5: {
        const lines = s.split('\n')
        const i = r.int(lines.length)
        lines.splice(r.int(lines.length), 0, ...Array<string>(r.next() < 0.1 ? 1 + r.int(40) : 1 + r.int(3)).fill(lines[i] ?? ''))
        s = lines.join('\n')
        did.push(`duplicate line ${i}`)
        break
      }
      case 6: {
        const lines = s.split('\n')
        const i = r.int(lines.length)
        const j = r.int(lines.length)
        ;[lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? '']
        s = lines.join('\n')
        did.push(`swap lines ${i},${j}`)
        break
      }
      default: {
        const run = r.pick(['{ ', '} ', '"', '$', '\\', 'x'])
        const n = r.next() < 0.05 ? 1 + r.int(30_000) : 1 + r.int(200)
        s = s.slice(0, pos) + run.repeat(n) + s.slice(pos)
        did.push(`run ${JSON.stringify(run)}x${n}@${pos}`)
      }
    }
  }
  return { text: s, what: did.join(', ') }
}

function configCases(t: Tap.Test, kind: 'syslinux' | 'grub', files: Record<string, string>, target: number) {
  t.test(`${kind} parser: ${CASES} mutated configurations`, async t => {
    const failures: Failure[] = []
    const times: number[] = []
    const names = Object.keys(files)
    for (let n = 0; n < CASES; n++) {
      const r = caseRng(target, n)
      // mutate one or two files of the set; the others stay as they are, read through includes
      const mutated = { ...files }
      const whats: string[] = []
      for (let k = 0; k < 1 + r.int(2); k++) {
        const name = r.pick(names)
        const m = mutateText(mutated[name]!, r, kind, names)
        mutated[name] = m.text
        whats.push(`${name}: ${m.what}`)
      }
      const start = r.pick(names)
      const include = (p: string) => mutated[p]
      await runCase(failures, times, kind, n, `${start}; ${whats.join('; ')}`, () =>
        kind === 'syslinux'
          ? parseSyslinuxConfig(mutated[start]!, { source: start, include })
          : parseGrubConfig(mutated[start]!, { source: start, include }),
      )
    }
    report(t, failures, times)
  })
}

configCases(t, 'syslinux', ISOLINUX, 1)
configCases(t, 'grub', GRUB, 2)

// ---------------------------------------------------------------------------------------
// ISO images

const hasXorriso = (await execa('sh', ['-c', 'command -v xorriso'], { reject: false })).exitCode === 0

t.test(`ISO 9660 reader: ${CASES} mutated images`, { skip: !hasXorriso && 'xorriso missing (apt-get install xorriso)' }, async t => {
  const dir = t.testdir()
  const root = join(dir, 'root')
  for (const [p, text] of Object.entries({ ...ISOLINUX, ...GRUB })) {
    mkdirSync(join(root, p, '..'), { recursive: true })
    writeFileSync(join(root, p), text)
  }
  mkdirSync(join(root, 'install.amd', 'gtk'), { recursive: true })
  writeFileSync(join(root, 'install.amd', 'vmlinuz'), Buffer.alloc(3000, 0x4b))
  writeFileSync(join(root, 'install.amd', 'initrd.gz'), Buffer.alloc(5000, 0x49))
  writeFileSync(join(root, 'install.amd', 'gtk', 'initrd.gz'), Buffer.alloc(100, 0x47))
  mkdirSync(join(root, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'), { recursive: true }) // deep: Rock Ridge relocation
  writeFileSync(join(root, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'deep.txt'), 'deep\n')
  writeFileSync(join(root, `${'long-name-'.repeat(15)}.txt`), 'long\n') // NM continued in a CE area
  symlinkSync('install.amd', join(root, 'install'))
  symlinkSync('/boot/grub/grub.cfg', join(root, 'grub.cfg'))
  const isoPath = join(dir, 'clean.iso')
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-no-pad', '-V', 'FUZZ', '-o', isoPath, root])
  const clean = readFileSync(isoPath)
  t.comment(`clean ISO: ${clean.length} bytes`)

  // where the volume descriptors and directory records are, to aim mutations there
  const descriptors: [number, number] = [16 * SECTOR_SIZE, 16 * SECTOR_SIZE]
  while (clean.toString('latin1', descriptors[1] + 1, descriptors[1] + 6) === 'CD001') descriptors[1] += SECTOR_SIZE
  const records: number[] = [] // offsets of directory records
  const dirs: { offset: number; lba: number }[] = []
  const seen = new Set<number>()
  const scan = (lba: number, size: number) => {
    if (seen.has(lba)) return
    seen.add(lba)
    for (let off = lba * SECTOR_SIZE; off < lba * SECTOR_SIZE + size; ) {
      const len = clean[off] ?? 0
      if (len === 0) {
        off = (Math.floor(off / SECTOR_SIZE) + 1) * SECTOR_SIZE
        continue
      }
      records.push(off)
      const flags = clean[off + 25] ?? 0
      const nameLen = clean[off + 32] ?? 0
      const dot = nameLen === 1 && (clean[off + 33] === 0 || clean[off + 33] === 1)
      if (flags & 2 && !dot) {
        dirs.push({ offset: off, lba: clean.readUInt32LE(off + 2) })
        scan(clean.readUInt32LE(off + 2), clean.readUInt32LE(off + 10))
      }
      off += len
    }
  }
  for (let d = descriptors[0]; d < descriptors[1]; d += SECTOR_SIZE) {
    if (clean[d] === 1 || clean[d] === 2) scan(clean.readUInt32LE(d + 156 + 2), clean.readUInt32LE(d + 156 + 10))
  }
  t.ok(records.length > 20 && dirs.length > 5, `${records.length} directory records, ${dirs.length} directories`)
  const rootLba = clean.readUInt32LE(16 * SECTOR_SIZE + 156 + 2)

  const mutateIso = (r: ReturnType<typeof prng>): { data: Buffer; what: string } => {
    let data = Buffer.from(clean)
    const did: string[] = []
    const rounds = 1 + r.int(4)
    for (let k = 0; k < rounds; k++) {
      const choice = r.int(10)
      const at = () => {
        const where = r.int(3)
        if (where === 0) return descriptors[0] + r.int(descriptors[1] - descriptors[0] + SECTOR_SIZE)
        if (where === 1) return r.pick(records) + r.int(64)
        return r.int(data.length)
      }
      if (choice <= 2) {
        const off = at()
        if (off < data.length) data[off]! ^= 1 << r.int(8)
        did.push(`flip@${off}`)
      } else if (choice <= 4) {
        const off = at()
        const n = 1 + r.int(32)
        const v = r.pick([0, 0xff, r.int(256)])
        data.fill(v, Math.min(off, data.length), Math.min(off + n, data.length))
        did.push(`run ${v}x${n}@${off}`)
      } else if (choice <= 6) {
        // a random LBA or size in a record, or in the root record of a descriptor
        const rec = r.next() < 0.8 ? r.pick(records) : descriptors[0] + r.int((descriptors[1] - descriptors[0]) / SECTOR_SIZE) * SECTOR_SIZE + 156
        const field = r.pick([2, 10, 6, 14])
        const v = r.pick([0, 0xffffffff, r.int(data.length / SECTOR_SIZE + 4), r.int(0x7fffffff), data.length])
        if (rec + field + 4 <= data.length) data.writeUInt32LE(v >>> 0, rec + field)
        did.push(`u32 ${v}@${rec}+${field}`)
      } else if (choice === 7) {
        // a cyclic directory: a subdirectory pointing back at the root or another directory
        const d = r.pick(dirs)
        const target = r.next() < 0.5 ? rootLba : r.pick(dirs).lba
        if (d.offset + 6 <= data.length) data.writeUInt32LE(target, d.offset + 2)
        did.push(`cycle ${d.offset}->${target}`)
      } else if (choice === 8) {
        const len = r.int(data.length)
        data = data.subarray(0, len)
        did.push(`truncate@${len}`)
      } else {
        // damage a SUSP/Rock Ridge area: random bytes after a record's name
        const rec = r.pick(records)
        const nameLen = data[rec + 32] ?? 0
        const off = rec + 33 + nameLen + r.int(20)
        const n = 1 + r.int(8)
        for (let i = 0; i < n && off + i < data.length; i++) data[off + i] = r.int(256)
        did.push(`susp ${n}@${off}`)
      }
    }
    return { data, what: did.join(', ') }
  }

  const exercise = async (path: string) => {
    const iso = await IsoImage.open(path)
    try {
      let budget = 400 // entries visited: a cyclic directory would otherwise go on forever
      const walk = async (p: string, depth: number): Promise<void> => {
        for (const e of await iso.list(p)) {
          if (--budget < 0 || depth > 12) return
          try {
            if (e.type === 'directory') await walk(e.path, depth + 1)
            else if (e.type === 'file' && e.size < 1 << 20) await iso.readFile(e.path)
            else if (e.type === 'symlink') await iso.exists(e.path)
          } catch (err) {
            if (!(err instanceof MediumError)) throw err
          }
        }
      }
      await walk('/', 0)
      await searchBootConfigs(iso)
    } finally {
      await iso.close()
    }
  }

  // the clean image itself works
  await exercise(isoPath)

  const failures: Failure[] = []
  const times: number[] = []
  const casePath = join(dir, 'case.iso')
  for (let n = 0; n < CASES; n++) {
    const m = mutateIso(caseRng(3, n))
    await writeFile(casePath, m.data)
    await runCase(failures, times, 'iso', n, m.what, () => exercise(casePath))
  }
  report(t, failures, times)
})

import t from 'tap'
import { execa } from 'execa'
import {
  canonicalModuleName,
  elfNeeded,
  elfSection,
  moduleClosure,
  parseModinfo,
  parseModulesBuiltin,
  type ModuleEntry,
} from '../../../../vm-configs/debian/kmod.js'
import { compressHash, nixBase32, storePathName } from '../../../../vm-configs/debian/nixstore.js'
import { writeCpio } from '../../../../vm-configs/debian/cpio.js'
import { cacheKey, type CacheKeyInputs } from '../../../../vm-configs/debian/cache.js'
import { parsePrintUris, upstreamVersion } from '../../../../vm-configs/debian/debs.js'
import { stableStringify } from '../../../../vm-configs/debian/helpers.js'

/** A minimal ELF64 LE relocatable with the given sections (what a .ko looks like to elfSection). */
function fakeElf(sections: Record<string, Uint8Array>): Buffer {
  const names = Object.keys(sections)
  const shstr = Buffer.from('\0' + [...names, '.shstrtab'].map((n) => n + '\0').join(''))
  const nameOff = (n: string) => shstr.indexOf(Buffer.from('\0' + n + '\0')) + 1
  const datas = [...names.map((n) => Buffer.from(sections[n] as Uint8Array)), shstr]
  let off = 64
  const offsets = datas.map((d) => {
    const o = off
    off += d.length
    return o
  })
  const shoff = off
  const shnum = datas.length + 1
  const out = Buffer.alloc(shoff + shnum * 64)
  out.writeUInt32BE(0x7f454c46, 0)
  out[4] = 2 // ELFCLASS64
  out[5] = 1 // little endian
  out[6] = 1
  out.writeUInt16LE(1, 16) // ET_REL
  out.writeBigUInt64LE(BigInt(shoff), 0x28)
  out.writeUInt16LE(64, 0x3a)
  out.writeUInt16LE(shnum, 0x3c)
  out.writeUInt16LE(shnum - 1, 0x3e)
  datas.forEach((d, i) => d.copy(out, offsets[i] as number))
  ;[...names, '.shstrtab'].forEach((n, i) => {
    const b = shoff + (i + 1) * 64
    out.writeUInt32LE(nameOff(n), b)
    out.writeUInt32LE(n === '.dynamic' ? 6 : n === '.shstrtab' || n === '.dynstr' ? 3 : 1, b + 4)
    out.writeBigUInt64LE(BigInt(offsets[i] as number), b + 0x18)
    out.writeBigUInt64LE(BigInt((datas[i] as Buffer).length), b + 0x20)
  })
  return out
}

const modinfo = (...kv: string[]) => Buffer.from(kv.join('\0') + '\0')

const mod = (name: string, depends: string[] = [], extra: Partial<ModuleEntry> = {}): ModuleEntry => ({
  name,
  depends,
  softdepPre: [],
  aliases: [],
  path: `kernel/${name}.ko`,
  ...extra,
})

t.test('canonical module names', async (t) => {
  t.equal(canonicalModuleName('xhci-hcd'), 'xhci_hcd')
  t.equal(canonicalModuleName('kernel/drivers/usb/storage/usb-storage.ko'), 'usb_storage')
  t.equal(canonicalModuleName('kernel/fs/ext4/ext4.ko.xz'), 'ext4')
  t.equal(canonicalModuleName('crc-t10dif.ko.zst'), 'crc_t10dif')
})

t.test('modinfo strings: depends, softdep pre, aliases without wildcards, name', async (t) => {
  const info = parseModinfo(
    modinfo(
      'license=GPL',
      'softdep=pre: crypto-crc32c post: foo',
      'alias=fs-ext4',
      'alias=pci:v00008086d*sv*',
      'depends=jbd2,mbcache,crc16',
      'intree=Y',
      'name=ext4',
      'vermagic=6.1.0 SMP mod_unload',
    ),
    'kernel/fs/ext4/whatever.ko',
  )
  t.same(info, { name: 'ext4', depends: ['jbd2', 'mbcache', 'crc16'], softdepPre: ['crypto-crc32c'], aliases: ['fs-ext4'] })

  const noName = parseModinfo(modinfo('depends=', 'license=GPL'), 'kernel/drivers/usb/host/xhci-pci.ko')
  t.same(noName, { name: 'xhci_pci', depends: [], softdepPre: [], aliases: [] }, 'empty depends, name from file')

  const hyphens = parseModinfo(modinfo('depends=xhci-hcd,usbcore', 'name=xhci_pci'), 'x.ko')
  t.same(hyphens.depends, ['xhci_hcd', 'usbcore'], 'dependency names are canonical')
})

t.test('.modinfo is found in an ELF file', async (t) => {
  const section = modinfo('depends=a-b,c', 'name=thing')
  const elf = fakeElf({ '.text': Buffer.from([0xc3]), '.modinfo': section })
  const got = elfSection(elf, '.modinfo')
  t.ok(got)
  t.same(parseModinfo(got as Uint8Array, 'x.ko'), { name: 'thing', depends: ['a_b', 'c'], softdepPre: [], aliases: [] })
  t.equal(elfSection(elf, '.nothere'), undefined)
  t.equal(elfSection(Buffer.from('not an elf at all, really not, long enough to read a header .....'), '.modinfo'), undefined)
})

t.test('DT_NEEDED entries', async (t) => {
  const dynstr = Buffer.from('\0libc.so.6\0libm.so.6\0')
  const dyn = Buffer.alloc(16 * 3)
  dyn.writeBigInt64LE(1n, 0)
  dyn.writeBigUInt64LE(1n, 8)
  dyn.writeBigInt64LE(1n, 16)
  dyn.writeBigUInt64LE(11n, 24)
  // third entry: DT_NULL
  t.same(elfNeeded(fakeElf({ '.dynstr': dynstr, '.dynamic': dyn })), ['libc.so.6', 'libm.so.6'])
})

t.test('closure: dependencies first, each module once', async (t) => {
  const mods = [
    mod('usbcore', ['usb_common']),
    mod('usb_common'),
    mod('xhci_hcd', ['usbcore']),
    mod('xhci_pci', ['xhci_hcd', 'usbcore']),
    mod('scsi_mod', ['scsi_common']),
    mod('scsi_common'),
    mod('usb_storage', ['usbcore', 'scsi_mod']),
    mod('unrelated', ['usbcore']),
  ]
  const r = moduleClosure(mods, new Set(), { required: ['xhci_pci', 'usb-storage'] })
  const order = r.order.map((m) => m.name)
  t.same(order, ['usb_common', 'usbcore', 'xhci_hcd', 'xhci_pci', 'scsi_common', 'scsi_mod', 'usb_storage'])
  for (const m of r.order) {
    for (const d of m.depends) t.ok(order.indexOf(d) < order.indexOf(m.name), `${d} before ${m.name}`)
  }
  t.notOk(order.includes('unrelated'))
})

t.test('closure: built-in modules are skipped, also as dependencies', async (t) => {
  const builtin = parseModulesBuiltin('kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\n\n')
  t.same([...builtin].sort(), ['virtio', 'virtio_ring'])
  const mods = [mod('virtio_pci', ['virtio', 'virtio_ring']), mod('virtio_blk', ['virtio', 'virtio_ring'])]
  const r = moduleClosure(mods, builtin, { required: ['virtio_pci', 'virtio_blk', 'virtio'] })
  t.same(r.order.map((m) => m.name), ['virtio_pci', 'virtio_blk'])
  t.same(r.builtin, ['virtio', 'virtio_ring'])
})

t.test('closure: soft pre-dependencies by alias load every provider, before the module', async (t) => {
  const mods = [
    mod('ext4', ['jbd2'], { softdepPre: ['crypto-crc32c'] }),
    mod('jbd2', [], { softdepPre: ['crypto-crc32c'] }),
    mod('crc32c_generic', [], { aliases: ['crypto-crc32c', 'crc32c'] }),
    mod('crc32c_intel', [], { aliases: ['crypto-crc32c'] }),
  ]
  const r = moduleClosure(mods, new Set(), { required: ['ext4'] })
  t.same(r.order.map((m) => m.name), ['crc32c_generic', 'crc32c_intel', 'jbd2', 'ext4'])
  const none = moduleClosure([mod('ext4', [], { softdepPre: ['crypto-nothing'] })], new Set(), { required: ['ext4'] })
  t.same(none.order.map((m) => m.name), ['ext4'], 'a missing soft dependency is not an error')
  t.same(none.missingOptional, ['crypto_nothing'])
})

t.test('closure: missing modules, optional modules, cycles', async (t) => {
  const mods = [mod('a', ['b']), mod('b', ['gone']), mod('c')]
  t.throws(() => moduleClosure(mods, new Set(), { required: ['a'] }), /kernel module not found: gone \(needed by b <- a\)/)
  t.throws(() => moduleClosure(mods, new Set(), { required: ['nothere'] }), /kernel module not found: nothere/)
  const r = moduleClosure(mods, new Set(), { required: ['c'], optional: ['uas', 'c'] })
  t.same(r.order.map((m) => m.name), ['c'])
  t.same(r.missingOptional, ['uas'])
  t.throws(() => moduleClosure([mod('x', ['y']), mod('y', ['x'])], new Set(), { required: ['x'] }), /cycle/)
})

t.test('cache key: stable, and changes when any input changes', async (t) => {
  const base: CacheKeyInputs = {
    debs: [
      { file: 'hello_2.10-3_amd64.deb', sha256: 'a'.repeat(64) },
      { file: 'linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb', sha256: 'b'.repeat(64) },
    ],
    sources: { 'build.ts': '1'.repeat(64), 'stage-1-init.sh': '2'.repeat(64) },
    options: { persistedPaths: ['/var/lib/persisted'], timeout: 30 },
  }
  const k = cacheKey(base)
  t.match(k, /^[0-9a-f]{32}$/)
  t.equal(cacheKey(structuredClone(base)), k, 'same inputs, same key')
  t.equal(cacheKey({ ...base, debs: [...base.debs].reverse() }), k, 'order of debs does not matter')
  t.equal(cacheKey({ ...base, options: { timeout: 30, persistedPaths: ['/var/lib/persisted'] } }), k, 'key order does not matter')
  const changed: CacheKeyInputs[] = [
    { ...base, debs: [base.debs[0]!, { file: 'linux-image-6.1.0-57-amd64_6.1.200-1_amd64.deb', sha256: 'b'.repeat(64) }] },
    { ...base, debs: [base.debs[0]!, { ...base.debs[1]!, sha256: 'c'.repeat(64) }] },
    { ...base, sources: { ...base.sources, 'stage-1-init.sh': '3'.repeat(64) } },
    { ...base, sources: { ...base.sources, 'new-file.ts': '4'.repeat(64) } },
    { ...base, options: { ...base.options, persistedPaths: ['/var/lib/persisted', '/root'] } },
    { ...base, options: { ...base.options, timeout: 31 } },
  ]
  const keys = new Set(changed.map(cacheKey))
  t.equal(keys.size, changed.length, 'every change gives a distinct key')
  t.notOk(keys.has(k), 'and none equals the original')
  t.equal(stableStringify({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}')
})

t.test('apt --print-uris parsing and Debian versions', async (t) => {
  const out = [
    "'http://deb.debian.org/debian/pool/main/b/busybox/busybox-static_1%3a1.35.0-4%2bdeb12u1%2bb1_amd64.deb' busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb 928188 SHA256:3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744",
    'W: some warning',
    "'http://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3_amd64.deb' hello_2.10-3_amd64.deb 53080 SHA256:2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a",
  ].join('\n')
  const refs = parsePrintUris(out)
  t.equal(refs.length, 2)
  t.match(refs[0], { pkg: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1', file: 'busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb' })
  t.match(refs[1], { pkg: 'hello', version: '2.10-3' })
  t.equal(upstreamVersion('1:1.35.0-4+deb12u1+b1'), '1.35.0')
  t.equal(upstreamVersion('2.36-9+deb12u14'), '2.36')
  t.equal(upstreamVersion('3:6.04~git20190206.bf6db5b4+dfsg1-3'), '6.04_git20190206.bf6db5b4+dfsg1')
})

t.test('Nix-style store names', async (t) => {
  // sha256("") in Nix's base32, as printed by `nix-hash --type sha256 --to-base32`
  const empty = Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')
  t.equal(nixBase32(empty), '0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73')
  t.equal(compressHash(empty, 20).length, 20)
  const a = storePathName('hello-2.10', 'f'.repeat(64))
  t.match(a, /^[0-9abcdfghijklmnpqrsvwxyz]{32}-hello-2\.10$/)
  t.equal(storePathName('hello-2.10', 'f'.repeat(64)), a, 'stable')
  t.not(storePathName('hello-2.10', 'e'.repeat(64)), a, 'content changes the hash')
  t.not(storePathName('hello-2.11', 'f'.repeat(64)), a, 'name changes the hash')
  t.throws(() => storePathName('bad/name', 'f'.repeat(64)))
})

t.test('newc cpio writer', async (t) => {
  const data = writeCpio([
    { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
    { type: 'dir', path: 'bin' },
  ])
  t.equal(data.subarray(0, 6).toString(), '070701')
  t.equal(data.length % 4, 0)
  t.ok(data.includes(Buffer.from('TRAILER!!!\0')))
  const probe = await execa('cpio', ['--version'], { reject: false })
  if (probe.exitCode !== 0) {
    t.comment('cpio not installed: skipping the round trip')
    return
  }
  const names = await execa('cpio', ['-it'], { input: data })
  t.same(names.stdout.split('\n'), ['bin', 'bin/sh', 'dev', 'dev/console', 'init'], 'sorted, parents before children')
  const long = (await execa('cpio', ['-itv'], { input: data })).stdout.split('\n')
  t.match(long.find((l) => l.endsWith('dev/console')), /^crw-------\s+1 root\s+root\s+5,\s+1 /)
  t.match(long.find((l) => l.endsWith('init')), /^-rwxr-xr-x\s+1 root\s+root\s+10 /)
  t.match(long.find((l) => l.includes('bin/sh')), /^lrwxrwxrwx .* bin\/sh -> \/bin\/busybox$/)
})

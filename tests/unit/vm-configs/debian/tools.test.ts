// The guest tools of the demo media (vm-configs/debian/tools.ts, libclosure.ts): the
// DT_NEEDED closure across packages, the error naming a missing library, the wrapper, and
// the contract's tool list.
import t from 'tap'
import { CONTRACT, GUEST_TOOLS, PACKAGES } from '../../../../vm-configs/debian/contract.js'
import { libraryClosure, type FoundLibrary } from '../../../../vm-configs/debian/libclosure.js'
import { wrapperScript } from '../../../../vm-configs/debian/tools.js'

/** A minimal ELF64 LE with .dynstr/.dynamic sections naming `needed` as DT_NEEDED. */
function elfNeeding(...needed: string[]): Buffer {
  const dynstr = Buffer.from('\0' + needed.map((n) => n + '\0').join(''))
  const dyn = Buffer.alloc(16 * (needed.length + 1))
  let off = 1
  needed.forEach((n, i) => {
    dyn.writeBigInt64LE(1n, i * 16)
    dyn.writeBigUInt64LE(BigInt(off), i * 16 + 8)
    off += n.length + 1
  })
  const sections: [string, Buffer][] = [['.dynstr', dynstr], ['.dynamic', dyn]]
  const shstr = Buffer.from('\0' + [...sections.map(([n]) => n), '.shstrtab'].map((n) => n + '\0').join(''))
  const datas = [...sections.map(([, d]) => d), shstr]
  let pos = 64
  const offsets = datas.map((d) => ((pos += d.length), pos - d.length))
  const shnum = datas.length + 1
  const out = Buffer.alloc(pos + shnum * 64)
  out.writeUInt32BE(0x7f454c46, 0)
  out[4] = 2
  out[5] = 1
  out[6] = 1
  out.writeUInt16LE(3, 16)
  out.writeBigUInt64LE(BigInt(pos), 0x28)
  out.writeUInt16LE(64, 0x3a)
  out.writeUInt16LE(shnum, 0x3c)
  out.writeUInt16LE(shnum - 1, 0x3e)
  const names = [...sections.map(([n]) => n), '.shstrtab']
  datas.forEach((d, i) => {
    d.copy(out, offsets[i])
    const sh = pos + (i + 1) * 64
    out.writeUInt32LE(shstr.indexOf(Buffer.from('\0' + names[i] + '\0')) + 1, sh)
    out.writeUInt32LE(names[i] === '.shstrtab' ? 3 : 6, sh + 4)
    out.writeBigUInt64LE(BigInt(offsets[i] as number), sh + 0x18)
    out.writeBigUInt64LE(BigInt(d.length), sh + 0x20)
  })
  return out
}

/** A lookup over fake packages: package → soname → the sonames that library needs. */
function fakePackages(pkgs: Record<string, Record<string, string[]>>) {
  return async (soname: string): Promise<FoundLibrary | undefined> => {
    for (const [pkg, libs] of Object.entries(pkgs)) {
      const needs = libs[soname]
      if (needs) return { pkg, path: `${pkg}:/usr/lib/x86_64-linux-gnu/${soname}`, data: elfNeeding(...needs) }
    }
    return undefined
  }
}

t.test('the closure follows libraries across packages, each once', async (t) => {
  const lookup = fakePackages({
    libc6: { 'libc.so.6': ['ld-linux-x86-64.so.2'], 'ld-linux-x86-64.so.2': [] },
    libxenmisc: { 'libxenctrl.so.4.17': ['libxencall.so.1', 'libc.so.6'] },
    libxencall1: { 'libxencall.so.1': ['libxentoolcore.so.1', 'libc.so.6'] },
    libxentoolcore1: { 'libxentoolcore.so.1': ['libc.so.6'] },
  })
  const got = await libraryClosure('kexec-tools:/sbin/kexec', elfNeeding('libxenctrl.so.4.17', 'libc.so.6'), lookup, ['libc6'])
  t.same(
    Object.fromEntries([...got].map(([k, v]) => [k, v.pkg])),
    {
      'libxenctrl.so.4.17': 'libxenmisc',
      'libc.so.6': 'libc6',
      'libxencall.so.1': 'libxencall1',
      'ld-linux-x86-64.so.2': 'libc6',
      'libxentoolcore.so.1': 'libxentoolcore1',
    },
  )
})

t.test('a library no package ships fails, naming it, who needs it and where it looked', async (t) => {
  const lookup = fakePackages({ libc6: { 'libc.so.6': [] }, libxenmisc: { 'libxenctrl.so.4.17': ['libxencall.so.1'] } })
  await t.rejects(
    libraryClosure('kexec-tools:/sbin/kexec', elfNeeding('libxenctrl.so.4.17'), lookup, ['libc6', 'libxenmisc']),
    /kexec-tools:\/sbin\/kexec: libxenctrl\.so\.4\.17 needs libxencall\.so\.1, which none of the packages searched ships \(libc6, libxenmisc\).*contract\.ts/,
  )
})

t.test('the wrapper runs the binary with glibc\'s loader and both library folders', async (t) => {
  const w = wrapperScript('g-glibc-2.36', 'u-kexec-unwrapped', 'kexec')
  t.match(w, /^#!\/bin\/sh\n/)
  t.match(w, 'exec /nix/store/g-glibc-2.36/lib/ld-linux-x86-64.so.2 --argv0 "$0" --library-path /nix/store/u-kexec-unwrapped/lib:/nix/store/g-glibc-2.36/lib /nix/store/u-kexec-unwrapped/libexec/kexec "$@"')
})

t.test('every guest tool and library package is a build input', async (t) => {
  t.same(GUEST_TOOLS.map((g) => g.bins.map((b) => b.split('/').pop())).flat(), ['kexec', 'in.tftpd', 'nft', 'extlinux'])
  for (const g of GUEST_TOOLS) for (const p of [g.pkg, ...g.libPackages]) t.ok(PACKAGES.includes(p), `${p} is in PACKAGES`)
  t.equal(new Set(PACKAGES).size, PACKAGES.length, 'each package once')
})

t.test('contract.json names the same tools as the Debian builder takes', async (t) => {
  for (const c of CONTRACT.guestTools) {
    const g = GUEST_TOOLS.find((x) => x.pkg === c.debian)
    t.ok(g, `${c.debian} is a guest tool`)
    t.ok(g?.bins.some((b) => b.endsWith(`/${c.program}`)), `${c.program} comes from ${c.debian}`)
  }
  t.equal(CONTRACT.guestTools.length, GUEST_TOOLS.length)
})

t.test('bootcheck-install: the header the Debian side puts before the shared script', async (t) => {
  const { installerHeader } = await import('../../../../vm-configs/debian/installer.js')
  const h = installerHeader('abc-bootcheck-install-data')
  t.match(h, /^#!\/bin\/sh\n/)
  t.match(h, `BOOT_LABEL='${CONTRACT.install.bootLabel}'\n`)
  t.match(h, `ROOT_LABEL='${CONTRACT.install.rootLabel}'\n`)
  t.match(h, `KERNEL_PARAMS='${CONTRACT.kernelParams.join(' ')}'\n`)
  t.match(h, "DATA='/nix/store/abc-bootcheck-install-data'\n")
})

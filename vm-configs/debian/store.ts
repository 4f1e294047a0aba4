/**
 * The Nix-store-shaped system: content-addressed `/nix/store/<hash>-<name>` paths for
 * glibc, hello, busybox, the stage-2 init and the system (like NixOS's toplevel), packed
 * into `nix-store.squashfs` with fixed times so its sha256 is stable.
 */
import { chmod, mkdir, readFile, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { CONTRACT, GUEST_TOOLS, PASSWORD_SALT, ROOT_PASSWORD, SOURCE_DATE_EPOCH } from './contract.js'
import { upstreamVersion, type DebRef } from './debs.js'
import { run, sha256File, writeFileMode } from './helpers.js'
import { libraryClosure, type FoundLibrary } from './libclosure.js'
import type { Log } from './media.js'
import { addToStore } from './nixstore.js'
import { addInstaller } from './installer.js'
import { addTool, packageLibraryLookup, toolClosure } from './tools.js'

/** Store path names (`<hash>-<name>`, without /nix/store/) of the system's parts. */
export interface StorePaths {
  glibc: string
  hello: string
  busybox: string
  stage2: string
  system: string
}

/**
 * Builds the store in `work`/store from the unpacked packages: glibc (what hello and the
 * guest tools need), hello, busybox, the guest tools (tools.ts), bootcheck-install
 * (installer.ts), the stage-2 init
 * (`stage2Script`) and the system.
 */
export async function buildStore(
  work: string,
  unpack: (pkg: string) => string,
  debs: Map<string, DebRef>,
  stage2Script: string,
  log: Log = () => undefined,
): Promise<{ storeDir: string; paths: StorePaths }> {
  const passwordHash = (await run('openssl', ['passwd', '-1', '-salt', PASSWORD_SALT, ROOT_PASSWORD])).trim()
  const storeDir = join(work, 'store')
  const staging = join(work, 'store-staging')
  await mkdir(storeDir, { recursive: true })
  await mkdir(staging, { recursive: true })
  const ver = (pkg: string) => upstreamVersion(debs.get(pkg)?.version ?? '0')

  // glibc: the libc6 libraries hello and the guest tools need (DT_NEEDED closures) + the dynamic loader
  const helloBin = await readFile(join(unpack('hello'), 'usr', 'bin', 'hello'))
  const helloLibs = await libraryClosure('hello:/usr/bin/hello', helloBin, packageLibraryLookup(unpack, []), ['libc6'])
  const tools = await Promise.all(GUEST_TOOLS.map((t) => toolClosure(t, unpack)))
  for (const c of tools) {
    const libs = [...c.libs].map(([soname, l]) => `${soname} (${l.pkg})`).sort()
    log(`tool ${c.tool.name}: ${c.bins.map((b) => b.name).join(' ')} needs ${libs.join(', ')}`)
  }
  const wanted = new Map<string, FoundLibrary>()
  for (const libs of [helloLibs, ...tools.map((c) => c.libs)]) {
    for (const [soname, lib] of libs) if (lib.pkg === 'libc6') wanted.set(soname, lib)
  }
  const g = join(staging, 'glibc')
  await writeFileMode(join(g, 'lib', 'ld-linux-x86-64.so.2'), await readFile(join(unpack('libc6'), 'lib', 'x86_64-linux-gnu', 'ld-linux-x86-64.so.2')), 0o755)
  for (const [soname, lib] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) await writeFileMode(join(g, 'lib', soname), lib.data, 0o755)
  const glibc = await addToStore(storeDir, g, `glibc-${ver('libc6')}`)
  const toolPaths: { path: string; programs: string[] }[] = []
  for (const c of tools) toolPaths.push(await addTool(storeDir, staging, c, ver(c.tool.pkg), glibc))

  const h = join(staging, 'hello')
  await writeFileMode(join(h, 'bin', 'hello'), helloBin, 0o755)
  const hello = await addToStore(storeDir, h, `hello-${ver('hello')}`)

  const b = join(staging, 'busybox')
  await writeFileMode(join(b, 'bin', 'busybox'), await readFile(join(unpack('busybox-static'), 'bin', 'busybox')), 0o755)
  const busybox = await addToStore(storeDir, b, `busybox-${ver('busybox-static')}`)

  const installer = await addInstaller(storeDir, staging, work, unpack('syslinux-common'), log)

  const s2 = join(staging, 'stage-2-init')
  await writeFileMode(join(s2, 'init'), stage2Script, 0o755)
  const stage2 = await addToStore(storeDir, s2, 'stage-2-init')

  // the system: like NixOS's toplevel (init, sw/, etc/, links to its parts)
  const S = join(staging, 'system')
  const sp = (p: string) => `/nix/store/${p}`
  await mkdir(join(S, 'sw', 'bin'), { recursive: true })
  await symlink(`${sp(stage2)}/init`, join(S, 'init'))
  await symlink(sp(glibc), join(S, 'glibc'))
  await symlink(sp(busybox), join(S, 'busybox'))
  await symlink(`${sp(hello)}/bin/hello`, join(S, 'sw', 'bin', 'hello'))
  await symlink(`${sp(busybox)}/bin/busybox`, join(S, 'sw', 'bin', 'busybox'))
  await symlink(`${sp(installer)}/bin/${CONTRACT.install.program}`, join(S, 'sw', 'bin', CONTRACT.install.program))
  for (const t of toolPaths) for (const p of t.programs) await symlink(`${sp(t.path)}/bin/${p}`, join(S, 'sw', 'bin', p))
  const etc = join(S, 'etc')
  await writeFileMode(
    join(etc, 'passwd'),
    'root:x:0:0:System administrator:/root:/bin/sh\nnobody:x:65534:65534:Unprivileged account:/var/empty:/bin/false\n',
    0o644,
  )
  await writeFileMode(join(etc, 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n', 0o644)
  await writeFileMode(join(etc, 'shadow'), `root:${passwordHash}:19000:0:99999:7:::\nnobody:!:19000::::::\n`, 0o600)
  await writeFileMode(join(etc, 'hostname'), `${CONTRACT.hostName}\n`, 0o644)
  await writeFileMode(join(etc, 'issue'), '\nbootcheck live (Debian-built, NixOS-shaped) \\l\n\n', 0o644)
  await writeFileMode(join(etc, 'os-release'), 'NAME="bootcheck live"\nID=bootcheck-live\nID_LIKE=nixos\n', 0o644)
  await writeFileMode(
    join(etc, 'profile'),
    [
      'export PATH=/run/current-system/sw/bin:/bin:/sbin:/usr/bin:/usr/sbin',
      'export TERM=dumb',
      'export HOME=/root',
      "export PS1='\\w # '",
      '',
    ].join('\n'),
    0o644,
  )
  await writeFileMode(join(etc, 'acpi', 'PWRF', '00000080'), '#!/bin/sh\nexec /sbin/poweroff\n', 0o755)
  const system = await addToStore(storeDir, S, 'system')

  await rm(staging, { recursive: true, force: true })
  return { storeDir, paths: { glibc, hello, busybox, stage2, system } }
}

/**
 * Packs the store into `squashfs` (compression from the contract, root-owned, fixed
 * times, no xattrs, so the same store gives the same bytes).
 *
 * @returns the squashfs's sha256 hex
 */
export async function buildSquashfs(storeDir: string, squashfs: string, log: Log): Promise<string> {
  log(`squashfs: mksquashfs -comp ${CONTRACT.squashfsCompression}`)
  await chmod(storeDir, 0o755)
  await run('mksquashfs', [
    storeDir,
    squashfs,
    '-noappend',
    '-no-progress',
    '-quiet',
    '-comp',
    ...CONTRACT.squashfsCompression.split(/\s+/),
    '-all-root',
    '-no-xattrs',
    '-all-time',
    String(SOURCE_DATE_EPOCH),
    '-mkfs-time',
    String(SOURCE_DATE_EPOCH),
  ], { sourceDateEpoch: false })
  return sha256File(squashfs)
}

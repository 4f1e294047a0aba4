/**
 * A Debian live ISO made the way Debian's own live images are: live-boot in the initrd,
 * a squashfs in `live/filesystem.squashfs`, systemd, and `serial-getty@ttyS0` logging root
 * in automatically. The guest the reliability tests boot (autologin, `toram`).
 *
 *   node --import tsx tests/media/debian-live.ts     # prints the manifest JSON on stdout
 *
 * Built from Debian packages with `mmdebstrap` (variant minbase, no recommends) from the
 * mirror the host's apt uses (its `debian.sources` when there is one, else mmdebstrap's
 * default), booted by isolinux (BIOS) with `boot=live toram console=ttyS0,115200`.
 * Progress goes to stderr. The ISO is cached under `.bootcheck/cache/debian-live/<key>/`,
 * the key a hash of the package list, the suite, the mirror configuration, this file and
 * the host's isolinux; an entry is built in a temp folder and renamed into place, so an
 * interrupted build never leaves a half entry.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { newTempEntry, pruneOldEntries, renameIntoPlace } from '../../vm-configs/debian/cache.js'
import { repoRoot } from '../../vm-configs/debian/contract.js'

/** What {@link debianLiveIso} returns. */
export interface DebianLiveIso {
  /** The cache entry folder. */
  dir: string
  /** The hybrid ISO (isolinux, BIOS). */
  iso: string
  /** The kernel and initrd inside the ISO's `live/` (copies, for direct boots). */
  kernel: string
  initrd: string
  /** Boot entries of `isolinux/isolinux.cfg`: label → kernel parameters. */
  entries: Record<string, string[]>
  /** The guest's host name (what its getty shows before `login:`). */
  hostname: string
  /** Debian suite the system was made from. */
  suite: string
  /** The cache key (hash of the inputs). */
  key: string
  /** Seconds the build took (when it was built, not on a cache hit). */
  buildSeconds: number
}

export interface DebianLiveOptions {
  /** Where entries go. Default `<repo>/.bootcheck/cache/debian-live`. */
  cacheDir?: string
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void
}

/**
 * Packages on top of the minbase variant (no recommends); zstd makes initramfs-tools pack a
 * zstd initrd, faster to unpack under TCG than gzip. The rest are the stock tools the
 * guest-side tests use on this guest as on the demo system (tests/integration/guests.ts):
 * `kexec` (kexec-tools), `ip` (iproute2), `ping` (iputils-ping), `nc` (netcat-openbsd, a
 * listener for forwardPort). No busybox: the guest has only GNU and Debian tools.
 */
export const PACKAGES = ['linux-image-amd64', 'live-boot', 'systemd-sysv', 'zstd', 'kexec-tools', 'iproute2', 'iputils-ping', 'netcat-openbsd'] as const

export const HOSTNAME = 'debian-live'
const CONSOLE = 'console=ttyS0,115200'
export const ENTRIES: Record<string, string[]> = {
  live: ['boot=live', 'toram', CONSOLE],
  'live-medium': ['boot=live', CONSOLE],
}
const LAYOUT = 1

// Paths dpkg leaves out: documentation, and kernel modules a serial-console VM never loads
// (graphics, sound, wireless, media, infiniband, staging), so the squashfs and the initrd
// stay small.
const EXCLUDES = [
  '/usr/share/doc/*',
  '/usr/share/man/*',
  '/usr/share/info/*',
  '/usr/share/locale/*',
  ...['drivers/gpu', 'sound', 'drivers/net/wireless', 'net/wireless', 'drivers/media', 'drivers/infiniband', 'drivers/staging', 'drivers/bluetooth', 'drivers/iio'].flatMap(
    d => [`/lib/modules/*/kernel/${d}/*`, `/usr/lib/modules/*/kernel/${d}/*`],
  ),
]

// Runs after the essential packages, before the rest, with the new root as $1: installing
// the kernel, initramfs-tools, live-boot and systemd would each build the initrd again
// (80 s each here); update-initramfs is diverted to true until the customize stage.
const ESSENTIAL = `set -eu
chroot "$1" dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.bootcheck --add /usr/sbin/update-initramfs
ln -s /bin/true "$1/usr/sbin/update-initramfs"
`

// Runs inside mmdebstrap's customize stage with the new root as $1.
const CUSTOMIZE = `set -eu
root="$1"
rm "$root/usr/sbin/update-initramfs"
chroot "$root" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
echo ${HOSTNAME} > "$root/etc/hostname"
printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\t${HOSTNAME}\\n' > "$root/etc/hosts"
dropin="$root/etc/systemd/system/serial-getty@ttyS0.service.d"
mkdir -p "$dropin"
cat > "$dropin/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF
# kexec-tools must not take over reboot: a reboot resets the machine, as a stock install does
[ ! -e "$root/etc/default/kexec" ] || sed -i 's/^LOAD_KEXEC=.*/LOAD_KEXEC=false/' "$root/etc/default/kexec"
# the initrd, once, with live-boot in it
for version in $(ls "$root/lib/modules"); do chroot "$root" update-initramfs -c -k "$version"; done
`


const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** The host's Debian release name (the suite to build), bookworm when it cannot tell. */
function hostSuite(): string {
  try {
    const m = /^VERSION_CODENAME=(\w+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))
    const id = /^ID=(\w+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))
    if (m && id?.[1] === 'debian') return m[1]!
  } catch {}
  return 'bookworm'
}

/**
 * The mirror: the host's own Debian sources file (so a machine whose apt goes through a
 * local mirror or proxy builds through it too), or mmdebstrap's default (deb.debian.org
 * with updates and security) when the host has none.
 */
function mirrorArgs(): { args: string[]; text: string } {
  for (const f of ['/etc/apt/sources.list.d/debian.sources']) {
    if (existsSync(f)) return { args: [f], text: readFileSync(f, 'utf8') }
  }
  return { args: [], text: 'default' }
}

const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin'
const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin'
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32'

async function run(cmd: string, args: string[], log?: (l: string) => void): Promise<void> {
  const child = execa(cmd, args, { reject: false, stdin: 'ignore', all: true, env: { LC_ALL: 'C' } })
  const tail: string[] = []
  let partial = ''
  child.all?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split(/\r?\n|\r/)
    partial = lines.pop() ?? ''
    for (const l of lines) {
      if (!l.trim()) continue
      tail.push(l)
      if (tail.length > 30) tail.shift()
      log?.(`  ${l}`)
    }
  })
  const r = await child
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode ?? r.signal}):\n${tail.join('\n')}`)
}

function isolinuxCfg(): string {
  const lines = ['serial 0 115200', 'default live', 'prompt 0', 'timeout 0']
  for (const [label, params] of Object.entries(ENTRIES)) {
    lines.push(`label ${label}`, '  kernel /live/vmlinuz', `  append initrd=/live/initrd.img ${params.join(' ')}`)
  }
  return lines.join('\n') + '\n'
}

async function readEntry(dir: string): Promise<DebianLiveIso | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Omit<DebianLiveIso, 'dir' | 'iso' | 'kernel' | 'initrd'>
    const out = { ...m, dir, iso: join(dir, 'live.iso'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') }
    for (const f of [out.iso, out.kernel, out.initrd]) if (!existsSync(f)) return undefined
    return out
  } catch {
    return undefined
  }
}

let pending: Promise<DebianLiveIso> | undefined

/** Builds the Debian live ISO, or returns the cached one. Concurrent calls share one build. */
export function debianLiveIso(options: DebianLiveOptions = {}): Promise<DebianLiveIso> {
  if (options.cacheDir || options.log) return build(options)
  pending ??= build(options)
  return pending
}

async function build(options: DebianLiveOptions): Promise<DebianLiveIso> {
  const started = Date.now()
  // each line with the seconds since the build began, so a slow step shows in CI's log
  const log = options.log ?? ((l: string) => process.stderr.write(`debian-live [${Math.round((Date.now() - started) / 1000)} s]: ${l}\n`))
  const cacheDir = resolve(options.cacheDir ?? join(repoRoot(), '.bootcheck', 'cache', 'debian-live'))
  await mkdir(cacheDir, { recursive: true })
  const suite = hostSuite()
  const mirror = mirrorArgs()
  const key = sha256(
    JSON.stringify({
      layout: LAYOUT,
      packages: PACKAGES,
      suite,
      mirror: sha256(mirror.text),
      builder: sha256(await readFile(fileURLToPath(import.meta.url))),
      isolinux: existsSync(ISOLINUX_BIN) ? sha256(await readFile(ISOLINUX_BIN)) : 'missing',
    }),
  ).slice(0, 32)
  const entry = join(cacheDir, key)
  const hit = await readEntry(entry)
  if (hit) {
    const now = new Date()
    await utimes(join(entry, 'manifest.json'), now, now).catch(() => undefined)
    log(`cache hit: ${entry} (${((Date.now() - started) / 1000).toFixed(2)} s)`)
    return hit
  }
  for (const [f, pkg] of [[ISOLINUX_BIN, 'isolinux'], [ISOHDPFX, 'isolinux'], [LDLINUX, 'syslinux-common']] as const) {
    if (!existsSync(f)) throw new Error(`${f} is missing: install the Debian package ${pkg} (bash scripts/setup.sh does)`)
  }
  for (const tool of ['mmdebstrap', 'mksquashfs', 'xorriso']) {
    const found = await execa('sh', ['-c', `command -v ${tool}`], { reject: false })
    if (found.exitCode !== 0) throw new Error(`${tool} is missing: run bash scripts/setup.sh`)
  }

  const { tmp } = await newTempEntry(cacheDir, key, log)
  const rootfs = join(tmp, 'rootfs')
  const isoDir = join(tmp, 'iso')
  try {
    await mkdir(join(isoDir, 'live'), { recursive: true })
    await mkdir(join(isoDir, 'isolinux'), { recursive: true })
    const hook = join(tmp, 'customize.sh')
    await writeFile(hook, CUSTOMIZE)
    const essentialHook = join(tmp, 'essential.sh')
    await writeFile(essentialHook, ESSENTIAL)
    log(`mmdebstrap ${suite} (minbase + ${PACKAGES.join(', ')}) from ${mirror.args[0] ?? 'the default mirror'}`)
    await run(
      'mmdebstrap',
      [
        '--variant=minbase',
        `--include=${PACKAGES.join(',')}`,
        '--aptopt=APT::Install-Recommends "false"',
        ...EXCLUDES.map(p => `--dpkgopt=path-exclude=${p}`),
        `--essential-hook=sh ${essentialHook} "$1"`,
        `--customize-hook=sh ${hook} "$1"`,
        suite,
        rootfs,
        ...mirror.args,
      ],
      log,
    )
    const boot = await readdir(join(rootfs, 'boot'))
    const vmlinuz = boot.find(n => n.startsWith('vmlinuz-'))
    const initrd = boot.find(n => n.startsWith('initrd.img-'))
    if (!vmlinuz || !initrd) throw new Error(`no kernel or initrd in the new system's /boot: ${boot.join(' ')}`)
    await copyFile(join(rootfs, 'boot', vmlinuz), join(isoDir, 'live', 'vmlinuz'))
    await copyFile(join(rootfs, 'boot', initrd), join(isoDir, 'live', 'initrd.img'))
    log('mksquashfs live/filesystem.squashfs')
    await run('mksquashfs', [rootfs, join(isoDir, 'live', 'filesystem.squashfs'), '-comp', 'zstd', '-noappend', '-no-progress', '-e', 'boot'])
    await rm(rootfs, { recursive: true, force: true })
    await copyFile(ISOLINUX_BIN, join(isoDir, 'isolinux', 'isolinux.bin'))
    await copyFile(LDLINUX, join(isoDir, 'isolinux', 'ldlinux.c32'))
    await writeFile(join(isoDir, 'isolinux', 'isolinux.cfg'), isolinuxCfg())
    log('xorriso live.iso')
    await run('xorriso', [
      '-as', 'mkisofs', '-quiet', '-o', join(tmp, 'live.iso'), '-V', 'DEBIAN_LIVE', '-J', '-R',
      '-isohybrid-mbr', ISOHDPFX,
      '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
      isoDir,
    ])
    await rename(join(isoDir, 'live', 'vmlinuz'), join(tmp, 'vmlinuz'))
    await rename(join(isoDir, 'live', 'initrd.img'), join(tmp, 'initrd.img'))
    await rm(isoDir, { recursive: true, force: true })
    await rm(hook)
    await rm(essentialHook)
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10
    const manifest = { entries: ENTRIES, hostname: HOSTNAME, suite, key, buildSeconds, packages: PACKAGES, kernelVersion: vmlinuz.slice('vmlinuz-'.length) }
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
    await rm(join(tmp, 'work'), { recursive: true, force: true }) // newTempEntry's, unused here
    const other = await renameIntoPlace(tmp, entry, readEntry, log)
    if (other) return other
    const out = (await readEntry(entry))!
    await pruneOldEntries(cacheDir, entry, log, 2, 'manifest.json').catch(() => undefined)
    log(`done in ${buildSeconds} s: ${out.iso} (${((await stat(out.iso)).size / 1048576).toFixed(1)} MiB)`)
    return out
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
}

function isMain(): boolean {
  const arg = process.argv[1]
  if (!arg) return false
  try {
    return pathToFileURL(realpathSync(arg)).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href
  } catch {
    return false
  }
}

if (isMain()) {
  debianLiveIso().then(
    r => process.stdout.write(JSON.stringify(r, null, 2) + '\n'),
    (e: unknown) => {
      process.stderr.write(`debian-live: error: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(1)
    },
  )
}

/**
 * Build small NixOS-shaped live media from Debian packages only.
 *
 *   node --import tsx vm-configs/debian/build.ts [--cache-dir DIR] [--deb-cache-dir DIR]
 *
 * prints the LiveMedia JSON on stdout (progress on stderr). See
 * vm-configs/README.md for the contract shared with vm-configs/nixos/.
 *
 * Inputs: .deb files fetched with `apt-get download` (never installed on the
 * host) and unpacked with `dpkg-deb -x`. Outputs live in a cache entry keyed by
 * a hash of every input; entries are built in a temp folder and renamed into
 * place, so an interrupted build never leaves a half entry.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import {
  chmod,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { execa } from 'execa'
import { writeCpio, type CpioEntry } from './cpio.js'
import {
  canonicalModuleName,
  elfNeeded,
  elfSection,
  moduleClosure,
  parseModinfo,
  parseModulesBuiltin,
  type ModuleEntry,
} from './kmod.js'
import { hashTree, storePathName } from './nixstore.js'

export interface LiveMediaOptions {
  /** where cache entries go; default: <repo>/.bootcheck/cache/media */
  cacheDir?: string
  /** where downloaded .deb files are kept; default: <repo>/.bootcheck/cache/debs */
  debCacheDir?: string
  /** progress lines; default: written to stderr */
  log?: (line: string) => void
}

export interface LiveMedia {
  /** the cache entry folder */
  dir: string
  /** hybrid ISO (isolinux El Torito + isohybrid MBR, and GRUB EFI when uefi is true), volume label BOOTCHECK_LIVE */
  iso: string
  /** the bzImage the ISO boots (copy in dir) */
  kernel: string
  /** the initrd the ISO boots (copy in dir) */
  initrd: string
  /** the ISO's default command line; ttyS0 is the last console= so /dev/console is serial */
  kernelParams: string[]
  /** sha256 hex of nix-store.squashfs as stored on the ISO */
  squashfsSha256: string
  /** raw ext4 image, 64 MiB, LABEL=persist */
  persistDisk: string
  /** paths bind-mounted from the persist disk */
  persistedPaths: string[]
  /** whether the ISO also boots on UEFI (GRUB EFI image present) */
  uefi: boolean
  /** kernel release, e.g. 6.1.0-56-amd64 */
  kernelVersion: string
  /** the same system as a NixOS-style netboot image (see {@link NetbootMedia}) */
  netboot: NetbootMedia
}

/**
 * The system as NixOS's netboot image: a folder with the kernel, an initrd that carries
 * the store (`nix-store.squashfs` inside it, loop-mounted from RAM by stage 1, so no
 * medium or disk is needed) and `netboot.ipxe`, whose relative names make the folder
 * servable as it is over HTTP (iPXE) or TFTP.
 */
export interface NetbootMedia {
  /** the folder: bzImage, initrd, netboot.ipxe */
  dir: string
  kernel: string
  initrd: string
  /** the iPXE script (kernel, initrd, parameters, then `${cmdline}`) */
  ipxeScript: string
  /** the kernel command line the script boots with (before `${cmdline}`); also right for a direct kernel boot */
  kernelParams: string[]
}

// ---------------------------------------------------------------------------
// The contract with vm-configs/nixos/*.nix lives in vm-configs/contract.json,
// read by both sides (see vm-configs/README.md).

const here = dirname(fileURLToPath(import.meta.url))

/** The repo root: the nearest folder above this file with package.json and vm-configs/. */
export function repoRoot(): string {
  let d = here
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'vm-configs'))) return d
    const up = dirname(d)
    if (up === d) return resolve(here, '..', '..')
    d = up
  }
}

/** Folder with stage-1-init.sh etc. (next to this file, or the source tree when run from dist/). */
function sourceDir(): string {
  if (existsSync(join(here, 'stage-1-init.sh'))) return here
  return join(repoRoot(), 'vm-configs', 'debian')
}

export interface Contract {
  isoVolumeId: string
  kernelParams: string[]
  copytoramParam: string
  loginParam: string
  bootTimeoutSeconds: number
  squashfsCompression: string
  persistLabel: string
  persistMountPoint: string
  persistedPaths: string[]
  rootPassword: string
  hostName: string
  netboot: { kernel: string; initrd: string; ipxeScript: string; squashfsInInitrd: string }
}

export const CONTRACT_FILE = join(sourceDir(), '..', 'contract.json')
export const CONTRACT: Readonly<Contract> = JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as Contract

export const ISO_LABEL = CONTRACT.isoVolumeId
export const PERSIST_LABEL = CONTRACT.persistLabel
export const PERSISTED_PATHS: readonly string[] = CONTRACT.persistedPaths
export const ROOT_PASSWORD = CONTRACT.rootPassword
/** ttyS0 last, so /dev/console is the serial port */
export const BASE_KERNEL_PARAMS: readonly string[] = CONTRACT.kernelParams
/** seconds stage 1 waits for the live medium */
export const MEDIUM_TIMEOUT = 30

/** Bump when the layout of a cache entry changes. */
const FORMAT_VERSION = 1
/** Fixed timestamp for reproducible squashfs / cpio / ISO. */
const SOURCE_DATE_EPOCH = 1700000000
/** Fixed salt so the shadow file (and thus the squashfs) is reproducible. */
const PASSWORD_SALT = 'bootchck'

export const PACKAGES: readonly string[] = [
  'linux-image-amd64',
  'busybox-static',
  'hello',
  'libc6',
  'isolinux',
  'syslinux-common',
]

export const REQUIRED_MODULES: readonly string[] = [
  // CD/DVD on the default i440fx machine (IDE) and on q35 (AHCI)
  'ata_piix',
  'ahci',
  'sr_mod',
  'cdrom',
  'isofs',
  // USB sticks
  'xhci_pci',
  'xhci_hcd',
  'usb_storage',
  'sd_mod',
  // virtio disks
  'virtio_pci',
  'virtio_blk',
  // file systems
  'ext4',
  'squashfs',
  'loop',
  'overlay',
]
export const OPTIONAL_MODULES: readonly string[] = ['uas', 'virtio_scsi', 'button', 'evdev', 'usbhid', 'hid_generic']

// ---------------------------------------------------------------------------
// small helpers

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path))
}

/** JSON with sorted object keys, for hashing. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

export interface CacheKeyInputs {
  /** the exact .deb files (name + sha256) */
  debs: { file: string; sha256: string }[]
  /** builder source files and init scripts: file name → sha256 of contents */
  sources: Record<string, string>
  /** everything else that shapes the output */
  options: Record<string, unknown>
}

/** Cache key: 32 hex chars of sha256 over a canonical form of all inputs (order-insensitive for debs). */
export function cacheKey(inputs: CacheKeyInputs): string {
  const debs = [...inputs.debs].sort((a, b) => a.file.localeCompare(b.file))
  return sha256(stableStringify({ v: FORMAT_VERSION, debs, sources: inputs.sources, options: inputs.options })).slice(0, 32)
}

/** The upstream part of a Debian version: `1:2.36-9+deb12u14` → `2.36`. */
export function upstreamVersion(debVersion: string): string {
  const noEpoch = debVersion.replace(/^\d+:/, '')
  const dash = noEpoch.lastIndexOf('-')
  return (dash > 0 ? noEpoch.slice(0, dash) : noEpoch).replace(/[^a-zA-Z0-9+._-]/g, '_')
}

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; sourceDateEpoch?: boolean } = {},
) {
  const env: Record<string, string | undefined> = { ...process.env, LC_ALL: 'C', ...opts.env }
  // xorriso, mkfs.vfat, ... honour SOURCE_DATE_EPOCH; mksquashfs refuses it together with -all-time
  if (opts.sourceDateEpoch === false) delete env.SOURCE_DATE_EPOCH
  else env.SOURCE_DATE_EPOCH = String(SOURCE_DATE_EPOCH)
  const r = await execa(cmd, args, {
    cwd: opts.cwd,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  })
  if (r.exitCode !== 0) {
    const out = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-15).join('\n')
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode ?? r.signal}):\n${out}`)
  }
  return r.stdout
}

// ---------------------------------------------------------------------------
// Debian packages

interface DebRef {
  pkg: string
  version: string
  /** file name apt-get download writes */
  file: string
  sha256: string
}

/** Parse `apt-get download --print-uris` output. */
export function parsePrintUris(stdout: string): DebRef[] {
  const out: DebRef[] = []
  for (const line of stdout.split('\n')) {
    const m = /^'([^']+)'\s+(\S+)\s+(\d+)\s+SHA256:([0-9a-f]{64})/.exec(line.trim())
    if (!m) continue
    const file = m[2] ?? ''
    const parts = file.replace(/\.deb$/, '').split('_')
    out.push({
      pkg: parts[0] ?? file,
      version: decodeURIComponent(parts[1] ?? ''),
      file,
      sha256: m[4] ?? '',
    })
  }
  return out
}

const APT_OPTS = ['-o', 'APT::Sandbox::User=root', '-o', 'Debug::NoLocking=1']

async function aptPrintUris(
  pkgs: string[],
  debDir: string,
  log: (l: string) => void,
  allowUpdate = true,
): Promise<DebRef[]> {
  // apt prints nothing for files already present in its working folder: ask from an empty one
  const cwd = join(debDir, `.resolve-${process.pid}-${randomBytes(4).toString('hex')}`)
  await mkdir(cwd, { recursive: true })
  const attempt = () => run('apt-get', [...APT_OPTS, 'download', '--print-uris', ...pkgs], { cwd })
  let stdout: string
  try {
    try {
      stdout = await attempt()
    } catch (e) {
      if (!allowUpdate) throw e
      log(`apt-get download --print-uris failed (${String(e).split('\n')[1] ?? ''}); running apt-get update`)
      await run('apt-get', ['update'])
      stdout = await attempt()
    }
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
  const refs = parsePrintUris(stdout)
  for (const p of pkgs) {
    if (!refs.some((r) => r.pkg === p)) throw new Error(`apt-get download --print-uris gave no file for ${p}`)
  }
  return refs
}

async function ensureDownloaded(refs: DebRef[], debDir: string, log: (l: string) => void): Promise<void> {
  const missing: DebRef[] = []
  for (const r of refs) {
    const p = join(debDir, r.file)
    if (existsSync(p) && (await sha256File(p)) === r.sha256) continue
    missing.push(r)
  }
  if (missing.length === 0) return
  log(`downloading ${missing.map((r) => `${r.pkg}=${r.version}`).join(' ')}`)
  const tmp = join(debDir, `.download-${process.pid}-${randomBytes(4).toString('hex')}`)
  await mkdir(tmp, { recursive: true })
  try {
    await run('apt-get', [...APT_OPTS, 'download', ...missing.map((r) => `${r.pkg}=${r.version}`)], { cwd: tmp })
    for (const r of missing) {
      const got = join(tmp, r.file)
      if (!existsSync(got)) throw new Error(`apt-get download did not produce ${r.file}`)
      const sum = await sha256File(got)
      if (sum !== r.sha256) throw new Error(`sha256 mismatch for ${r.file}: ${sum} != ${r.sha256}`)
      await rename(got, join(debDir, r.file))
    }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

/**
 * Resolve (and download) all inputs; the kernel metapackage is followed to the
 * real image package. The metapackage → image package step is remembered in
 * the deb cache, so a cache hit needs a single apt call.
 */
async function resolveDebs(debDir: string, log: (l: string) => void): Promise<Map<string, DebRef>> {
  await mkdir(debDir, { recursive: true })
  const memoFile = join(debDir, 'kernel-package.json')
  let memo: { metaFile: string; kernelPkg: string } | undefined
  try {
    memo = JSON.parse(await readFile(memoFile, 'utf8')) as { metaFile: string; kernelPkg: string }
  } catch {
    memo = undefined
  }
  let refs: DebRef[]
  try {
    refs = await aptPrintUris([...PACKAGES, ...(memo ? [memo.kernelPkg] : [])], debDir, log, !memo)
  } catch (e) {
    if (!memo) throw e
    memo = undefined // the remembered kernel package is gone: resolve again
    refs = await aptPrintUris([...PACKAGES], debDir, log)
  }
  const meta = refs.find((r) => r.pkg === 'linux-image-amd64')
  if (!meta) throw new Error('linux-image-amd64 not resolved')
  let kernel = memo && memo.metaFile === meta.file ? refs.find((r) => r.pkg === memo?.kernelPkg) : undefined
  if (!kernel) {
    await ensureDownloaded([meta], debDir, log)
    const depends = await run('dpkg-deb', ['-f', join(debDir, meta.file), 'Depends'])
    const kernelPkg = depends
      .split(/[,|]/)
      .map((s) => s.trim().split(/\s+/)[0] ?? '')
      .find((s) => /^linux-image-\d/.test(s))
    if (!kernelPkg) throw new Error(`cannot find the kernel image package in Depends of ${meta.file}: ${depends}`)
    ;[kernel] = await aptPrintUris([kernelPkg], debDir, log)
    if (!kernel) throw new Error(`cannot resolve ${kernelPkg}`)
    await writeFile(memoFile, JSON.stringify({ metaFile: meta.file, kernelPkg }) + '\n')
  }
  const map = new Map<string, DebRef>()
  for (const r of refs) if ((PACKAGES as string[]).includes(r.pkg)) map.set(r.pkg, r)
  map.set('kernel', kernel)
  return map
}

// ---------------------------------------------------------------------------
// kernel modules

async function walkFiles(dir: string, re: RegExp): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string) => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name)
      if (ent.isDirectory()) await walk(p)
      else if (ent.isFile() && re.test(ent.name)) out.push(p)
    }
  }
  await walk(dir)
  return out.sort()
}

async function readModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path)
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : 'gzip'
  const r = await execa(tool, ['-dc', path], { encoding: 'buffer', stdin: 'ignore' })
  return Buffer.from(r.stdout)
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

async function indexModules(modDir: string): Promise<ModuleEntry[]> {
  const files = await walkFiles(join(modDir, 'kernel'), /\.ko(\.(xz|zst|gz))?$/)
  return mapLimit(files, 16, async (f) => {
    const rel = relative(modDir, f)
    const data = await readModule(f)
    const section = elfSection(data, '.modinfo')
    const info = parseModinfo(section ?? new Uint8Array(), rel)
    return { ...info, name: info.name || canonicalModuleName(rel), path: rel }
  })
}

// ---------------------------------------------------------------------------
// the store

interface StorePaths {
  glibc: string
  hello: string
  busybox: string
  stage2: string
  system: string
}

async function finishStorePath(storeDir: string, staging: string, name: string): Promise<string> {
  const full = storePathName(name, await hashTree(staging))
  await rename(staging, join(storeDir, full))
  return full
}

async function writeFileMode(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, data)
  await chmod(path, mode)
}

async function buildStore(
  work: string,
  unpack: (pkg: string) => string,
  debs: Map<string, DebRef>,
  passwordHash: string,
  stage2Script: string,
): Promise<{ storeDir: string; paths: StorePaths }> {
  const storeDir = join(work, 'store')
  const staging = join(work, 'store-staging')
  await mkdir(storeDir, { recursive: true })
  await mkdir(staging, { recursive: true })
  const ver = (pkg: string) => upstreamVersion(debs.get(pkg)?.version ?? '0')

  // glibc: the libraries hello needs (DT_NEEDED closure) + the dynamic loader
  const libSrc = join(unpack('libc6'), 'lib', 'x86_64-linux-gnu')
  const helloBin = await readFile(join(unpack('hello'), 'usr', 'bin', 'hello'))
  const wanted = new Set<string>(['ld-linux-x86-64.so.2'])
  const queue = [...elfNeeded(helloBin)]
  while (queue.length) {
    const lib = queue.shift() as string
    if (wanted.has(lib)) continue
    if (!existsSync(join(libSrc, lib))) throw new Error(`hello needs ${lib}, which libc6 does not ship`)
    wanted.add(lib)
    queue.push(...elfNeeded(await readFile(join(libSrc, lib))))
  }
  const g = join(staging, 'glibc')
  for (const lib of [...wanted].sort()) await writeFileMode(join(g, 'lib', lib), await readFile(join(libSrc, lib)), 0o755)
  const glibc = await finishStorePath(storeDir, g, `glibc-${ver('libc6')}`)

  const h = join(staging, 'hello')
  await writeFileMode(join(h, 'bin', 'hello'), helloBin, 0o755)
  const hello = await finishStorePath(storeDir, h, `hello-${ver('hello')}`)

  const b = join(staging, 'busybox')
  await writeFileMode(join(b, 'bin', 'busybox'), await readFile(join(unpack('busybox-static'), 'bin', 'busybox')), 0o755)
  const busybox = await finishStorePath(storeDir, b, `busybox-${ver('busybox-static')}`)

  const s2 = join(staging, 'stage-2-init')
  await writeFileMode(join(s2, 'init'), stage2Script, 0o755)
  const stage2 = await finishStorePath(storeDir, s2, 'stage-2-init')

  // the system: like NixOS's toplevel (init, sw/, etc/, links to its parts)
  const S = join(staging, 'system')
  const sp = (p: string) => `/nix/store/${p}`
  await mkdir(join(S, 'sw', 'bin'), { recursive: true })
  await symlink(`${sp(stage2)}/init`, join(S, 'init'))
  await symlink(sp(glibc), join(S, 'glibc'))
  await symlink(sp(busybox), join(S, 'busybox'))
  await symlink(`${sp(hello)}/bin/hello`, join(S, 'sw', 'bin', 'hello'))
  await symlink(`${sp(busybox)}/bin/busybox`, join(S, 'sw', 'bin', 'busybox'))
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
  const system = await finishStorePath(storeDir, S, 'system')

  await rm(staging, { recursive: true, force: true })
  return { storeDir, paths: { glibc, hello, busybox, stage2, system } }
}

// ---------------------------------------------------------------------------
// boot loader configuration

function isolinuxCfg(params: string[]): string {
  const p = params.join(' ')
  return [
    'SERIAL 0 115200',
    `SAY bootcheck live: entries live (default, ${CONTRACT.bootTimeoutSeconds} s) and live-copytoram`,
    'PROMPT 1',
    `TIMEOUT ${Math.max(1, CONTRACT.bootTimeoutSeconds * 10)}`,
    'DEFAULT live',
    '',
    'LABEL live',
    '  KERNEL /boot/bzImage',
    '  INITRD /boot/initrd',
    `  APPEND ${p}`,
    '',
    'LABEL live-copytoram',
    '  KERNEL /boot/bzImage',
    '  INITRD /boot/initrd',
    `  APPEND ${p} ${CONTRACT.copytoramParam}`,
    '',
  ].join('\n')
}

function grubCfg(params: string[]): string {
  const p = params.join(' ')
  return [
    'serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1',
    'terminal_input serial console',
    'terminal_output serial console',
    `set timeout=${CONTRACT.bootTimeoutSeconds}`,
    'set default=live',
    '',
    "menuentry 'live' --id live {",
    `  linux /boot/bzImage ${p}`,
    '  initrd /boot/initrd',
    '}',
    '',
    "menuentry 'live-copytoram' --id live-copytoram {",
    `  linux /boot/bzImage ${p} ${CONTRACT.copytoramParam}`,
    '  initrd /boot/initrd',
    '}',
    '',
  ].join('\n')
}

/**
 * NixOS's netboot initrd: the stage-1 initrd, then (4-byte aligned, uncompressed: the
 * squashfs is compressed already) a second cpio archive holding the squashfs. The kernel
 * unpacks both into the same initramfs.
 */
export function netbootInitrd(stage1Initrd: Uint8Array, squashfs: Uint8Array): Buffer {
  const pad = Buffer.alloc((4 - (stage1Initrd.length % 4)) % 4)
  const store = writeCpio([{ type: 'file', path: CONTRACT.netboot.squashfsInInitrd, data: Buffer.from(squashfs), mode: 0o444 }])
  return Buffer.concat([stage1Initrd, pad, store])
}

/** NixOS's netboot.ipxe: names relative to the script, then `${cmdline}` for chained parameters. */
export function netbootIpxe(params: readonly string[]): string {
  const nb = CONTRACT.netboot
  return [
    '#!ipxe',
    '# Use the cmdline variable to allow the user to specify custom kernel params',
    '# when chainloading this script from other iPXE scripts like netboot.xyz',
    `kernel ${nb.kernel} ${params.join(' ')} \${cmdline}`,
    `initrd ${nb.initrd}`,
    'boot',
    '',
  ].join('\n')
}

const GRUB_MODULES = [
  'part_gpt',
  'part_msdos',
  'fat',
  'iso9660',
  'search',
  'search_label',
  'search_fs_file',
  'configfile',
  'normal',
  'linux',
  'echo',
  'test',
  'serial',
  'terminal',
  'efi_gop',
  'all_video',
  'gzio',
  'reboot',
  'halt',
]

async function haveTools(tools: string[]): Promise<boolean> {
  for (const t of tools) {
    const r = await execa('sh', ['-c', `command -v ${t}`], { reject: false, stdin: 'ignore' })
    if (r.exitCode !== 0) return false
  }
  return true
}

/** Build boot/efi.img (FAT with EFI/BOOT/BOOTX64.EFI = standalone GRUB). Returns false when tools are missing. */
async function buildEfi(work: string, isoRoot: string, log: (l: string) => void): Promise<boolean> {
  if (!(await haveTools(['grub-mkstandalone', 'mkfs.vfat', 'mmd', 'mcopy'])) || !existsSync('/usr/lib/grub/x86_64-efi')) {
    log('UEFI: grub-mkstandalone / mkfs.vfat / mtools or /usr/lib/grub/x86_64-efi missing: building a BIOS-only ISO')
    return false
  }
  const early = join(work, 'grub-early.cfg')
  await writeFile(
    early,
    [
      `search --no-floppy --set=root --label ${ISO_LABEL}`,
      'set prefix=($root)/boot/grub',
      'configfile ($root)/boot/grub/grub.cfg',
      '',
    ].join('\n'),
  )
  const efi = join(work, 'BOOTX64.EFI')
  await run('grub-mkstandalone', [
    '--format=x86_64-efi',
    `--output=${efi}`,
    '--locales=',
    '--fonts=',
    '--themes=',
    `--modules=${GRUB_MODULES.join(' ')}`,
    `--install-modules=${GRUB_MODULES.join(' ')}`,
    `boot/grub/grub.cfg=${early}`,
  ])
  const efiSize = (await stat(efi)).size
  const img = join(isoRoot, 'boot', 'efi.img')
  const kib = Math.ceil((efiSize + 512 * 1024) / 1024 / 64) * 64
  await rm(img, { force: true })
  await run('mkfs.vfat', ['-n', 'EFIBOOT', '-i', '0b007c4e', '-C', img, String(kib)])
  const env = { MTOOLS_SKIP_CHECK: '1' }
  await run('mmd', ['-i', img, '::/EFI', '::/EFI/BOOT'], { env })
  await run('mcopy', ['-i', img, efi, '::/EFI/BOOT/BOOTX64.EFI'], { env })
  // also as a plain file on the ISO (some firmware looks there when booted as a disk)
  await mkdir(join(isoRoot, 'EFI', 'BOOT'), { recursive: true })
  await copyFile(efi, join(isoRoot, 'EFI', 'BOOT', 'BOOTX64.EFI'))
  return true
}

// ---------------------------------------------------------------------------
// main entry

interface MediaManifest extends Omit<LiveMedia, 'dir' | 'iso' | 'kernel' | 'initrd' | 'persistDisk' | 'netboot'> {
  files: { iso: string; kernel: string; initrd: string; persistDisk: string; netboot: string }
  netbootKernelParams: string[]
  debs: string[]
  builtAt: string
  buildSeconds: number
}

function fromManifest(dir: string, m: MediaManifest): LiveMedia {
  return {
    dir,
    iso: join(dir, m.files.iso),
    kernel: join(dir, m.files.kernel),
    initrd: join(dir, m.files.initrd),
    kernelParams: m.kernelParams,
    squashfsSha256: m.squashfsSha256,
    persistDisk: join(dir, m.files.persistDisk),
    persistedPaths: m.persistedPaths,
    uefi: m.uefi,
    kernelVersion: m.kernelVersion,
    netboot: {
      dir: join(dir, m.files.netboot),
      kernel: join(dir, m.files.netboot, CONTRACT.netboot.kernel),
      initrd: join(dir, m.files.netboot, CONTRACT.netboot.initrd),
      ipxeScript: join(dir, m.files.netboot, CONTRACT.netboot.ipxeScript),
      kernelParams: m.netbootKernelParams,
    },
  }
}

async function readEntry(dir: string): Promise<LiveMedia | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'media.json'), 'utf8')) as MediaManifest
    const media = fromManifest(dir, m)
    const nb = media.netboot
    for (const f of [media.iso, media.kernel, media.initrd, media.persistDisk, nb.kernel, nb.initrd, nb.ipxeScript]) if (!existsSync(f)) return undefined
    return media
  } catch {
    return undefined
  }
}

/** Keep the cache small: drop entries beyond the newest `keep` that were not used for a day. */
async function pruneOldEntries(cacheDir: string, current: string, log: (l: string) => void, keep = 3): Promise<void> {
  const entries: { dir: string; mtime: number }[] = []
  for (const n of await readdir(cacheDir)) {
    if (!/^[0-9a-f]{32}$/.test(n)) continue
    const dir = join(cacheDir, n)
    if (dir === current) continue
    try {
      entries.push({ dir, mtime: (await stat(join(dir, 'media.json'))).mtimeMs })
    } catch {
      // not an entry of ours
    }
  }
  entries.sort((a, b) => b.mtime - a.mtime)
  const dayAgo = Date.now() - 24 * 3600 * 1000
  for (const e of entries.slice(Math.max(0, keep - 1))) {
    if (e.mtime > dayAgo) continue
    log(`pruning old cache entry ${e.dir}`)
    await rm(e.dir, { recursive: true, force: true })
  }
}

/** Remove temp folders of builds whose process is gone (interrupted builds). */
async function removeStaleTemps(cacheDir: string, log: (l: string) => void): Promise<void> {
  let names: string[] = []
  try {
    names = await readdir(cacheDir)
  } catch {
    return
  }
  for (const n of names) {
    const m = /^\.tmp-[0-9a-f]+-(\d+)-/.exec(n)
    if (!m) continue
    const pid = Number(m[1])
    let alive = pid === process.pid
    if (!alive) {
      try {
        process.kill(pid, 0)
        alive = true
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM'
      }
    }
    if (!alive) {
      log(`removing leftover of an interrupted build: ${n}`)
      await rm(join(cacheDir, n), { recursive: true, force: true })
    }
  }
}

async function sourceHashes(): Promise<{ dir: string; hashes: Record<string, string> }> {
  const dir = sourceDir()
  const hashes: Record<string, string> = {}
  for (const n of (await readdir(dir)).sort()) {
    if (/\.(ts|sh)$/.test(n)) hashes[n] = await sha256File(join(dir, n))
  }
  hashes['../contract.json'] = await sha256File(CONTRACT_FILE)
  return { dir, hashes }
}

export async function buildLiveMedia(opts: LiveMediaOptions = {}): Promise<LiveMedia> {
  const started = Date.now()
  const log = opts.log ?? ((l: string) => process.stderr.write(`bootcheck-media: ${l}\n`))
  const root = repoRoot()
  const cacheDir = resolve(opts.cacheDir ?? join(root, '.bootcheck', 'cache', 'media'))
  const debDir = resolve(opts.debCacheDir ?? join(root, '.bootcheck', 'cache', 'debs'))
  await mkdir(cacheDir, { recursive: true })

  log('resolving Debian packages')
  const debs = await resolveDebs(debDir, log)
  const src = await sourceHashes()
  const options = {
    contract: CONTRACT,
    requiredModules: REQUIRED_MODULES,
    optionalModules: OPTIONAL_MODULES,
    mediumTimeout: MEDIUM_TIMEOUT,
    sourceDateEpoch: SOURCE_DATE_EPOCH,
  }
  const key = cacheKey({
    debs: [...debs.values()].map((d) => ({ file: d.file, sha256: d.sha256 })),
    sources: src.hashes,
    options,
  })
  const entry = join(cacheDir, key)
  const hit = await readEntry(entry)
  if (hit) {
    const now = new Date()
    await utimes(join(entry, 'media.json'), now, now).catch(() => undefined)
    log(`cache hit: ${entry} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    return hit
  }

  await removeStaleTemps(cacheDir, log)
  const tmp = join(cacheDir, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`)
  const work = join(tmp, 'work')
  await mkdir(work, { recursive: true })
  try {
    await ensureDownloaded([...debs.values()], debDir, log)

    // unpack ---------------------------------------------------------------
    log('unpacking')
    const unpackDir = join(work, 'unpack')
    const unpack = (pkg: string) => join(unpackDir, pkg)
    await Promise.all(
      [...debs.entries()].map(async ([pkg, d]) => {
        await mkdir(unpack(pkg), { recursive: true })
        await run('dpkg-deb', ['-x', join(debDir, d.file), unpack(pkg)])
      }),
    )
    const kroot = unpack('kernel')
    const vmlinuz = (await readdir(join(kroot, 'boot'))).find((n) => n.startsWith('vmlinuz-'))
    if (!vmlinuz) throw new Error('no /boot/vmlinuz-* in the kernel package')
    const kernelVersion = vmlinuz.slice('vmlinuz-'.length)
    const modDir = join(kroot, 'lib', 'modules', kernelVersion)

    // modules --------------------------------------------------------------
    log(`kernel ${kernelVersion}: reading module info`)
    const builtinFile = join(modDir, 'modules.builtin')
    const builtin = existsSync(builtinFile) ? parseModulesBuiltin(await readFile(builtinFile, 'utf8')) : new Set<string>()
    const index = await indexModules(modDir)
    const closure = moduleClosure(index, builtin, { required: [...REQUIRED_MODULES], optional: [...OPTIONAL_MODULES] })
    log(
      `modules: ${closure.order.length} to load (${closure.order.map((m) => m.name).join(' ')})` +
        (closure.builtin.length ? `; built in: ${closure.builtin.join(' ')}` : '') +
        (closure.missingOptional.length ? `; not available: ${closure.missingOptional.join(' ')}` : ''),
    )

    // store + squashfs -----------------------------------------------------
    log('building the store')
    const passwordHash = (await run('openssl', ['passwd', '-1', '-salt', PASSWORD_SALT, ROOT_PASSWORD])).trim()
    const stage1 = await readFile(join(src.dir, 'stage-1-init.sh'), 'utf8')
    const stage2 = await readFile(join(src.dir, 'stage-2-init.sh'), 'utf8')
    const { storeDir, paths } = await buildStore(work, unpack, debs, passwordHash, stage2)
    const kernelParams = [...BASE_KERNEL_PARAMS, `init=/nix/store/${paths.system}/init`, 'loglevel=4']

    const isoRoot = join(work, 'iso')
    await mkdir(join(isoRoot, 'boot', 'grub'), { recursive: true })
    await mkdir(join(isoRoot, 'isolinux'), { recursive: true })
    const squashfs = join(isoRoot, 'nix-store.squashfs')
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
    const squashfsSha256 = await sha256File(squashfs)

    // initrd ---------------------------------------------------------------
    log('initrd: busybox, stage 1, modules')
    const busyboxPath = join(unpack('busybox-static'), 'bin', 'busybox')
    const applets = (await run(busyboxPath, ['--list-full']))
      .split('\n')
      .map((s) => s.trim())
      .filter((s) => /^[a-z/]+\/[A-Za-z0-9_.[\]-]+$/.test(s) && s !== 'bin/busybox')
    if (!applets.includes('bin/sh')) applets.push('bin/sh')
    const entries: CpioEntry[] = []
    const dirs = new Set<string>(['dev', 'proc', 'sys', 'run', 'tmp', 'mnt-root', 'etc', 'bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'rootfs-skel'])
    const addDirs = (p: string) => {
      for (let d = dirname(p); d !== '.' && d !== ''; d = dirname(d)) dirs.add(d)
    }
    entries.push({ type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 })
    entries.push({ type: 'file', path: 'init', data: Buffer.from(stage1), mode: 0o755 })
    entries.push({ type: 'file', path: 'bin/busybox', data: await readFile(busyboxPath), mode: 0o755 })
    for (const a of applets) {
      entries.push({ type: 'symlink', path: a, target: '/bin/busybox' })
      entries.push({ type: 'symlink', path: `rootfs-skel/${a}`, target: '/bin/busybox' })
      addDirs(a)
      addDirs(`rootfs-skel/${a}`)
    }
    const order: string[] = []
    for (const m of closure.order) {
      const rel = m.path.replace(/\.ko\.(xz|zst|gz)$/, '.ko')
      const p = `lib/modules/${kernelVersion}/${rel}`
      entries.push({ type: 'file', path: p, data: await readModule(join(modDir, m.path)), mode: 0o644 })
      addDirs(p)
      order.push(rel)
    }
    entries.push({ type: 'file', path: 'etc/modules.order', data: Buffer.from(order.join('\n') + '\n') })
    entries.push({
      type: 'file',
      path: 'etc/stage-1.conf',
      data: Buffer.from(
        [
          '# written by vm-configs/debian/build.ts',
          `SYSTEM=/nix/store/${paths.system}`,
          `KERNEL_VERSION=${kernelVersion}`,
          `ISO_LABEL=${ISO_LABEL}`,
          `PERSIST_LABEL=${PERSIST_LABEL}`,
          `PERSISTED_PATHS="${PERSISTED_PATHS.join(' ')}"`,
          `MEDIUM_TIMEOUT=${MEDIUM_TIMEOUT}`,
          `NETBOOT_SQUASHFS=${CONTRACT.netboot.squashfsInInitrd}`,
          '',
        ].join('\n'),
      ),
    })
    for (const d of dirs) entries.push({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 })
    const initrdData = gzipSync(writeCpio(entries), { level: 9 })
    const initrd = join(tmp, 'initrd')
    await writeFile(initrd, initrdData)
    const kernel = join(tmp, 'bzImage')
    await copyFile(join(kroot, 'boot', vmlinuz), kernel)

    // netboot --------------------------------------------------------------
    log('netboot: kernel, initrd with the squashfs inside, netboot.ipxe')
    const nb = CONTRACT.netboot
    const netbootDir = join(tmp, 'netboot')
    await mkdir(netbootDir)
    await copyFile(kernel, join(netbootDir, nb.kernel))
    await writeFile(join(netbootDir, nb.initrd), netbootInitrd(initrdData, await readFile(squashfs)))
    const netbootParams = [...kernelParams, `initrd=${nb.initrd}`]
    await writeFile(join(netbootDir, nb.ipxeScript), netbootIpxe(netbootParams))

    // ISO ------------------------------------------------------------------
    log('iso: isolinux + GRUB EFI + xorriso')
    await copyFile(kernel, join(isoRoot, 'boot', 'bzImage'))
    await copyFile(initrd, join(isoRoot, 'boot', 'initrd'))
    const isolinuxBin = join(unpack('isolinux'), 'usr', 'lib', 'ISOLINUX', 'isolinux.bin')
    const isohdpfx = join(unpack('isolinux'), 'usr', 'lib', 'ISOLINUX', 'isohdpfx.bin')
    await copyFile(isolinuxBin, join(isoRoot, 'isolinux', 'isolinux.bin'))
    await copyFile(
      join(unpack('syslinux-common'), 'usr', 'lib', 'syslinux', 'modules', 'bios', 'ldlinux.c32'),
      join(isoRoot, 'isolinux', 'ldlinux.c32'),
    )
    await writeFile(join(isoRoot, 'isolinux', 'isolinux.cfg'), isolinuxCfg(kernelParams))
    await writeFile(join(isoRoot, 'boot', 'grub', 'grub.cfg'), grubCfg(kernelParams))
    await writeFile(
      join(isoRoot, 'version.txt'),
      `bootcheck live ${key}\nkernel ${kernelVersion}\nsystem /nix/store/${paths.system}\n`,
    )
    const uefi = await buildEfi(work, isoRoot, log)
    const iso = join(tmp, 'live.iso')
    await run('xorriso', [
      '-as',
      'mkisofs',
      '-o',
      iso,
      '-iso-level',
      '3',
      '-volid',
      ISO_LABEL,
      '-r',
      '-isohybrid-mbr',
      isohdpfx,
      '-c',
      'isolinux/boot.cat',
      '-b',
      'isolinux/isolinux.bin',
      '-no-emul-boot',
      '-boot-load-size',
      '4',
      '-boot-info-table',
      ...(uefi ? ['-eltorito-alt-boot', '-e', 'boot/efi.img', '-no-emul-boot', '-isohybrid-gpt-basdat'] : []),
      isoRoot,
    ])

    // persist disk ---------------------------------------------------------
    log('persist disk: mke2fs -d (64 MiB, LABEL=persist)')
    const persistRoot = join(work, 'persist-root')
    for (const p of PERSISTED_PATHS) await mkdir(join(persistRoot, p), { recursive: true })
    await writeFile(
      join(persistRoot, 'README'),
      `bootcheck persist disk: ${PERSISTED_PATHS.join(' ')} are bind-mounted from here at boot.\n`,
    )
    const persistDisk = join(tmp, 'persist.img')
    await run('mke2fs', [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-L',
      PERSIST_LABEL,
      '-U',
      'b0075ec4-0000-4000-8000-000000000001',
      '-E',
      'root_owner=0:0,hash_seed=b0075ec4-0000-4000-8000-000000000002',
      '-d',
      persistRoot,
      persistDisk,
      '64M',
    ], { env: { E2FSPROGS_FAKE_TIME: String(SOURCE_DATE_EPOCH) } })

    // finish ---------------------------------------------------------------
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10
    const manifest: MediaManifest = {
      kernelParams,
      squashfsSha256,
      persistedPaths: [...PERSISTED_PATHS],
      uefi,
      kernelVersion,
      files: { iso: 'live.iso', kernel: 'bzImage', initrd: 'initrd', persistDisk: 'persist.img', netboot: 'netboot' },
      netbootKernelParams: netbootParams,
      debs: [...debs.values()].map((d) => d.file).sort(),
      builtAt: new Date().toISOString(),
      buildSeconds,
    }
    await writeFile(
      join(tmp, 'modules.txt'),
      closure.order.map((m) => `${m.name} ${m.path}`).join('\n') + '\n',
    )
    await writeFile(join(tmp, 'media.json'), JSON.stringify(manifest, null, 2) + '\n')
    await rm(work, { recursive: true, force: true })
    try {
      await rename(tmp, entry)
    } catch (e) {
      // another build of the same inputs finished first: use that one
      const other = await readEntry(entry)
      if (!other) throw e
      await rm(tmp, { recursive: true, force: true })
      log(`done (another process built ${entry} first)`)
      return other
    }
    const media = fromManifest(entry, manifest)
    await pruneOldEntries(cacheDir, entry, log).catch(() => undefined)
    log(
      `done in ${buildSeconds} s: ${entry} (iso ${((await stat(media.iso)).size / 1048576).toFixed(1)} MiB, initrd ${(initrdData.length / 1048576).toFixed(1)} MiB)`,
    )
    return media
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
}

// ---------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<void> {
  const opts: LiveMediaOptions = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--cache-dir') opts.cacheDir = argv[++i]
    else if (a === '--deb-cache-dir') opts.debCacheDir = argv[++i]
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node --import tsx vm-configs/debian/build.ts [--cache-dir DIR] [--deb-cache-dir DIR]\n')
      return
    } else throw new Error(`unknown argument: ${a}`)
  }
  const media = await buildLiveMedia(opts)
  process.stdout.write(JSON.stringify(media, null, 2) + '\n')
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
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bootcheck-media: error: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
}

/**
 * The builder's inputs: Debian packages, resolved with `apt-get download --print-uris`,
 * fetched with `apt-get download` into the deb cache (never installed on the host,
 * checked against apt's sha256) and unpacked with `dpkg-deb -x`.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rememberedPrintUris } from './apt-memo.js'
import { PACKAGES } from './contract.js'
import { run, sha256File } from './helpers.js'
import type { Log } from './media.js'

/** One .deb file as apt names it. */
export interface DebRef {
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

/** The upstream part of a Debian version: `1:2.36-9+deb12u14` → `2.36`. */
export function upstreamVersion(debVersion: string): string {
  const noEpoch = debVersion.replace(/^\d+:/, '')
  const dash = noEpoch.lastIndexOf('-')
  return (dash > 0 ? noEpoch.slice(0, dash) : noEpoch).replace(/[^a-zA-Z0-9+._-]/g, '_')
}

const APT_OPTS = ['-o', 'APT::Sandbox::User=root', '-o', 'Debug::NoLocking=1']

/**
 * Resolves `pkgs` (`name` or `name:arch`) to the files apt would download, with
 * `apt-get download --print-uris`; remembered while apt's state holds (apt-memo.ts). When
 * apt cannot answer (lists missing or stale) it runs `apt-get update` once and asks again,
 * unless `allowUpdate` is false. Throws when a package gets no file.
 */
export async function printUris(pkgs: string[], debDir: string, log: Log, allowUpdate = true): Promise<DebRef[]> {
  return rememberedPrintUris(pkgs, debDir, () => askPrintUris(pkgs, debDir, log, allowUpdate))
}

async function askPrintUris(pkgs: string[], debDir: string, log: Log, allowUpdate: boolean): Promise<DebRef[]> {
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
      await run('apt-get', ['update', '-qq'])
      stdout = await attempt()
    }
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
  const refs = parsePrintUris(stdout)
  // apt names the file after the package alone: `busybox-static:arm64` is `busybox-static_…_arm64.deb`
  for (const p of pkgs) {
    const name = p.split(':')[0]
    if (!refs.some(r => r.pkg === name)) throw new Error(`apt-get download --print-uris gave no file for ${p}`)
  }
  return refs
}

/** Downloads the files of `refs` that are not in `debDir` yet (or differ from apt's sha256). */
export async function ensureDownloaded(refs: DebRef[], debDir: string, log: Log): Promise<void> {
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
 *
 * @returns {@link PACKAGES} by package name, plus the kernel image package as `kernel`
 */
export async function resolveDebs(debDir: string, log: Log): Promise<Map<string, DebRef>> {
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
    refs = await printUris([...PACKAGES, ...(memo ? [memo.kernelPkg] : [])], debDir, log, !memo)
  } catch (e) {
    if (!memo) throw e
    memo = undefined // the remembered kernel package is gone: resolve again
    refs = await printUris([...PACKAGES], debDir, log)
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
    ;[kernel] = await printUris([kernelPkg], debDir, log)
    if (!kernel) throw new Error(`cannot resolve ${kernelPkg}`)
    await writeFile(memoFile, JSON.stringify({ metaFile: meta.file, kernelPkg }) + '\n')
  }
  const map = new Map<string, DebRef>()
  for (const r of refs) if ((PACKAGES as string[]).includes(r.pkg)) map.set(r.pkg, r)
  map.set('kernel', kernel)
  return map
}

/** The unpacked packages of a build. */
export interface Unpacked {
  /** the folder a package (or `kernel`) was unpacked into */
  unpack: (pkg: string) => string
  /** the kernel's file name in its package's /boot, e.g. `vmlinuz-6.1.0-57-amd64` */
  vmlinuz: string
  /** kernel release, e.g. 6.1.0-57-amd64 */
  kernelVersion: string
  /** the kernel's /lib/modules/<release> */
  modDir: string
}

/** Unpacks every package of `debs` (from `debDir`) into `work`/unpack/<pkg> and finds the kernel. */
export async function unpackDebs(debs: Map<string, DebRef>, debDir: string, work: string): Promise<Unpacked> {
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
  return { unpack, vmlinuz, kernelVersion, modDir }
}

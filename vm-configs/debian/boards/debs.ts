/**
 * A board's inputs: foreign-architecture Debian packages (`pkg:arm64`), resolved with
 * `apt-get download --print-uris` after `dpkg --add-architecture` and `apt-get update`
 * when the host does not know the architecture yet, downloaded into the deb cache (checked
 * against apt's sha256) by the x86 builder's own ensureDownloaded. Never installed.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDownloaded, printUris, type DebRef } from '../debs.js'
import { run } from '../helpers.js'
import type { Log } from '../media.js'

/** Makes dpkg and apt know the foreign architecture `debArch` (e.g. `arm64`); needs root the first time. */
export async function ensureForeignArch(debArch: string, log: Log): Promise<void> {
  const native = (await run('dpkg', ['--print-architecture'])).trim()
  if (native === debArch) return
  const foreign = (await run('dpkg', ['--print-foreign-architectures'])).split('\n').map(s => s.trim())
  if (foreign.includes(debArch)) return
  if (process.getuid?.() !== 0) {
    throw new Error(`the host's dpkg does not know ${debArch}: run as root once, or: sudo dpkg --add-architecture ${debArch} && sudo apt-get update`)
  }
  log(`dpkg --add-architecture ${debArch}; apt-get update`)
  await run('dpkg', ['--add-architecture', debArch])
  await run('apt-get', ['update', '-qq'])
}

/**
 * Resolves and downloads `pkgs` of architecture `debArch`, following the kernel
 * metapackage `kernelMeta` to its image package (returned as `kernel`). The refs' `pkg`
 * carries the architecture (`busybox-static:arm64`) so apt downloads the foreign file.
 */
export async function boardDebs(debArch: string, kernelMeta: string, pkgs: string[], debDir: string, log: Log): Promise<Map<string, DebRef>> {
  await mkdir(debDir, { recursive: true })
  await ensureForeignArch(debArch, log)
  const q = (p: string) => `${p}:${debArch}`
  const refs = await printUris([kernelMeta, ...pkgs].map(q), debDir, log)
  const meta = refs.find(r => r.pkg === kernelMeta)
  if (!meta) throw new Error(`${q(kernelMeta)} not resolved (is ${debArch} in the host's apt sources?)`)
  const tag = (r: DebRef): DebRef => ({ ...r, pkg: q(r.pkg) })
  await ensureDownloaded([tag(meta)], debDir, log)
  const depends = await run('dpkg-deb', ['-f', join(debDir, meta.file), 'Depends'])
  const kernelPkg = depends.split(/[,|]/).map(s => s.trim().split(/\s+/)[0] ?? '').find(s => /^linux-image-\d/.test(s))
  if (!kernelPkg) throw new Error(`cannot find the kernel image package in Depends of ${meta.file}: ${depends}`)
  const [kernel] = await printUris([q(kernelPkg)], debDir, log)
  if (!kernel) throw new Error(`cannot resolve ${q(kernelPkg)}`)
  const map = new Map<string, DebRef>([['kernel', tag(kernel)]])
  for (const p of pkgs) {
    const r = refs.find(x => x.pkg === p)
    if (!r) throw new Error(`apt-get download --print-uris gave no file for ${q(p)}`)
    map.set(p, tag(r))
  }
  await ensureDownloaded([...map.values()], debDir, log)
  return map
}

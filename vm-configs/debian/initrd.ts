/**
 * The stage-1 initrd: busybox and its applets, the stage-1 init script, the kernel
 * modules in load order and `etc/stage-1.conf`, as a gzipped newc cpio archive.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { CONTRACT, ISO_LABEL, MEDIUM_TIMEOUT, PERSISTED_PATHS, PERSIST_LABEL } from './contract.js'
import { writeCpio, type CpioEntry } from './cpio.js'
import { run } from './helpers.js'
import type { ClosureResult } from './kmod.js'
import { readModule } from './modules.js'

/** What goes into the stage-1 initrd. */
export interface InitrdInputs {
  /** the static busybox binary (unpacked busybox-static) */
  busybox: string
  /** contents of stage-1-init.sh, installed as /init */
  stage1Script: string
  /** the modules to load, from `selectModules` */
  modules: ClosureResult
  /** the kernel's /lib/modules/<release> (unpacked) */
  modDir: string
  kernelVersion: string
  /** the system's store path name (`<hash>-system`) */
  system: string
}

/** The stage-1 initrd, gzipped (level 9). */
export async function buildInitrd(inputs: InitrdInputs): Promise<Buffer> {
  const { busybox, modDir, kernelVersion } = inputs
  const applets = (await run(busybox, ['--list-full']))
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
  entries.push({ type: 'file', path: 'init', data: Buffer.from(inputs.stage1Script), mode: 0o755 })
  entries.push({ type: 'file', path: 'bin/busybox', data: await readFile(busybox), mode: 0o755 })
  for (const a of applets) {
    entries.push({ type: 'symlink', path: a, target: '/bin/busybox' })
    entries.push({ type: 'symlink', path: `rootfs-skel/${a}`, target: '/bin/busybox' })
    addDirs(a)
    addDirs(`rootfs-skel/${a}`)
  }
  const order: string[] = []
  for (const m of inputs.modules.order) {
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
        // (this line is part of the initrd's bytes: kept as it was before build.ts was split)
        '# written by vm-configs/debian/build.ts',
        `SYSTEM=/nix/store/${inputs.system}`,
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
  return gzipSync(writeCpio(entries), { level: 9 })
}

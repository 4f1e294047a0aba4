/**
 * A board's initramfs: the foreign static busybox (its applets are linked by /init at boot:
 * the host cannot run it to list them), the board init (init.sh), udhcpc's hook, the kernel
 * modules in load order and `etc/board.conf`, as a list of cpio entries (the SD card's root
 * holds the same files) and as a gzipped newc archive.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { sourceDir } from '../contract.js'
import { writeCpio, type CpioEntry } from '../cpio.js'
import type { ClosureResult } from '../kmod.js'
import { readModule } from '../modules.js'

/** What goes into a board's initramfs. */
export interface BoardTreeInputs {
  arch: string
  /** the static busybox binary of the board's architecture */
  busybox: string
  modules: ClosureResult
  /** the kernel's /lib/modules/<release> (unpacked) */
  modDir: string
  kernelVersion: string
}

/** The board's files (init, busybox, modules, configuration), as cpio entries. */
export async function boardTree(inputs: BoardTreeInputs): Promise<CpioEntry[]> {
  const here = join(sourceDir(), 'boards')
  const entries: CpioEntry[] = []
  const dirs = new Set<string>(['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'run', 'mnt', 'etc', 'root', 'www'])
  const addDirs = (p: string) => {
    for (let d = dirname(p); d !== '.' && d !== ''; d = dirname(d)) dirs.add(d)
  }
  entries.push({ type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 })
  entries.push({ type: 'file', path: 'init', data: await readFile(join(here, 'init.sh')), mode: 0o755 })
  entries.push({ type: 'file', path: 'etc/udhcpc.script', data: await readFile(join(here, 'udhcpc.script')), mode: 0o755 })
  entries.push({ type: 'file', path: 'bin/busybox', data: await readFile(inputs.busybox), mode: 0o755 })
  entries.push({ type: 'symlink', path: 'bin/sh', target: 'busybox' })
  const order: string[] = []
  for (const m of inputs.modules.order) {
    const rel = m.path.replace(/\.ko\.(xz|zst|gz)$/, '.ko')
    const p = `lib/modules/${inputs.kernelVersion}/${rel}`
    entries.push({ type: 'file', path: p, data: await readModule(join(inputs.modDir, m.path)), mode: 0o644 })
    addDirs(p)
    order.push(rel)
  }
  entries.push({ type: 'file', path: 'etc/modules.order', data: Buffer.from(order.join('\n') + '\n') })
  entries.push({ type: 'file', path: 'etc/board.conf', data: Buffer.from(`ARCH=${inputs.arch}\nKERNEL_VERSION=${inputs.kernelVersion}\n`) })
  for (const d of dirs) entries.push({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 })
  return entries
}

/** The initramfs of `entries`, gzipped (level 9). */
export function boardInitrd(entries: CpioEntry[]): Buffer {
  return gzipSync(writeCpio(entries), { level: 9 })
}

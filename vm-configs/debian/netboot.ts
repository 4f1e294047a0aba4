/**
 * The NixOS-style netboot image: a folder with the kernel, an initrd that carries the
 * store, and `netboot.ipxe` (names from the contract's `netboot`).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CONTRACT } from './contract.js'
import { writeCpio } from './cpio.js'
import type { Log } from './media.js'

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

/**
 * Writes the netboot folder `dir`: the kernel, the stage-1 initrd with the squashfs
 * appended, and the iPXE script.
 *
 * @returns the kernel command line of the netboot image (`kernelParams` plus `initrd=`)
 */
export async function buildNetboot(
  dir: string,
  files: { kernel: string; initrd: Uint8Array; squashfs: string },
  kernelParams: readonly string[],
  log: Log,
): Promise<string[]> {
  log('netboot: kernel, initrd with the squashfs inside, netboot.ipxe')
  const nb = CONTRACT.netboot
  await mkdir(dir)
  await copyFile(files.kernel, join(dir, nb.kernel))
  await writeFile(join(dir, nb.initrd), netbootInitrd(files.initrd, await readFile(files.squashfs)))
  const netbootParams = [...kernelParams, `initrd=${nb.initrd}`]
  await writeFile(join(dir, nb.ipxeScript), netbootIpxe(netbootParams))
  return netbootParams
}

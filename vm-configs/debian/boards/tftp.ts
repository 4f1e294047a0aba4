/**
 * A board's TFTP root for U-Boot: the kernel, the initramfs and a `pxelinux.cfg/default`
 * (U-Boot's `pxe get` reads it; `pxe boot` loads what it names, with the device tree U-Boot
 * runs on). The kernel command line brings up the network and the demo service.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Writes the TFTP root into `dir`. */
export async function buildTftpRoot(dir: string, files: { kernel: string; kernelName: string; initrd: string; params: string[] }): Promise<void> {
  await mkdir(join(dir, 'pxelinux.cfg'), { recursive: true })
  await copyFile(files.kernel, join(dir, files.kernelName))
  await copyFile(files.initrd, join(dir, 'initrd'))
  const append = [...files.params, 'bootcheck.net', 'bootcheck.httpd'].join(' ')
  await writeFile(join(dir, 'pxelinux.cfg', 'default'), `default board\nlabel board\n  kernel ${files.kernelName}\n  initrd initrd\n  append ${append}\n`)
}

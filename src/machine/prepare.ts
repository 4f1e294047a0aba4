/**
 * The effects a boot needs before QEMU starts, each in the machine's temporary folder:
 * disk and USB overlays, the kernel and initrd of an ISO entry, the firmware (with a private
 * UEFI variables store), and the root a network boot serves (a PXE TFTP root, or an iPXE HTTP server).
 * Their results go into the pure {@link launchPlan}.
 * @module
 */
import { stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { MediumError } from '../errors/errors.js'
import { extractBootFiles } from '../media/bootconfig.js'
import { checkBootImage, checkFile } from '../media/image.js'
import { createBlankDisk, createOverlay } from '../media/overlay.js'
import { NetbootHttpServer } from '../net/http.js'
import { IPXE_CHAIN_SCRIPT, ipxeChainScript } from '../net/ipxe.js'
import { checkServedRoot, isServedFile, layOverlay, resolveServedPath, type Overlay } from '../net/tree.js'
import type { MachineSpec } from '../spec/spec.js'
import { ARTIFACT_FILES } from './artifacts.js'
import { prepareFirmware } from './firmware.js'
import { bootMedia, diskOverlays, kernelSource, type Prepared } from './plan.js'

/** What a boot starts besides QEMU and must stop again (on failure, or in `dispose`). */
export interface Owned {
  http?: NetbootHttpServer
}

/**
 * Checks the spec's files and makes everything the launch plan needs. Anything started
 * (the HTTP server of an iPXE boot) is put in `owned`, for the caller to stop.
 */
export async function prepareLaunch(spec: MachineSpec, workDir: string, artifactsDir: string, owned: Owned): Promise<Prepared> {
  if (spec.cdrom) await checkFile(spec.cdrom, 'cdrom image')
  if (spec.kernel) await checkFile(spec.kernel, 'kernel')
  if (spec.initrd) await checkFile(spec.initrd, 'initrd')
  await checkShareFolders(spec)
  const disks = await Promise.all(
    diskOverlays(spec, workDir).map(async d => ({
      id: d.id,
      file: d.image !== undefined ? await createOverlay(d.image, d.file, `disk image '${d.id}'`, 'qemu-img', { ...(d.format ? { format: d.format } : {}), allowBacking: d.allowBacking ?? false }) : await createBlankDisk(d.file, d.size, `blank disk '${d.id}'`),
    })),
  )
  const usb = spec.usb ? await createOverlay(spec.usb, join(workDir, 'usb.qcow2'), 'USB stick image') : undefined
  const sd = spec.sd ? await createOverlay(spec.sd, join(workDir, 'sd.qcow2'), 'SD card image') : undefined
  if (spec.dtb) await checkFile(spec.dtb, 'device tree (dtb)')
  // A file that cannot boot in its role fails now, not after the firmware found nothing.
  for (const { path, role } of bootMedia(spec)) await checkBootImage(path, role)
  const isoEntry =
    kernelSource(spec) === 'iso-entry'
      ? await extractBootFiles((spec.cdrom ?? spec.usb)!, workDir, spec.bootEntry ? { entry: spec.bootEntry } : {})
      : undefined
  const firmware = await prepareFirmware(spec, workDir)
  // last: it may start the HTTP server, which nothing after it should have to stop
  const net = await netBoot(spec, workDir, artifactsDir, owned)
  return {
    disks,
    ...(usb ? { usb } : {}),
    ...(sd ? { sd } : {}),
    ...(isoEntry ? { isoEntry: { kernel: isoEntry.kernel, params: isoEntry.params, ...(isoEntry.initrd ? { initrd: isoEntry.initrd } : {}) } } : {}),
    firmware,
    ...(net ? { net } : {}),
  }
}

/** Each share's host folder must exist and be a folder. */
async function checkShareFolders(spec: MachineSpec): Promise<void> {
  for (const [i, share] of (spec.shares ?? []).entries()) {
    const st = await stat(share.host).catch(() => null)
    if (!st?.isDirectory()) {
      throw new MediumError(`shares[${i}].host: '${resolve(share.host)}' ${st ? 'is not a folder' : 'does not exist'}; a 9p share exports a host folder (create it first).`)
    }
  }
}

/**
 * The NIC of a network boot: for PXE, the TFTP root (the original, or a tree of links with
 * the overlay laid over it) and the boot file; for iPXE, an HTTP server of the machine's own
 * serving the root, and the script's URL as the boot file. The boot file must be there.
 */
async function netBoot(spec: MachineSpec, workDir: string, artifactsDir: string, owned: Owned): Promise<Prepared['net']> {
  const serve = async (root: string, role: string, overlay: Overlay, folder: string): Promise<string> => {
    const real = await checkServedRoot(resolve(root), role)
    return Object.keys(overlay).length ? layOverlay(real, overlay, join(workDir, folder)) : real
  }
  const mustHave = async (served: string, path: string, what: string, root: string, overlay: Overlay): Promise<void> => {
    const file = resolveServedPath(served, path)
    if (file && (await isServedFile(file))) return
    const where = Object.keys(overlay).length ? `${root}' (with the overlay laid over it)` : `${root}'`
    throw new MediumError(`The ${what} '${path}' is not in the ${spec.pxe ? 'TFTP' : 'HTTP'} root '${where}: the machine would have nothing to boot.`)
  }
  if (spec.pxe) {
    const overlay = spec.pxe.overlay ?? {}
    const served = await serve(spec.pxe.tftpRoot, 'TFTP root', overlay, 'tftp')
    await mustHave(served, spec.pxe.bootfile, 'PXE boot file', spec.pxe.tftpRoot, overlay)
    await writeFile(join(artifactsDir, ARTIFACT_FILES.tftpRoot), `${served}\n`)
    return { tftpRoot: served, bootfile: spec.pxe.bootfile.replace(/^\/+/, '') }
  }
  if (spec.ipxe) {
    const script = (spec.ipxe.script ?? 'netboot.ipxe').replace(/^\/+/, '')
    const params = spec.kernelParams ?? []
    const overlay: Record<string, Overlay[string]> = { ...spec.ipxe.overlay }
    if (params.length) overlay[IPXE_CHAIN_SCRIPT] = ipxeChainScript(script, params)
    const served = await serve(spec.ipxe.httpRoot, 'HTTP root', overlay, 'http')
    await mustHave(served, script, 'iPXE script', spec.ipxe.httpRoot, spec.ipxe.overlay ?? {})
    owned.http = await NetbootHttpServer.start({ root: served, logFile: join(artifactsDir, ARTIFACT_FILES.http) })
    const first = params.length ? IPXE_CHAIN_SCRIPT : script
    return { bootfile: owned.http.guestUrl + first.split('/').map(encodeURIComponent).join('/') }
  }
  return undefined
}

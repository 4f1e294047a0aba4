/**
 * A booted machine's {@link MachineOrigin}: what its snapshots must record (the launch plan,
 * the media to checksum, the base images under its overlays, the folders it owns). Pure.
 * @module
 */
import { resolve } from 'node:path'
import type { LaunchPlan } from '../qemu/argv.js'
import type { MachineSpec } from '../spec/spec.js'
import { diskOverlays } from './plan.js'
import { promptSource } from './snapshot-manifest.js'
import type { MachineOrigin, MediumRef } from './snapshot-save.js'

/**
 * The files and trees a spec boots from, with their roles (the CD only with `cdrom`: a
 * machine's snapshot reads the CD's medium from QEMU instead). Pure.
 */
export function specMedia(spec: MachineSpec, options: { cdrom: boolean }): MediumRef[] {
  const media: MediumRef[] = []
  const file = (role: string, path: string | undefined): void => void (path !== undefined && media.push({ role, path: resolve(path), kind: 'file' }))
  if (options.cdrom) file('cdrom', spec.cdrom)
  file('kernel', spec.kernel)
  file('initrd', spec.initrd)
  file('USB stick base', spec.usb)
  file('SD card base', spec.sd)
  file('device tree', spec.dtb)
  for (const d of diskOverlays(spec, '')) file(`${d.id} base`, d.image)
  if (spec.pxe) media.push({ role: 'TFTP root', path: resolve(spec.pxe.tftpRoot), kind: 'tree' })
  if (spec.ipxe) media.push({ role: 'HTTP root', path: resolve(spec.ipxe.httpRoot), kind: 'tree' })
  return media
}

/** The origin of a machine booted (not restored) from `spec` with `plan`; `http` is its iPXE server. */
export function bootOrigin(spec: MachineSpec, qemu: string, plan: LaunchPlan, workDir: string, http?: { root: string; guestUrl: string }): MachineOrigin {
  const media = specMedia(spec, { cdrom: false })
  if (plan.firmware.kind === 'uefi') media.push({ role: 'UEFI firmware', path: plan.firmware.code, kind: 'file' })
  const bases: Record<string, string> = {}
  for (const d of diskOverlays(spec, workDir)) if (d.image !== undefined) bases[d.id] = resolve(d.image)
  if (spec.usb) bases.usb = resolve(spec.usb)
  if (spec.sd) bases.sd = resolve(spec.sd)
  const bootfile = plan.net?.bootfile
  const httpOrigin =
    http && bootfile?.startsWith(http.guestUrl)
      ? { root: http.root, bootPath: bootfile.slice(http.guestUrl.length).split('/').map(decodeURIComponent).join('/') }
      : undefined
  return {
    qemu,
    plan,
    media,
    bases,
    ownFolders: [workDir],
    ...(httpOrigin ? { http: httpOrigin } : {}),
    ...(spec.login ? { login: spec.login } : {}),
    ...(spec.shellProbe ? { shellProbe: spec.shellProbe } : {}),
    ...(spec.shellPrompt !== undefined ? { shellPrompt: promptSource(spec.shellPrompt) } : {}),
  }
}

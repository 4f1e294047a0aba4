/**
 * The accelerator probe guest: a 512-byte boot sector (source: probe.S, bytes: image.ts)
 * that goes real mode -> protected mode -> long mode, runs a short CPU loop and reports on
 * COM1. See README.md.
 */
export { probeImage, PROBE_IMAGE_HEX, PROBE_IMAGE_SHA256 } from './image.js'

/** What the probe prints on COM1 once it has finished in long mode. */
export const PROBE_OK_TEXT = 'BOOTCHECK-PROBE-OK'

/** Value the probe writes to isa-debug-exit (port 0xf4) at the end. */
export const PROBE_EXIT_VALUE = 0x10

/** QEMU's exit status after that write: `(value << 1) | 1`. */
export const PROBE_EXIT_STATUS = (PROBE_EXIT_VALUE << 1) | 1

/** Number of '.' the probe prints during its long-mode CPU loop. */
export const PROBE_WORK_CHUNKS = 4

/** QEMU options that attach what the probe needs (serial on stdio, isa-debug-exit). */
export function probeQemuArgs(accel: string, imagePath: string, memoryMiB = 32): string[] {
  return [
    '-accel', accel,
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-no-reboot',
    '-m', String(memoryMiB),
    '-serial', 'stdio',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-drive', `file=${imagePath},format=raw,if=ide`,
  ]
}

/**
 * Says in words how far the probe got, from what it printed:
 * "" -> nothing, "R" real mode, "RP" protected mode, "RPL" long mode, "RPL.." part of the
 * CPU loop, then the OK text.
 */
export function describeProbeProgress(output: string): string {
  if (output.includes(PROBE_OK_TEXT)) return 'reached long mode and finished its CPU loop'
  const s = output.replace(/[^RPLX.]/g, '')
  if (s.includes('X')) return 'entered 64-bit code but EFER.LMA was clear (long mode not active)'
  if (s.includes('L')) {
    const dots = (s.match(/\./g) ?? []).length
    return `reached long mode but finished only ${dots}/${PROBE_WORK_CHUNKS} of its short CPU loop, so the vCPU runs far too slowly`
  }
  if (s.includes('P')) return 'reached 32-bit protected mode but not long mode'
  if (s.includes('R')) return 'ran its boot sector in real mode but did not reach protected mode'
  return 'printed nothing (the BIOS never ran its boot sector)'
}

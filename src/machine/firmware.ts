/**
 * The firmware of a boot, made ready: the files of the spec's architecture and firmware
 * choice checked (a missing one names its Debian package), and a private copy of a UEFI
 * variables store in the machine's temporary folder.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkFirmwareFile, prepareUefi } from '../media/firmware.js'
import type { LaunchPlan } from '../qemu/argv.js'
import { ARCH_PROFILES, chosenBoard, chosenFirmware, RASPI3B } from '../spec/arch.js'
import type { MachineSpec } from '../spec/spec.js'

/** The firmware part of the launch plan for `spec`, its files checked. */
export async function prepareFirmware(spec: MachineSpec, workDir: string): Promise<LaunchPlan['firmware']> {
  const arch = spec.arch ?? 'x86_64'
  const choice = chosenFirmware(spec)
  if (choice === 'none') return { kind: 'none' }
  if (choice === 'u-boot' && chosenBoard(spec) === 'raspi3b') return { kind: 'u-boot', image: checkFirmwareFile(RASPI3B.uboot, 'U-Boot for the Raspberry Pi (arm64)'), loader: 'kernel' }
  const files = ARCH_PROFILES[arch].firmware[choice]
  // checkArchSpec refused a choice the arch does not have; this is the caller's bug otherwise
  if (!files) throw new Error(`prepareFirmware: ${arch} has no firmware '${choice}'`)
  switch (files.kind) {
    case 'builtin':
      return { kind: 'bios' }
    case 'uefi':
      return { kind: 'uefi', ...(await prepareUefi(workDir, files.candidates)) }
    case 'u-boot': {
      const packaged = checkFirmwareFile(files.image, `U-Boot for ${arch}`)
      const image = files.wordSwapped ? await swappedCopy(packaged, join(workDir, 'u-boot-swap.bin')) : packaged
      const opensbi = files.opensbi ? checkFirmwareFile(files.opensbi, `OpenSBI (which starts U-Boot on ${arch})`) : undefined
      return { kind: 'u-boot', image, ...(opensbi ? { opensbi } : {}) }
    }
  }
}

/** A copy of `file` at `to` with the bytes of each 32-bit word reversed (zero-padded to a whole word). */
async function swappedCopy(file: string, to: string): Promise<string> {
  await writeFile(to, swapWords(await readFile(file)))
  return to
}

/** The bytes of each 32-bit word of `data` reversed, padded with zeros to a whole word. Pure. */
export function swapWords(data: Buffer): Buffer {
  const out = Buffer.alloc(Math.ceil(data.length / 4) * 4)
  data.copy(out)
  return out.swap32()
}

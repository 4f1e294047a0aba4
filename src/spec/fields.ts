/**
 * The shape of every machine-spec field, one line each: what {@link checkSpec} checks
 * before anything starts (types, enums, ids, bounds). A new field or value is one line here.
 * The checks that relate fields to each other stay in `check.ts`.
 * @module
 */
import { availableParallelism, totalmem } from 'node:os'
import { any, arrayOf, bool, either, int, object, oneOf, optional, str, type Shape } from '../util/shape.js'
import { ARCHES } from './arch.js'
import type { MachineSpec } from './spec.js'

/** The longest timeout Node's timers can hold (2³¹−1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1
/** Device ids: a letter, then letters, digits, `_` and `-` (they go into QEMU option lists). */
export const ID_PATTERN = /^[A-Za-z][\w-]*$/

const path = str(4096, /^[^\0]+$/, 'a path (no NUL)')
const timeout = int(1, MAX_TIMEOUT_MS)
const blankSize = str(32, /^\d+(\.\d+)?[KMGT]$/, "like '2G' or '512M'")
const disk = either(path, object({ image: optional(path), size: optional(blankSize), id: optional(str(64, ID_PATTERN, "a letter, then letters, digits, '_' or '-'")), format: optional(oneOf('qcow2', 'raw')), allowBacking: optional(bool) }))
// The guest path's form (absolute, no quotes or shell characters) is checked in check.ts.
const share = object({ host: any, guest: any, readOnly: optional(bool) })

/** Memory sizes: a number of MiB or '512M'/'1.5G'; at most the host's memory (read when checked). */
const memory: Shape = (v, p) => {
  if (typeof v === 'number') return int(16, Math.floor(totalmem() / 2 ** 20))(v, p)
  return str(32)(v, p)
}

/** A shell prompt: a RegExp without the stateful `g`/`y` flags, or a string that compiles as one (≤ 256 characters). */
const promptShape: Shape = (v, p) => {
  if (v instanceof RegExp) return /[gy]/.test(v.flags) ? `${p} must not have the g or y flag (a prompt is tested again and again)` : undefined
  const problem = str(256)(v, p)
  if (problem) return problem
  try {
    new RegExp(v as string)
    return undefined
  } catch (e) {
    return `${p} is not a regular expression: ${(e as Error).message}`
  }
}

/** Every field of {@link MachineSpec} and its shape (`undefined` is always allowed). */
export const SPEC_FIELDS: Readonly<Record<keyof MachineSpec, Shape>> = {
  from: any,
  syncClock: bool,
  name: str(64, /^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-'"),
  memory,
  cpus: int(1, Math.max(availableParallelism(), 1) * 4),
  firmware: oneOf('bios', 'uefi', 'u-boot'),
  arch: oneOf(...ARCHES),
  board: oneOf('virt', 'raspi3b'),
  sd: path,
  dtb: path,
  cdrom: path,
  usb: path,
  tablet: bool,
  disks: arrayOf(disk, 32),
  kernel: path,
  initrd: path,
  kernelParams: arrayOf(str(4096), 256),
  bootEntry: str(256),
  pxe: object({ tftpRoot: path, bootfile: str(1024), overlay: any }),
  ipxe: object({ httpRoot: path, script: optional(str(1 << 20)), overlay: any }),
  nics: any,
  shares: arrayOf(share, 32),
  bootFrom: oneOf('cdrom', 'usb', 'disk', 'net', 'sd'),
  testFile: path,
  accel: oneOf('kvm', 'tcg', 'auto'),
  qemu: path,
  qemuArgs: arrayOf(str(4096), 256),
  login: object({ user: str(256), password: optional(str(4096)) }),
  shellProbe: oneOf('quiet', 'eager'),
  shellPrompt: promptShape,
  timeout,
  bootTimeout: timeout,
  failOn: either(oneOf(false), arrayOf(any, 1000)),
  restrictNetwork: bool,
}

/** The first problem of any field of `spec`, named `boot: <field>…`, or undefined. */
export function fieldProblem(spec: MachineSpec): string | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return 'the machine spec must be an object'
  for (const [field, shape] of Object.entries(SPEC_FIELDS)) {
    const value = (spec as Record<string, unknown>)[field]
    if (value === undefined) continue
    const problem = shape(value, field)
    if (problem) return problem
  }
  return undefined
}

/**
 * What a QEMU binary is, for snapshots: its version and the machine types it knows (a
 * saved state loads only into the same versioned machine type). Asked once per binary
 * and process.
 * @module
 */
import { execa } from 'execa'
import { QemuStartError } from '../errors/errors.js'

/** A QEMU binary's version (`major.minor.micro`) and the names of its machine types, aliases resolved. */
export interface QemuIdentity {
  version: string
  machineTypes: string[]
  /** Alias → versioned machine type, e.g. `q35` → `pc-q35-7.2`. */
  aliases: Record<string, string>
}

const memo = new Map<string, Promise<QemuIdentity>>()

/** The identity of the QEMU binary at `qemu` (an absolute path). */
export function qemuIdentity(qemu: string): Promise<QemuIdentity> {
  let pending = memo.get(qemu)
  if (!pending) {
    pending = ask(qemu)
    memo.set(qemu, pending)
    pending.catch(() => memo.delete(qemu))
  }
  return pending
}

async function ask(qemu: string): Promise<QemuIdentity> {
  const opts = { stdin: 'ignore', reject: false, timeout: 15_000 } as const
  const [version, machines] = await Promise.all([execa(qemu, ['--version'], opts), execa(qemu, ['-machine', 'help'], opts)])
  if (version.failed || machines.failed) {
    const r = version.failed ? version : machines
    throw new QemuStartError(`'${qemu}' did not say its version and machine types: ${String(r.stderr).trim() || r.shortMessage}`)
  }
  return { version: parseQemuVersion(String(version.stdout)), ...parseMachineTypes(String(machines.stdout)) }
}

/** `QEMU emulator version 7.2.22 (Debian …)` → `7.2.22`. Pure. */
export function parseQemuVersion(text: string): string {
  const m = /version (\d+\.\d+\.\d+)/.exec(text)
  if (!m) throw new QemuStartError(`Cannot read QEMU's version from ${JSON.stringify(text.split('\n')[0])}`)
  return m[1]!
}

/** Parses `qemu -machine help`: machine type names, and aliases (`q35  … (alias of pc-q35-7.2)`). Pure. */
export function parseMachineTypes(text: string): { machineTypes: string[]; aliases: Record<string, string> } {
  const machineTypes: string[] = []
  const aliases: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+.*?(?:\(alias of (\S+)\))?\s*$/.exec(line)
    if (!m || line.startsWith('Supported machines')) continue
    if (m[2]) aliases[m[1]!] = m[2]
    else machineTypes.push(m[1]!)
  }
  return { machineTypes, aliases }
}

/**
 * Hashing and process helpers shared by the builder's steps.
 */
import { createHash } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { execa } from 'execa'
import { SOURCE_DATE_EPOCH } from './contract.js'

/** sha256 hex of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** sha256 hex of a file's contents. */
export async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path))
}

/** JSON with sorted object keys, for hashing. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/**
 * Runs a build tool with `LC_ALL=C` and `SOURCE_DATE_EPOCH` set (unless `sourceDateEpoch`
 * is false); returns its stdout, throws with the end of its output when it fails.
 */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; sourceDateEpoch?: boolean } = {},
): Promise<string> {
  const env: Record<string, string | undefined> = { ...process.env, LC_ALL: 'C', ...opts.env }
  // xorriso, mkfs.vfat, ... honour SOURCE_DATE_EPOCH; mksquashfs refuses it together with -all-time
  if (opts.sourceDateEpoch === false) delete env.SOURCE_DATE_EPOCH
  else env.SOURCE_DATE_EPOCH = String(SOURCE_DATE_EPOCH)
  const r = await execa(cmd, args, {
    cwd: opts.cwd,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  })
  if (r.exitCode !== 0) {
    const out = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-15).join('\n')
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode ?? r.signal}):\n${out}`)
  }
  return r.stdout
}

/** Whether all `tools` are on PATH. */
export async function haveTools(tools: string[]): Promise<boolean> {
  for (const t of tools) {
    const r = await execa('sh', ['-c', `command -v ${t}`], { reject: false, stdin: 'ignore' })
    if (r.exitCode !== 0) return false
  }
  return true
}

/** Writes a file (creating its folder) and sets its mode. */
export async function writeFileMode(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, data)
  await chmod(path, mode)
}

/**
 * Temporary folders that say who owns them. Each gets an `.owner` file with the creating
 * process's pid and start time (from `/proc`, so a reused pid is not taken for the owner);
 * {@link sweepDeadScratch} removes the folders whose owner is gone, which is how a run
 * cleans up after an earlier run that was killed with SIGKILL (nothing could run then).
 * Folders are never judged by name or age alone.
 * @module
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const OWNER_FILE = '.owner'

/** The start time of process `pid` in clock ticks since boot (field 22 of `/proc/<pid>/stat`), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Creates `<tmp>/<prefix>XXXXXX` owned by this process. */
export async function makeScratchDir(prefix: string, root = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(root, prefix))
  await writeFile(join(dir, OWNER_FILE), `${process.pid} ${processStartTime(process.pid) ?? '?'}\n`)
  return dir
}

/** Whether the owner recorded in `dir` still runs; true when there is no owner file (not ours to judge). */
export function ownerAlive(dir: string): boolean {
  let text: string
  try {
    text = readFileSync(join(dir, OWNER_FILE), 'utf8')
  } catch {
    return true
  }
  const [pid, started] = text.trim().split(' ')
  const now = processStartTime(Number(pid))
  return now !== undefined && (started === '?' || now === started)
}

/** Removes the folders `<root>/<prefix>*` whose owner is gone; returns those removed. */
export function sweepDeadScratch(prefixes: readonly string[], root = tmpdir()): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return removed
  }
  for (const name of names) {
    if (!prefixes.some(p => name.startsWith(p))) continue
    const dir = join(root, name)
    if (ownerAlive(dir)) continue
    try {
      rmSync(dir, { recursive: true, force: true })
      removed.push(dir)
    } catch {
      // someone else's folder we may not remove: leave it
    }
  }
  return removed
}

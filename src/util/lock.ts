/**
 * Lock files shared by processes: `open(…, 'wx')` creates the file only if it is not
 * there, with the owner's pid inside. A lock whose owner is dead (or, when a limit is
 * given, older than it) is taken over, so a process killed with SIGKILL blocks nobody.
 * @module
 */
import { readFileSync } from 'node:fs'
import { open, readFile, stat, unlink } from 'node:fs/promises'

/** When the process `pid` started (clock ticks since boot, /proc/<pid>/stat), or undefined off Linux or when gone. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const start = Number(fields[19])
    return Number.isFinite(start) ? start : undefined
  } catch {
    return undefined
  }
}

/** Tries once to take the lock; removes a stale one (dead owner, or older than `maxAgeMs`) so the next try succeeds. */
export async function tryLock(lockFile: string, maxAgeMs = Infinity): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx')
    try {
      // The start time tells the owner from a later process that got the same pid.
      await handle.writeFile(JSON.stringify({ pid: process.pid, start: processStart(process.pid), at: Date.now() }))
    } finally {
      await handle.close()
    }
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false
  }
  try {
    const [text, st] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile)])
    let pid: number | undefined
    let start: number | undefined
    try {
      ;({ pid, start } = JSON.parse(text) as { pid?: number; start?: number })
    } catch {
      // being written, or garbage: judged by age
    }
    const tooOld = Date.now() - st.mtimeMs > maxAgeMs
    const ownerDead = typeof pid === 'number' && pid !== process.pid && !ownerAlive(pid, start)
    // A file left empty by an owner killed between open and write is stale after a few seconds.
    const abandoned = pid === undefined && Date.now() - st.mtimeMs > 5000
    if (tooOld || ownerDead || abandoned) await unlink(lockFile).catch(() => undefined)
  } catch {
    // vanished meanwhile
  }
  return false
}

/** Gives the lock back. */
export async function unlock(lockFile: string): Promise<void> {
  await unlink(lockFile).catch(() => undefined)
}

/** The pid in a lock file whose owner still runs, or undefined (no lock, or a stale one). */
export async function lockOwner(lockFile: string): Promise<number | undefined> {
  try {
    const { pid, start } = JSON.parse(await readFile(lockFile, 'utf8')) as { pid?: number; start?: number }
    return typeof pid === 'number' && ownerAlive(pid, start) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether the lock's owner still runs: its pid exists and, when recorded, started when it did. */
function ownerAlive(pid: number, start: number | undefined): boolean {
  if (!processAlive(pid)) return false
  if (typeof start !== 'number') return true
  const now = processStart(pid)
  return now === undefined || now === start
}

/** Whether a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

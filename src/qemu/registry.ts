/**
 * Every QEMU process bootcheck starts is registered here by pid, and ended by pid when the
 * test ends, when Node exits, or when the runner gets SIGINT, SIGTERM or SIGHUP. Nothing is
 * ever ended by name.
 */
import { rmSync } from 'node:fs'

const live = new Map<number, string>()
const scratch = new Set<string>()
let installed = false

/**
 * Registers a machine's temporary folder (overlays, sockets), removed with the processes
 * when the runner exits or is interrupted, in case the machine was not disposed.
 */
export function trackScratch(dir: string): void {
  scratch.add(dir)
  if (!installed) install()
}

/** Forgets a temporary folder its machine removed itself. */
export function untrackScratch(dir: string): void {
  scratch.delete(dir)
}

/** Registers a started process. Installs the exit and signal handlers on first use. */
export function track(pid: number, label: string): void {
  live.set(pid, label)
  if (!installed) install()
}

/** Forgets a process that has exited. */
export function untrack(pid: number): void {
  live.delete(pid)
}

/** Pids of the processes still registered. */
export function trackedPids(): number[] {
  return [...live.keys()]
}

/** Sends SIGKILL to every registered process and removes the registered temporary folders. Synchronous, so it is safe in an `exit` handler. */
export function killAll(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
  for (const dir of scratch) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // best effort on the way out
    }
  }
  scratch.clear()
}

function install(): void {
  installed = true
  process.on('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll()
      // Keep the conventional exit status of a process ended by that signal.
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal])
    })
  }
}

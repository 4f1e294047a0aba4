import { availableParallelism, freemem, totalmem } from 'node:os'

const MiB = 1024 * 1024

/**
 * Defaults of a run from the host: the memory budget is 80% of the memory available now
 * (at least 1 GiB), the vCPU budget and the parallel test files are the CPU count.
 */
export const defaultLimits = {
  host(): { cpus: number; memoryMiB: number } {
    return { cpus: availableParallelism(), memoryMiB: Math.floor(totalmem() / MiB) }
  },
  memoryMiB(): number {
    return Math.max(1024, Math.floor((freemem() / MiB) * 0.8))
  },
  cpus(): number {
    return availableParallelism()
  },
  jobs(): number {
    return availableParallelism()
  },
}

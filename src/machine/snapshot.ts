/**
 * {@link Snapshot}: a machine saved by `vm.snapshot()`, restored by `boot(t, { from })`.
 * @module
 */
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { SnapshotRef } from '../spec/spec.js'
import { readManifest, SNAPSHOT_STATE, type SnapshotManifest } from './snapshot-manifest.js'

/** The prefix of the temporary folders of snapshots saved without a `dir` (removed when the process ends). */
export const SNAPSHOT_SCRATCH_PREFIX = 'bootcheck-snap-'

/**
 * A saved machine: a folder with QEMU's saved state (`state.bin`), copies of the
 * machine's disk overlays and UEFI variables, and `snapshot.json` describing them. It is
 * never written after it was taken: each machine restored from it gets its own overlays.
 */
export class Snapshot implements SnapshotRef {
  /** The snapshot's folder. */
  readonly dir: string
  /** What `snapshot.json` says. */
  readonly manifest: SnapshotManifest

  constructor(dir: string, manifest: SnapshotManifest) {
    this.dir = resolve(dir)
    this.manifest = manifest
  }

  /** Opens a snapshot folder; throws {@link SnapshotError} when it holds no complete snapshot. */
  static async open(dir: string): Promise<Snapshot> {
    return new Snapshot(dir, await readManifest(dir))
  }

  /** The snapshot's name. */
  get name(): string {
    return this.manifest.name
  }

  /** Size of the saved machine state in bytes (about the RAM the guest used). */
  get stateBytes(): number {
    return this.manifest.state.bytes
  }

  /** The path of `state.bin`. */
  get stateFile(): string {
    return join(this.dir, SNAPSHOT_STATE)
  }

  /** Removes the snapshot's folder. Machines restored from it must be disposed first. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}

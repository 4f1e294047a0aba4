/**
 * Saving machines into a failure capsule: every machine of a group (the machines wired
 * together by networks) is paused before any is saved, so that what they sent each other
 * stays consistent, then each is saved into `capsule/<machine>/` with its step log's
 * position and failing step. A machine that cannot be saved (a 9p share, an SD card) is
 * recorded with the reason; the others are saved all the same.
 * @module
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { ARTIFACT_FILES, slug } from './artifacts.js'
import { failingStep, parseActions, type CapsuleMachine } from './capsule.js'
import type { Machine } from './machine.js'

/** A machine to save, with the networks its cards are on. */
export interface CapsuleMember {
  machine: Machine
  /** The names of the networks its cards are on. */
  networks: string[]
}

/**
 * Pauses every machine of `group`, then saves each into its folder under `capsuleDir`;
 * returns what `capsule.json` records of each. Never throws for one machine: a failure to
 * save it becomes its `notSaved`. The guests stay paused (they are about to be disposed).
 */
export async function saveCapsuleGroup(capsuleDir: string, group: readonly CapsuleMember[]): Promise<CapsuleMachine[]> {
  await mkdir(capsuleDir, { recursive: true, mode: 0o700 })
  // Shares are unmounted while the guests still run (a paused guest runs no command).
  const unmounted = new Map<Machine, string | undefined>()
  for (const { machine } of group) unmounted.set(machine, await machine.unmountShares().then(() => undefined, (e: Error) => e.message))
  await Promise.all(group.map(({ machine }) => (machine.running ? machine.qmp.execute('stop').catch(() => undefined) : undefined)))
  const out: CapsuleMachine[] = []
  for (const { machine, networks } of group) out.push(await saveMember(capsuleDir, machine, networks, unmounted.get(machine)))
  return out
}

async function saveMember(capsuleDir: string, machine: Machine, networks: string[], notUnmounted: string | undefined): Promise<CapsuleMachine> {
  const started = Date.now()
  const dirName = slug(machine.name)
  let saved: { dir: string; stateBytes: number } | { notSaved: string }
  if (!machine.running) saved = { notSaved: 'QEMU had already ended' }
  else if (notUnmounted) saved = { notSaved: notUnmounted }
  else {
    try {
      const manifest = await machine.saveForCapsule(join(capsuleDir, dirName))
      saved = { dir: dirName, stateBytes: manifest.state.bytes }
    } catch (e) {
      saved = { notSaved: (e as Error).message }
    }
  }
  const records = parseActions(await readFile(join(machine.artifactsDir, ARTIFACT_FILES.actions), 'utf8').catch(() => ''))
  const step = failingStep(records)
  return {
    name: machine.name,
    ...saved,
    artifacts: relative(capsuleDir, machine.artifactsDir),
    networks,
    shares: machine.sharedFolders,
    steps: records.length,
    ...(step ? { failingStep: step } : {}),
    consoleBytes: machine.console.loggedBytes,
    saveMs: Date.now() - started,
  }
}

/**
 * The machines the live view shows: those under the run's artifacts folder whose
 * `live.json` names a VNC socket (written when the machine started with `BOOTCHECK_LIVE=1`),
 * with their `machine.json` facts and their step log so far.
 * @module
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LIVE_FILE, type LiveFacts } from '../../machine/live.js'
import { ARTIFACT_FILES } from '../../machine/artifacts.js'
import { RUNNING_FILE } from '../../machine/actions.js'
import { parseActions } from '../../report/actions.js'
import type { ActionRecord } from '../../report/model.js'

/** A machine of the live view. */
export interface LiveMachine {
  /** A stable id: a digest of its artifacts folder. */
  id: string
  dir: string
  machine: string
  test: string
  file: string
  vnc: string
  /** The live view's QMP socket (screendumps for references), when QEMU has one. */
  qmp?: string
  console: string
  startedAt?: string
  endedAt?: string
  /** Its test was found failing (at the test's end: the machine may still run, kept by `--debug`). */
  testFailed?: boolean
}

/** The most folder levels searched under the artifacts folder. */
const DEPTH = 6

/** The live machines under `root`, oldest first. */
export async function findLiveMachines(root: string): Promise<LiveMachine[]> {
  const dirs = await foldersWith(root, LIVE_FILE, DEPTH)
  const found = await Promise.all(dirs.map(readMachine))
  return found.filter((m): m is LiveMachine => m !== undefined).sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
}

/** The steps a machine has logged so far (the last `max`). */
export async function liveSteps(m: LiveMachine, max = 200): Promise<ActionRecord[]> {
  try {
    return parseActions(await readFile(join(m.dir, ARTIFACT_FILES.actions), 'utf8')).slice(-max)
  } catch {
    return []
  }
}

/** The steps under way (`running.json`, written while the live view is on), outermost first. */
export async function runningSteps(m: LiveMachine): Promise<Array<Pick<ActionRecord, 'id' | 'parent' | 'action' | 'args' | 'start'>>> {
  try {
    return JSON.parse(await readFile(join(m.dir, RUNNING_FILE), 'utf8')) as Array<Pick<ActionRecord, 'id' | 'parent' | 'action' | 'args' | 'start'>>
  } catch {
    return [] // none under way, or being rewritten
  }
}

async function readMachine(dir: string): Promise<LiveMachine | undefined> {
  try {
    const live = JSON.parse(await readFile(join(dir, LIVE_FILE), 'utf8')) as LiveFacts
    const facts = JSON.parse(await readFile(join(dir, 'machine.json'), 'utf8')) as { machine: string; test: string; file: string; startedAt?: string; endedAt?: string; testFailedAt?: string }
    return {
      id: createHash('sha256').update(dir).digest('hex').slice(0, 12),
      dir,
      machine: facts.machine,
      test: facts.test,
      file: facts.file,
      vnc: live.vnc,
      ...(live.qmp ? { qmp: live.qmp } : {}),
      console: join(dir, ARTIFACT_FILES.console),
      ...(facts.startedAt ? { startedAt: facts.startedAt } : {}),
      ...(facts.endedAt ? { endedAt: facts.endedAt } : {}),
      ...(facts.testFailedAt ? { testFailed: true } : {}),
    }
  } catch {
    return undefined // being written, or not a machine's folder
  }
}

async function foldersWith(dir: string, name: string, depth: number): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return []
  }
  if (entries.some(e => e.name === name && e.isFile())) return [dir]
  if (depth === 0) return []
  const nested = await Promise.all(entries.filter(e => e.isDirectory()).map(e => foldersWith(join(dir, e.name), name, depth - 1)))
  return nested.flat()
}

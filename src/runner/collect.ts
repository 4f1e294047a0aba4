import { access, readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ARTIFACT_FILES, type MachineFacts } from '../machine/artifacts.js'
import { parseActions } from '../report/actions.js'
import type { ActionRecord, FileRecord, FilmstripFrame, MachineRecord, ScreenArtifact } from '../report/model.js'

/** Most step records put into `results.json` per machine; the whole log stays in `actions.jsonl`. */
const MAX_ACTIONS = 2000

/** Reads every machine's `machine.json` under a run's artifacts folder, with the files beside it. */
export async function collectMachines(root: string): Promise<Array<MachineRecord & { file: string }>> {
  const entries = (await readdir(root, { recursive: true }).catch(() => [])) as string[]
  const out: Array<MachineRecord & { file: string }> = []
  for (const e of entries.filter(e => e.endsWith(ARTIFACT_FILES.facts)).sort()) {
    const dir = dirname(join(root, e))
    const facts = await readFile(join(root, e), 'utf8')
      .then(s => JSON.parse(s) as MachineFacts)
      .catch(() => undefined)
    if (!facts) continue
    const files = await readdir(dir)
    const has = (name: string): string | undefined => (files.includes(name) ? join(dir, name) : undefined)
    const transcript = has(ARTIFACT_FILES.console)
    const command = has(ARTIFACT_FILES.command)
    const qmpLog = has(ARTIFACT_FILES.qmp)
    const stderr = has(ARTIFACT_FILES.stderr)
    const actionsLog = has(ARTIFACT_FILES.actions)
    const actions = actionsLog ? parseActions(await readFile(actionsLog, 'utf8').catch(() => '')) : []
    const captures = []
    for (const n of facts.networks ?? []) if (await access(n.capture).then(() => true, () => false)) captures.push({ network: n.name, file: n.capture })
    const filmstrip = has(ARTIFACT_FILES.filmstrip) ? await readFilmstrip(join(dir, ARTIFACT_FILES.filmstrip)) : undefined
    out.push({
      file: facts.file,
      machine: facts.machine,
      test: facts.test,
      dir,
      accel: facts.accel,
      ...(facts.arch ? { arch: facts.arch } : {}),
      ...(facts.firmware ? { firmware: facts.firmware } : {}),
      memoryMiB: facts.memoryMiB,
      startedAt: facts.startedAt,
      ...(facts.endedAt ? { endedAt: facts.endedAt } : {}),
      ...(facts.restoredFrom ? { restoredFrom: facts.restoredFrom } : {}),
      ...(typeof facts.cpuSeconds === 'number' ? { cpuSeconds: facts.cpuSeconds } : {}),
      ...(transcript ? { transcript } : {}),
      ...(command ? { command } : {}),
      ...(qmpLog ? { qmpLog } : {}),
      ...(stderr ? { stderr } : {}),
      screens: screensOf(actions),
      ...(captures.length ? { captures } : {}),
      ...(filmstrip?.length ? { filmstrip } : {}),
      ...(actionsLog ? { actionsLog, actions: actions.slice(0, MAX_ACTIONS) } : {}),
    })
  }
  return out
}

/** The frames listed in a machine's `filmstrip.json` (none when it is unreadable). */
async function readFilmstrip(file: string): Promise<FilmstripFrame[]> {
  try {
    const index = JSON.parse(await readFile(file, 'utf8')) as { frames?: FilmstripFrame[] }
    return (index.frames ?? []).filter(f => typeof f?.file === 'string' && typeof f.offsetMs === 'number').map(f => ({ file: f.file, offsetMs: f.offsetMs, at: String(f.at ?? ''), console: Array.isArray(f.console) ? f.console.map(String) : [] }))
  } catch {
    return []
  }
}

/**
 * The screen checks that left images, from the attachments the machine recorded on its
 * `expectScreen`/`waitForScreen` steps (file names are never parsed: a screenshot named
 * `a-diff` is not a diff).
 */
function screensOf(actions: ActionRecord[]): ScreenArtifact[] {
  const out: ScreenArtifact[] = []
  for (const a of actions) {
    if (a.action !== 'expectScreen' && a.action !== 'waitForScreen') continue
    const s: ScreenArtifact = { name: String(a.args.name ?? 'screen') }
    for (const f of a.attachments ?? []) {
      if (f.name === 'expected' || f.name === 'actual' || f.name === 'diff' || f.name === 'last') s[f.name] = f.path
    }
    if (s.actual || s.diff) out.push(s)
  }
  return out
}

/** Ties machines to their file and top-level test (by the test's name); the rest stay on the file. */
export function attachMachines(files: FileRecord[], machines: Array<MachineRecord & { file: string }>): FileRecord[] {
  for (const { file, ...m } of machines) {
    const f = files.find(r => resolve(r.file) === resolve(file))
    if (!f) continue
    const top = m.test.split(' > ')[0]
    const t = f.tests.find(t => t.name === top)
    if (t) t.machines.push(m)
    else f.machines.push(m)
  }
  return files
}

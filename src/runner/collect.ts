import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { MACHINE_FACTS, type MachineFacts } from '../machine/artifacts.js'
import type { FileRecord, MachineRecord, ScreenArtifact } from '../report/model.js'

/** Reads every machine's `machine.json` under a run's artifacts folder, with the files beside it. */
export async function collectMachines(root: string): Promise<Array<MachineRecord & { file: string }>> {
  const entries = (await readdir(root, { recursive: true }).catch(() => [])) as string[]
  const out: Array<MachineRecord & { file: string }> = []
  for (const e of entries.filter(e => e.endsWith(MACHINE_FACTS)).sort()) {
    const dir = dirname(join(root, e))
    const facts = await readFile(join(root, e), 'utf8')
      .then(s => JSON.parse(s) as MachineFacts)
      .catch(() => undefined)
    if (!facts) continue
    const files = await readdir(dir)
    const has = (name: string): string | undefined => (files.includes(name) ? join(dir, name) : undefined)
    const transcript = has('console.log')
    const command = has('qemu-command.txt')
    const qmpLog = has('qmp.log')
    const stderr = has('qemu-stderr.log')
    out.push({
      file: facts.file,
      machine: facts.machine,
      test: facts.test,
      dir,
      accel: facts.accel,
      memoryMiB: facts.memoryMiB,
      startedAt: facts.startedAt,
      ...(facts.endedAt ? { endedAt: facts.endedAt } : {}),
      ...(transcript ? { transcript } : {}),
      ...(command ? { command } : {}),
      ...(qmpLog ? { qmpLog } : {}),
      ...(stderr ? { stderr } : {}),
      screens: screensIn(dir, files),
    })
  }
  return out
}

/** `<name>-expected.png`, `<name>-actual.png`, `<name>-diff.png` grouped by name. */
function screensIn(dir: string, files: string[]): ScreenArtifact[] {
  const byName = new Map<string, ScreenArtifact>()
  for (const f of files.sort()) {
    const m = /^(.*)-(expected|actual|diff)\.png$/.exec(f)
    if (!m) continue
    const s = byName.get(m[1]!) ?? { name: m[1]! }
    s[m[2] as 'expected' | 'actual' | 'diff'] = join(dir, f)
    byName.set(m[1]!, s)
  }
  return [...byName.values()]
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

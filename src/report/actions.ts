import type { ActionRecord } from './model.js'

/** Reads `actions.jsonl`, skipping lines that are not records (a file cut short by a kill). */
export function parseActions(text: string): ActionRecord[] {
  const out: ActionRecord[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const r = JSON.parse(line) as ActionRecord
      if (typeof r.id === 'number' && typeof r.action === 'string') out.push(r)
    } catch {
      // a partial last line
    }
  }
  return out.sort((a, b) => a.offsetMs - b.offsetMs || a.id - b.id)
}

/**
 * What the trace of one test shows, gathered from its machines' artifacts: the steps
 * (`actions.jsonl`), the console's lines with their byte offsets, the filmstrip, QMP events
 * and network frames, each with its time, so the page can show what belongs to a step.
 * @module
 */
import { readFileSync, statSync } from 'node:fs'
import type { ActionRecord, MachineRecord, TestRecord } from '../model.js'
import { OCR_ATTACHMENT, type OcrRecord } from '../../screens/ocr-record.js'
import { fileHref, imageSrc } from '../html/files.js'
import { consoleLines, commandViews, type CommandView, type TraceLine } from './console-lines.js'
import { networkFrames, qmpEvents, type TraceEvent, type TraceFrame } from './events.js'

/** One step of the trace: an action of a machine, with absolute times in ms since the epoch. */
export interface TraceStep {
  /** `<machine index>:<action id>`, unique in the trace. */
  key: string
  /** The key of the step it ran inside, if any. */
  parent?: string
  machine: number
  depth: number
  action: string
  args: string
  start: number
  end: number
  outcome: 'ok' | 'error'
  /** The error, or the short result. */
  result?: string
  /** Console byte offsets (from the step log, else found by the commands' markers). */
  console?: { from: number; to: number }
  /** The protocol markers of the commands it typed. */
  markers: string[]
  /** Files it wrote: name and image source relative to the trace page. */
  attachments: { name: string; src?: string; href: string }[]
  /** The reference it checked (`expectScreen`, `waitForScreen`). */
  screen?: string
  /** The words its last OCR pass read (`screenText`, `waitForText`, `clickText`), with their boxes. */
  ocr?: OcrRecord
}

/** One machine of the trace. */
export interface TraceMachine {
  name: string
  /** The transcript's lines (the end of a long one), with their byte offsets. */
  lines: TraceLine[]
  /** Bytes of the transcript left out at the start. */
  omitted: number
  /** The commands of the clean view, by marker. */
  commands: Record<string, CommandView>
  /** Filmstrip frames: time and image source relative to the trace page. */
  frames: { at: number; src: string }[]
  events: TraceEvent[]
  packets: TraceFrame[]
}

/** Everything a trace page shows. */
export interface TraceData {
  test: string
  file: string
  /** The test file's absolute path: where `bootcheck show-trace` writes its references. */
  testFile?: string
  /** The references its steps checked, in order, once each. */
  screens: string[]
  status: string
  message?: string
  machines: TraceMachine[]
  steps: TraceStep[]
  /** The step the page opens at: the innermost failed step of the first failure. */
  focus?: string
}

/** The most transcript read into a trace (its end). */
export const TRACE_TRANSCRIPT_BYTES = 4 * 1024 * 1024

/**
 * The trace of test `t` of file `file`, with image sources relative to `pageDir`;
 * `testFile` is the file's absolute path, when known.
 */
export function traceOf(t: TestRecord, file: string, pageDir: string, testFile?: string): TraceData {
  const machines = t.machines.map(m => machineOf(m, pageDir))
  const steps = t.machines.flatMap((m, i) => stepsOf(m, i, machines[i]!, pageDir))
  return {
    test: t.name,
    file,
    ...(testFile ? { testFile } : {}),
    screens: [...new Set(steps.flatMap(s => (s.screen ? [s.screen] : [])))],
    status: t.status,
    ...(t.message ? { message: t.message } : {}),
    machines,
    steps,
    ...focusOf(steps, t.status === 'failed' || t.status === 'interrupted'),
  }
}

function machineOf(m: MachineRecord, pageDir: string): TraceMachine {
  const { lines, omitted, text } = consoleLines(m.transcript, TRACE_TRANSCRIPT_BYTES)
  const known = new Map((m.actions ?? []).flatMap(a => (a.commands ?? []).map(c => [c.marker, c.command] as const)))
  const frames = (m.filmstrip ?? []).flatMap(f => {
    const src = imageSrc(f.file, pageDir)
    return src === undefined ? [] : [{ at: Date.parse(f.at), src }]
  })
  return {
    name: m.machine,
    lines,
    omitted,
    commands: commandViews(text, known),
    frames,
    events: qmpEvents(m.qmpLog),
    packets: (m.captures ?? []).flatMap(c => networkFrames(c.file, c.network)),
  }
}

function stepsOf(m: MachineRecord, index: number, machine: TraceMachine, pageDir: string): TraceStep[] {
  const depth = new Map<number, number>()
  return (m.actions ?? []).map(a => {
    const d = a.parent === undefined ? 0 : (depth.get(a.parent) ?? 0) + 1
    depth.set(a.id, d)
    const start = Date.parse(a.start)
    const markers = (a.commands ?? []).map(c => c.marker)
    const console = a.console ?? byMarkers(machine.lines, markers)
    return {
      key: `${index}:${a.id}`,
      ...(a.parent === undefined ? {} : { parent: `${index}:${a.parent}` }),
      machine: index,
      depth: d,
      action: a.action,
      args: describeArgs(a.args),
      start,
      end: start + a.durationMs,
      outcome: a.outcome,
      ...resultOf(a),
      ...(console ? { console } : {}),
      ...screenOf(a),
      ...ocrOf(a),
      markers,
      attachments: (a.attachments ?? []).map(f => {
        const src = /\.(png|jpe?g)$/i.test(f.path) ? imageSrc(f.path, pageDir) : undefined
        return { name: f.name, ...(src ? { src } : {}), href: src ?? fileHref(f.path, pageDir) }
      }),
    }
  })
}

/** The largest OCR record read into a trace. */
const MAX_OCR_RECORD = 512 * 1024

function ocrOf(a: ActionRecord): { ocr?: OcrRecord } {
  const f = (a.attachments ?? []).filter(x => x.name === OCR_ATTACHMENT).at(-1)
  if (!f) return {}
  try {
    if (!statSync(f.path).isFile() || statSync(f.path).size > MAX_OCR_RECORD) return {}
    const r = JSON.parse(readFileSync(f.path, 'utf8')) as OcrRecord
    const ok = Number.isInteger(r.width) && Number.isInteger(r.height) && Array.isArray(r.words) && r.words.every(w => typeof w.t === 'string' && [w.x, w.y, w.w, w.h].every(Number.isFinite))
    return ok ? { ocr: { width: r.width, height: r.height, words: r.words.map(w => ({ t: w.t, x: w.x, y: w.y, w: w.w, h: w.h })) } } : {}
  } catch {
    return {}
  }
}

function screenOf(a: ActionRecord): { screen?: string } {
  const name = a.args.name
  return (a.action === 'expectScreen' || a.action === 'waitForScreen') && typeof name === 'string' ? { screen: name.replace(/\.png$/i, '') } : {}
}

function resultOf(a: ActionRecord): { result?: string } {
  const r = a.outcome === 'error' ? a.error : a.result
  return r ? { result: r } : {}
}

/** A step without recorded offsets: the lines from its first command's echo to its last's result. */
function byMarkers(lines: TraceLine[], markers: string[]): { from: number; to: number } | undefined {
  if (!markers.length) return undefined
  const first = lines.find(l => l.h.includes(markers[0]!))
  const last = markers.at(-1)!
  const end = [...lines].reverse().find(l => l.h.includes(last))
  if (!first || !end) return undefined
  return { from: first.o, to: end.o + end.n }
}

/**
 * The step a trace opens at: the innermost failed step of the first failure; for a test
 * that failed outside any step (an assertion on a result), the last step that ran.
 */
function focusOf(steps: TraceStep[], testFailed: boolean): { focus?: string } {
  const failed = steps.filter(s => s.outcome === 'error')
  if (!failed.length) {
    const last = steps.reduce<TraceStep | undefined>((a, b) => (!a || b.start >= a.start ? b : a), undefined)
    return testFailed && last ? { focus: last.key } : {}
  }
  const first = failed.reduce((a, b) => (b.start < a.start ? b : a))
  // Inside the first failed step, its innermost failed descendant.
  let focus = first
  for (let deeper = true; deeper; ) {
    const child = failed.find(s => s.parent === focus.key)
    deeper = child !== undefined
    if (child) focus = child
  }
  return { focus: focus.key }
}

/** Arguments as one short line. */
export function describeArgs(args: Record<string, unknown>): string {
  const entries = Object.entries(args)
  if (entries.length === 1 && typeof entries[0]![1] === 'string') return entries[0]![1] as string
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
}

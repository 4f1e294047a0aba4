/**
 * The serial transcript as a person wants to read it: each command bootcheck ran shown as
 * `# command` followed by exactly what it printed (stdout and stderr decoded from the
 * protocol's base64, its exit status), and the protocol's plumbing (the helper functions'
 * definition, probes, markers, checksums, file-transfer readers) folded away. Everything
 * else the guest printed (boot messages, kernel messages, even in the middle of a
 * command's result) is kept where it came. The reverse of protocol.ts; pure.
 * @module
 */
import { SHELL_SETUP } from './protocol.js'

/** One piece of a {@link viewTranscript}. */
export type TranscriptPart =
  /** What the guest printed outside bootcheck's commands. */
  | { kind: 'text'; text: string }
  /** A command run through the protocol and what it printed. */
  | { kind: 'command'; id: string; command: string; stdout: string; stderr: string; status?: number; console: string }
  /** Protocol lines folded away: `lines` of them. */
  | { kind: 'plumbing'; lines: number }

const ID = 'BC[0-9a-f]{12}'
const COMMAND = new RegExp(`__bcx (${ID}) ('(?:[^']|'\\\\'')*')\\s*$`)
const TYPED = new RegExp(`__bcx (${ID})`)
const REPLAY = new RegExp(`__bcp (${ID}) -?\\d+`)
const KERNEL = /^\[\s*\d+\.\d+\] /
const RESULT = new RegExp(`^(${ID})([NBSME])(?: (-?\\d+))?$`)
const SETUP_START = SHELL_SETUP.slice(0, 12)
/** The end of the helper definition (spaces removed), with the probe typed after it if any. */
const SETUP_END = new RegExp(`fi;}(?:;printf'%s%s\\\\n'BCRBC[0-9a-f]{12})?$`)
/** The most lines the wrapped helper definition can take (about 700 characters at 40 columns). */
const SETUP_MAX_LINES = 24
const PLUMBING = [
  new RegExp(`^(${ID})R$`), // a file-transfer reader is ready
  /stty -echo; printf '\\n%s%s\\n' BC[0-9a-f]{12} R;/, // a file-transfer reader typed
  /printf '%s%s\\n' BCR BC[0-9a-f]{12}/, // a shell probe typed
  new RegExp(`^BCR ?${ID}$`), // a probe answered
]

/** Undoes {@link shQuote}: `'it'\''s'` → `it's`. */
function shUnquote(quoted: string): string {
  return quoted.slice(1, -1).replaceAll(`'\\''`, `'`)
}

function decode(base64: string[]): string {
  return Buffer.from(base64.join(''), 'base64').toString('utf8')
}

interface Open {
  id: string
  command: string
  section: 'echo' | 'B' | 'S' | 'M'
  stdout: string[]
  stderr: string[]
  console: string[]
}

/**
 * Splits cleaned transcript text (ANSI sequences and carriage returns removed) into parts.
 * `known` maps markers to the commands typed under them (from the step log): a long
 * command line that the guest's line editor wrapped and redrew is unreadable in its echo,
 * so the command's text comes from there when it can; the echo is the fallback.
 */
export function viewTranscript(text: string, known: ReadonlyMap<string, string> = new Map()): TranscriptPart[] {
  const parts: TranscriptPart[] = []
  let open: Open | undefined
  // Lines left of the helper definition: the terminal wraps it (80 columns) into many lines.
  let setupLines = 0
  let setupSeen = ''
  const push = (part: TranscriptPart): void => {
    const last = parts.at(-1)
    if (part.kind === 'text' && last?.kind === 'text') last.text += part.text
    else if (part.kind === 'plumbing' && last?.kind === 'plumbing') last.lines += part.lines
    else parts.push(part)
  }
  const close = (status?: number): void => {
    if (!open) return
    const { id, command, stdout, stderr, console } = open
    push({ kind: 'command', id, command, stdout: decode(stdout), stderr: decode(stderr), ...(status === undefined ? {} : { status }), console: console.join('') })
    open = undefined
  }
  const start = (id: string, command: string): void => {
    close()
    open = { id, command, section: 'echo', stdout: [], stderr: [], console: [] }
  }
  for (const line of text.split(/(?<=\n)/)) {
    if (line === '') continue
    const bare = line.replace(/\n$/, '')
    const result = RESULT.exec(bare.trim())
    if (open && result && result[1] === open.id) {
      const mark = result[2] as 'N' | 'B' | 'S' | 'M' | 'E'
      if (mark === 'N' || mark === 'E') close(result[3] === undefined ? undefined : Number(result[3]))
      else open.section = mark
      continue
    }
    const typed = TYPED.exec(bare)
    if (typed) {
      const id = typed[1]!
      if (open?.id === id) continue // the same command line echoed again (a prompt redrawn)
      const before = bare.slice(0, typed.index).trimEnd()
      // A prompt in front of the command line belongs to the command; anything else stays.
      if (before && !/[#$%>]$/.test(before) && !PLUMBING.some(p => p.test(before))) push({ kind: 'text', text: `${before}\n` })
      const echoed = COMMAND.exec(bare)
      start(id, known.get(id) ?? (echoed ? shUnquote(echoed[2]!) : `(command ${id}: its line wrapped on the console; see the raw transcript)`))
      continue
    }
    const replay = REPLAY.exec(bare)
    if (replay) {
      // The result came damaged and is printed again under a new marker: the same command.
      const last = parts.at(-1)
      const command = open?.command ?? (last?.kind === 'command' ? (parts.pop(), last.command) : known.get(replay[1]!) ?? '')
      open = undefined
      start(replay[1]!, command)
      continue
    }
    if (bare.includes(SETUP_START)) {
      setupLines = SETUP_MAX_LINES
      setupSeen = ''
    }
    if (setupLines > 0) {
      // Folded up to the end of the definition and the probe typed after it (a bounded number of lines).
      setupSeen += bare.slice(bare.includes(SETUP_START) ? bare.indexOf(SETUP_START) : 0).replace(/\s+/g, '')
      setupLines = SETUP_END.test(setupSeen) ? 0 : setupLines - 1
      push({ kind: 'plumbing', lines: 1 })
      continue
    }
    if (PLUMBING.some(p => p.test(bare))) {
      push({ kind: 'plumbing', lines: 1 })
      continue
    }
    if (open) {
      if (open.section === 'B' && /^[A-Za-z0-9+/=]+$/.test(bare)) open.stdout.push(bare)
      else if (open.section === 'S' && /^[A-Za-z0-9+/=]+$/.test(bare)) open.stderr.push(bare)
      else if (open.section === 'M' && /^[0-9a-f]{32} {2}\S+$/.test(bare)) continue
      // In the echo: the line editor's redrawn pieces of the command line, unless the kernel spoke.
      else if (open.section === 'echo' && !KERNEL.test(bare)) continue
      else if (bare.trim() !== '') open.console.push(line) // the kernel or the guest, in the middle
      continue
    }
    push({ kind: 'text', text: line })
  }
  close()
  return parts
}

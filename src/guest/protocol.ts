import { createHash, randomBytes } from 'node:crypto'

/**
 * The wire protocol for commands on a plain shell console, with no guest agent.
 *
 * Once per shell session two functions are defined. `__bcx ID CMD` runs CMD in a subshell
 * with stdin from /dev/null and no positional parameters (so the command cannot see ID as
 * `$1` and print a result of its own under it), keeps stdout and stderr in temp files, and
 * calls `__bcp ID STATUS`, which prints (the temp files are named after the shell's pid, so
 * two shells sharing a /tmp, as the unit tests' local shells do, do not read each other's)
 *
 *     <ID>B
 *     <stdout, base64>
 *     <ID>S
 *     <stderr, base64>
 *     <ID>E <status> <md5 of stdout> <md5 of stderr>
 *
 * each marker on a line of its own, after an empty line: output another program writes to
 * the console just before (noise ending in a lone ESC, `ESC [` or `ESC (`) then swallows
 * that newline, never the marker's first letter.
 *
 * The typed command line contains `ID` followed by a space, never by `B`, `S` or `E`, so its
 * echo cannot match a marker. Output travels as base64, so a kernel message the console
 * prints in the middle of it (it starts with `[`, which base64 never contains) can be cut
 * out, and the checksums prove the result is exact; if they do not match, the host asks for
 * the same result again with `__bcp`.
 */
export const SHELL_SETUP =
  `__bcx() { ( __bcc=$2; set --; eval "$__bcc" ) </dev/null >"\${TMPDIR:-/tmp}/.bc$$.out" 2>"\${TMPDIR:-/tmp}/.bc$$.err"; __bcp "$1" $?; }; ` +
  `__bcp() { printf '\\n%s%s\\n' "$1" B; base64 <"\${TMPDIR:-/tmp}/.bc$$.out"; printf '\\n%s%s\\n' "$1" S; ` +
  `base64 <"\${TMPDIR:-/tmp}/.bc$$.err"; printf '\\n%s%s %s %s %s\\n' "$1" E "$2" ` +
  `"$(md5sum <"\${TMPDIR:-/tmp}/.bc$$.out" | cut -c1-32)" "$(md5sum <"\${TMPDIR:-/tmp}/.bc$$.err" | cut -c1-32)"; }`

/**
 * The version of the helper functions, a hash of {@link SHELL_SETUP}: a snapshot taken
 * with other helpers in the guest's RAM has them set up again after a restore.
 */
export const SHELL_PROTOCOL = createHash('sha256').update(SHELL_SETUP).digest('hex').slice(0, 16)

/** A fresh marker id: letters and digits only, unique per call. */
export function newMarker(): string {
  return 'BC' + randomBytes(6).toString('hex')
}

/** Quotes a string for a POSIX shell. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** The line typed to run `command` under marker `id`. */
export function commandLine(id: string, command: string): string {
  return `__bcx ${id} ${shQuote(command)}`
}

/** The line typed to print the last result again under a new marker. */
export function replayLine(id: string, status: number): string {
  return `__bcp ${id} ${status}`
}

/** The line typed to check that a shell answers: prints `BCR<id>`. */
export function probeLine(id: string): string {
  return `printf '%s%s\\n' BCR ${id}`
}

/** What a probe prints. */
export function probeReply(id: string): string {
  return `BCR${id}\n`
}

/**
 * A kernel message the console printed between a marker and the end of its line (kernel
 * messages start with `[` and run to the end of their line; markers never hold `[`).
 */
const KMSG_TAIL = '(?:\\[[^\\n]*\\n)?'

/** Patterns that frame a result; a kernel message may sit between a marker and its line's end. */
export function resultPatterns(id: string): { begin: RegExp; end: RegExp } {
  return {
    begin: new RegExp(`${id}B${KMSG_TAIL}\\n`),
    end: new RegExp(`${id}E (\\d+) ([0-9a-f]{32}) ([0-9a-f]{32})${KMSG_TAIL}\\n`),
  }
}

/** A decoded result, or why it could not be trusted. */
export type Decoded =
  | { ok: true; status: number; stdout: string; stderr: string }
  | { ok: false; status: number; reason: string }

/**
 * Decodes the text between the begin and end markers. `body` is what came between them,
 * `end` the end marker's match (status and checksums).
 */
export function decodeResult(id: string, body: string, end: RegExpExecArray): Decoded {
  const status = Number(end[1])
  const sep = new RegExp(`${id}S${KMSG_TAIL}\\n`).exec(body)
  if (!sep) return { ok: false, status, reason: 'the separator between stdout and stderr is missing' }
  const stdout = decodeBase64Block(body.slice(0, sep.index))
  const stderr = decodeBase64Block(body.slice(sep.index + sep[0].length))
  const bad: string[] = []
  if (md5(stdout) !== end[2]) bad.push('stdout')
  if (md5(stderr) !== end[3]) bad.push('stderr')
  if (bad.length > 0) return { ok: false, status, reason: `the checksum of ${bad.join(' and ')} does not match` }
  return { ok: true, status, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') }
}

/** Removes console noise (kernel messages start with `[` and run to the end of their line) and decodes. */
export function decodeBase64Block(block: string): Buffer {
  const cleaned = block.replace(/\[[^\n]*(?:\n|$)/g, '').replace(/[^A-Za-z0-9+/=]/g, '')
  return Buffer.from(cleaned, 'base64')
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex')
}

/**
 * True for a console line of the protocol itself (a typed probe or command, a result
 * marker, a line of base64 output), which progress displays leave out.
 */
export function isProtocolLine(line: string): boolean {
  return PROTOCOL_LINE.test(line)
}

// Typed probes (`… BCR BC<id>`), typed commands (`__bcx BC<id> …`, `__bcp BC<id> …`),
// markers (`BC<id>`, `BC<id>B`, `BC<id>E …`) and base64 lines; ids as newMarker makes them.
const PROTOCOL_LINE = /BCR ?BC[0-9a-f]{12}|__bc[xp] BC|^BC[BE]?[0-9a-f]{12}|^[A-Za-z0-9+/=]{40,}$/

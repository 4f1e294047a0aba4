import { createHash, randomBytes } from 'node:crypto'

/**
 * The wire protocol for commands on a plain shell console, with no guest agent.
 *
 * Once per shell session two functions are defined. `__bcx ID CMD` runs CMD in a subshell
 * with stdin from /dev/null and no positional parameters (so the command cannot see ID as
 * `$1` and print a result of its own under it), keeps stdout and stderr in temp files
 * (named after the shell's pid, so two shells sharing a /tmp, as the unit tests' local
 * shells do, do not read each other's), and calls `__bcp ID STATUS`. That prints, when the
 * command wrote nothing at all (the common case, and the fast one: no process besides
 * the subshell),
 *
 *     <ID>N <status>
 *
 * and otherwise
 *
 *     <ID>B
 *     <stdout, base64; nothing when empty>
 *     <ID>S
 *     <stderr, base64; nothing when empty>
 *     <ID>M
 *     <md5sum of the stdout file and the stderr file, one line each>
 *     <ID>E <status>
 *
 * each marker on a line of its own, after an empty line: output another program writes to
 * the console just before (noise ending in a lone ESC, `ESC [` or `ESC (`) then swallows
 * that newline, never the marker's first letter. Guest processes per command: the subshell,
 * then for a non-empty result one `base64` per non-empty stream and one `md5sum` for both.
 * A temp file that is gone (the command removed it) takes the long form, whose missing
 * checksum then reports the result as damaged rather than empty.
 *
 * The typed command line contains `ID` followed by a space, never by `N`, `B`, `S`, `M` or
 * `E`, so its echo cannot match a marker. Output travels as base64, so a kernel message the
 * console prints in the middle of it (it starts with `[`, which base64 never contains) can
 * be cut out, and the checksums prove the result is exact; if they do not match, the host
 * asks for the same result again with `__bcp`.
 */
export const SHELL_SETUP =
  `__bco="\${TMPDIR:-/tmp}/.bc$$.out"; __bce="\${TMPDIR:-/tmp}/.bc$$.err"; ` +
  `__bcx() { ( __bcc=$2; set --; eval "$__bcc" ) </dev/null >"$__bco" 2>"$__bce"; __bcp "$1" $?; }; ` +
  `__bcp() { if [ -s "$__bco" ] || [ -s "$__bce" ] || [ ! -f "$__bco" ] || [ ! -f "$__bce" ]; then printf '\\n%s%s\\n' "$1" B; [ ! -s "$__bco" ] || base64 <"$__bco"; ` +
  `printf '\\n%s%s\\n' "$1" S; [ ! -s "$__bce" ] || base64 <"$__bce"; printf '\\n%s%s\\n' "$1" M; md5sum "$__bco" "$__bce"; ` +
  `printf '\\n%s%s %s\\n' "$1" E "$2"; else printf '\\n%s%s %s\\n' "$1" N "$2"; fi; }`

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

/**
 * The start of a line that reads console input: the echo goes off (typed data is not
 * printed back), `<id>R` is printed when the reader starts, `receive` reads, and the echo
 * comes back on. The typed line holds `id` followed by a space, never by `R`.
 */
export function feedLine(id: string, receive: string): string {
  return `stty -echo; printf '\\n%s%s\\n' ${id} R; ${receive}; stty echo`
}

/** What {@link feedLine} prints when its reader starts. */
export function feedReady(id: string): RegExp {
  return new RegExp(`${id}R`)
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

/**
 * Patterns that frame a result; a kernel message may sit between a marker and its line's
 * end. `empty` is the whole result of a command that wrote nothing (group 1: the status);
 * a longer result runs from `begin` to `end` (group 1: the status).
 */
export function resultPatterns(id: string): { begin: RegExp; end: RegExp; empty: RegExp } {
  return {
    begin: new RegExp(`${id}B${KMSG_TAIL}\\n`),
    end: new RegExp(`${id}E (\\d+)${KMSG_TAIL}\\n`),
    empty: new RegExp(`${id}N (\\d+)${KMSG_TAIL}\\n`),
  }
}

/** A decoded result, or why it could not be trusted. */
export type Decoded =
  | { ok: true; status: number; stdout: string; stderr: string }
  | { ok: false; status: number; reason: string }

/** A decoded result with stdout as the exact bytes (for binary output, such as a file's contents). */
export type DecodedBytes =
  | { ok: true; status: number; stdout: Buffer; stderr: string }
  | { ok: false; status: number; reason: string }

/**
 * Decodes the text between the begin and end markers. `body` is what came between them,
 * `end` the end marker's match (the status).
 */
export function decodeResult(id: string, body: string, end: RegExpExecArray): Decoded {
  const d = decodeResultBytes(id, body, end)
  return d.ok ? { ...d, stdout: d.stdout.toString('utf8') } : d
}

/** As {@link decodeResult}, with stdout left as bytes. */
export function decodeResultBytes(id: string, body: string, end: RegExpExecArray): DecodedBytes {
  const status = Number(end[1])
  const sep = new RegExp(`${id}S${KMSG_TAIL}\\n`).exec(body)
  const sums = new RegExp(`${id}M${KMSG_TAIL}\\n`).exec(body)
  if (!sep || !sums || sums.index < sep.index) return { ok: false, status, reason: 'a separator between stdout, stderr and their checksums is missing' }
  const stdout = decodeBase64Block(body.slice(0, sep.index))
  const stderr = decodeBase64Block(body.slice(sep.index + sep[0].length, sums.index))
  const md5s = checksumLines(body.slice(sums.index + sums[0].length))
  if (md5s.length !== 2) return { ok: false, status, reason: `${md5s.length} checksums arrived instead of 2` }
  const bad: string[] = []
  if (md5(stdout) !== md5s[0]) bad.push('stdout')
  if (md5(stderr) !== md5s[1]) bad.push('stderr')
  if (bad.length > 0) return { ok: false, status, reason: `the checksum of ${bad.join(' and ')} does not match` }
  return { ok: true, status, stdout, stderr: stderr.toString('utf8') }
}

/** Removes console noise (kernel messages start with `[` and run to the end of their line) and decodes. */
export function decodeBase64Block(block: string): Buffer {
  const cleaned = block.replace(/\[[^\n]*(?:\n|$)/g, '').replace(/[^A-Za-z0-9+/=]/g, '')
  return Buffer.from(cleaned, 'base64')
}

/**
 * The checksums in `md5sum`'s output (`<md5>  <file>` a line; a leading backslash when the
 * name needed escaping), in order, with kernel messages cut out as in base64 blocks.
 */
export function checksumLines(block: string): string[] {
  const cleaned = block.replace(/\[[^\n]*(?:\n|$)/g, '')
  return [...cleaned.matchAll(/^\\?([0-9a-f]{32}) /gm)].map(m => m[1]!)
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
// markers (`BC<id>`, `BC<id>B`, `BC<id>E …`), base64 lines and checksum lines; ids as
// newMarker makes them.
const PROTOCOL_LINE = /BCR ?BC[0-9a-f]{12}|__bc[xp] BC|^BC[0-9a-f]{12}[NBSME]?|^[A-Za-z0-9+/=]{40,}$|^[0-9a-f]{32}  \S*\.bc\d+\.(?:out|err)$/

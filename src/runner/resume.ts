/**
 * `bootcheck resume <capsule>`: brings a failed test's machines back live at the failing
 * step (see docs/capsules.md), prints what failed, and attaches the terminal to a machine's
 * serial console as `bootcheck shell` does (`--ui`: the live view too).
 * @module
 */
import { parseArgs } from 'node:util'
import { dirname } from 'node:path'
import { resume, type ResumedCapsule } from '../api/resume.js'
import { attachConsole, type TerminalInput, type TerminalOutput } from '../attach/attach.js'
import { BootcheckError, UsageError } from '../errors/errors.js'
import { LIVE_ENV } from '../machine/live.js'
import { startLiveView } from './live/server.js'

/** Help of `bootcheck resume`. */
export const RESUME_USAGE = `Usage:
  bootcheck resume <capsule folder | test artifacts folder | run folder> [options]

Brings the machines a failed test left in its capsule back live at the failing step (the
media are checked first), prints what failed, and attaches this terminal to a machine's
serial console. Machines that were on a network come back together, on a new switch.

Options:
  --machine NAME   the machine whose console to attach (default: the one with the failing
                   step); only it and the machines on its networks are brought back
  --media DIR      where to look for a medium not at its recorded path (by file name;
                   repeatable): a capsule from another host
  --shares         share again the host folders the capsule's machines shared (9p)
  --share GUEST=FOLDER  share FOLDER at the guest path GUEST instead (repeatable)
  --ui             also serve the live view (screens, consoles) on 127.0.0.1; prints the URL

Ctrl-] then q powers the machines off; Ctrl-] ? lists the other escape commands.`

/** What {@link resumeCommand} needs from its surroundings; all optional. */
export interface ResumeIo {
  /** Default `process.stdin`. */
  input?: TerminalInput
  /** Default `process.stdout`. */
  output?: TerminalOutput
  /** Messages and errors. Default `process.stderr`. */
  errors?: NodeJS.WritableStream
}

/** The command line of `bootcheck resume`, parsed. Pure; throws {@link UsageError}. */
export function parseResumeArgs(argv: string[]): { capsule?: string; machine?: string; media: string[]; shares?: 'recorded' | Record<string, string>; ui: boolean; help: boolean } {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      machine: { type: 'string' },
      media: { type: 'string', multiple: true },
      shares: { type: 'boolean' },
      share: { type: 'string', multiple: true },
      ui: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.shares && v.share) throw new UsageError('bootcheck resume: --shares and --share exclude each other')
  const share: Record<string, string> = {}
  for (const s of v.share ?? []) {
    const m = /^(\/[^=]*)=(.+)$/.exec(s)
    if (!m) throw new UsageError(`bootcheck resume: --share takes GUEST=FOLDER (an absolute guest path), got '${s}'`)
    share[m[1]!.replace(/\/+$/, '')] = m[2]!
  }
  const shares = v.shares ? ('recorded' as const) : v.share ? share : undefined
  if (positionals.length > 1) throw new UsageError(`bootcheck resume: one capsule at a time, got ${positionals.join(', ')}`)
  if (!v.help && positionals.length === 0) throw new UsageError('bootcheck resume: which capsule? Give its folder, the failed test\'s artifacts folder or a run folder')
  return { ...(positionals[0] ? { capsule: positionals[0] } : {}), ...(v.machine ? { machine: v.machine } : {}), media: v.media ?? [], ...(shares ? { shares } : {}), ui: v.ui === true, help: v.help === true }
}

/**
 * Runs `bootcheck resume`: returns 0 after the user left (escape, then `q`), 1 when the
 * capsule could not be resumed (a changed medium, a machine not saved: the error is named),
 * 2 for a bad command line.
 */
export async function resumeCommand(argv: string[], io: ResumeIo = {}): Promise<number> {
  const errors = io.errors ?? process.stderr
  const output = io.output ?? process.stdout
  const say = (line: string): void => void errors.write(`bootcheck resume: ${line}\n`)
  const args = parseResumeArgs(argv)
  if (args.help) {
    output.write(RESUME_USAGE + '\n')
    return 0
  }
  if (args.ui) process.env[LIVE_ENV] = '1'
  let r: ResumedCapsule
  const started = Date.now()
  try {
    r = await resume(args.capsule!, { ...(args.machine ? { machines: [args.machine] } : {}), mediaDirs: args.media, ...(args.shares ? { shares: args.shares } : {}), note: say })
  } catch (e) {
    if (!(e instanceof BootcheckError) || e instanceof UsageError) throw e
    say(`${e.name} (${e.code}): ${e.message}`)
    return 1
  }
  const live = args.ui ? await startLiveView({ root: dirname(Object.values(r.machines)[0]!.artifactsDir), references: { testFiles: [r.manifest.file] } }) : undefined
  try {
    for (const line of r.failure) say(line)
    const names = Object.keys(r.machines)
    say(`${names.join(', ')} resumed from ${r.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s${r.networks.length ? ` (networks: ${r.networks.map(n => n.name).join(', ')})` : ''}`)
    if (live) errors.write(`bootcheck: live view ${live.url}\n`)
    const failing = r.manifest.machines.find(x => x.failingStep && names.includes(x.name))?.name
    const machine = r.machines[args.machine ?? failing ?? names[0]!]!
    say(`serial console of ${machine.name}; artifacts of the resumed machines in ${dirname(machine.artifactsDir)}`)
    await attachConsole(machine, { input: io.input ?? process.stdin, output })
    return 0
  } finally {
    await r.close()
    await live?.close()
  }
}

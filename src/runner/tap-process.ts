/**
 * One `tap` process over a list of test files: its own process group (so an interrupt
 * reaches every test process), TAP collected and passed on line by line, and the signal that
 * interrupted it, if any. `run.ts` starts one per attempt.
 */
import { execa } from 'execa'
import { tapBin, tapNodeOptions, topLevelEnv } from './tap.js'

/** What one tap process is given. */
export interface TapProcessOptions {
  files: string[]
  /** tap's own flags (`--jobs`, `--timeout`, `--grep`, …). */
  tapArgs: string[]
  /** Environment added to the runner's own (without tap's variables). */
  env: Record<string, string>
  /** Keep the process in this session (a failing test attaches this terminal to its machine). */
  debug: boolean
  /** Each complete line of TAP, as it arrives. */
  onLines: (text: string) => void
  /** Called once on the first interrupt, before it is passed on. */
  onInterrupt: (signal: NodeJS.Signals) => void
}

/** How a tap process ended. */
export interface TapProcessResult {
  tap: string
  exitCode: number
  interruptedBy?: NodeJS.Signals
}

/** Runs tap once over `files` (none: nothing starts, since tap would run its default folders). */
export async function runTapProcess(o: TapProcessOptions): Promise<TapProcessResult> {
  if (o.files.length === 0) return { tap: '', exitCode: 0 }
  const child = execa(process.execPath, [tapBin(), ...o.tapArgs, ...o.files], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    // Its own process group, so an interrupt reaches tap and every test process, and each
    // ends its own QEMU processes (by pid) on the way out. Not with --debug: a failing
    // test then attaches its machine to this terminal, which needs the same session.
    detached: !o.debug,
    extendEnv: false,
    env: withPreload({ ...topLevelEnv(process.env), ...o.env }),
  })
  let tap = ''
  let partial = ''
  child.stdout?.on('data', (d: Buffer) => {
    const text = partial + d.toString()
    const cut = text.lastIndexOf('\n') + 1
    partial = text.slice(cut)
    tap += text.slice(0, cut)
    if (cut > 0) o.onLines(text.slice(0, cut))
  })

  let interruptedBy: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interruptedBy) {
      // A second interrupt: stop waiting for a clean end.
      if (o.debug) child.kill('SIGKILL')
      else killGroup(child.pid, 'SIGKILL')
      return
    }
    interruptedBy = signal
    o.onInterrupt(signal)
    if (o.debug) child.kill(signal)
    else killGroup(child.pid, signal)
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.on(s, onSignal)
  const result = await child
  for (const s of signals) process.off(s, onSignal)
  tap += partial
  if (partial) o.onLines(partial + '\n')
  return { tap, exitCode: result.exitCode ?? 1, ...(interruptedBy ? { interruptedBy } : {}) }
}

/** The environment with bin/tap-preload.mjs added to NODE_OPTIONS. */
function withPreload(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: tapNodeOptions(env.NODE_OPTIONS) }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

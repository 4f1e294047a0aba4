import { attachConsole, openTerminal, type AttachableMachine } from './attach.js'

/** True when `bootcheck run --debug` asked to keep failing machines (`BOOTCHECK_DEBUG=1`). */
export function debugRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.BOOTCHECK_DEBUG && env.BOOTCHECK_DEBUG !== '0'
}

/**
 * After a test failed under `bootcheck run --debug`: keeps its machine running and attaches
 * the controlling terminal (`/dev/tty`; the test process's stdout belongs to tap) to its
 * serial console, showing the last console lines first. Leaving (Ctrl-] q) powers the
 * machine off and lets the run go on. Without a terminal it says so and returns.
 */
export async function attachAfterFailure(machine: AttachableMachine & { readonly artifactsDir: string }, testName: string, note: (line: string) => void): Promise<void> {
  if (!machine.running) return note(`--debug: ${machine.name} is no longer running; nothing to attach to`)
  const term = openTerminal()
  if (!term) return note(`--debug: no terminal (/dev/tty) to attach ${machine.name} to`)
  try {
    term.output.write(`\r\n[bootcheck] '${testName}' failed; ${machine.name} is kept running. Artifacts: ${machine.artifactsDir}\r\n`)
    await attachConsole(machine, { input: term.input, output: term.output, replay: 20, leaveLabel: 'power off and go on' })
  } finally {
    term.close()
  }
}

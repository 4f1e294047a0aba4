/**
 * Commands in the guest on top of the guest shell: exit-status checks that throw
 * {@link CommandFailedError} with the output, and retries until a command succeeds or fails.
 * @module
 */
import { formatMs } from '../console/console.js'
import { CommandFailedError, TimeoutError } from '../errors/errors.js'
import type { CommandResult } from '../guest/shell.js'
import { sleep } from '../util/sleep.js'
import { quoteLines } from '../util/quote.js'

/** Runs one command with a timeout. */
export type RunCommand = (command: string, timeout: number) => Promise<CommandResult>

/** Throws {@link CommandFailedError} unless the result's status is what was wanted; returns stdout (and stderr for a wanted failure). */
export function expectStatus(machine: string, command: string, r: CommandResult, wantSuccess: boolean): string {
  if ((r.status === 0) !== wantSuccess) {
    const what = wantSuccess ? `exited with status ${r.status}` : 'succeeded but was expected to fail'
    throw new CommandFailedError(`Command ${JSON.stringify(command)} on ${machine} ${what}.${formatOutput(r)}`, command, r.status, r.output, r.stderr)
  }
  return wantSuccess ? r.output : r.output + r.stderr
}

/** Repeats `command` until it succeeds (or fails, with `wantSuccess` false); throws {@link TimeoutError} with the last attempt. */
export async function retryCommand(
  machine: string,
  run: RunCommand,
  command: string,
  options: { timeout: number; interval: number },
  wantSuccess: boolean,
): Promise<string> {
  const { timeout, interval } = options
  const deadline = Date.now() + timeout
  let last: CommandResult | null = null
  while (Date.now() < deadline) {
    last = await run(command, Math.max(1000, deadline - Date.now()))
    if ((last.status === 0) === wantSuccess) return wantSuccess ? last.output : last.output + last.stderr
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())))
  }
  throw new TimeoutError(
    `Command ${JSON.stringify(command)} on ${machine} did not ${wantSuccess ? 'succeed' : 'fail'} within ${formatMs(timeout)}.` +
      (last ? ` Last status ${last.status}.${formatOutput(last)}` : ''),
  )
}

/** The last 30 lines of stdout and stderr, indented, for error messages. */
export function formatOutput(r: CommandResult): string {
  const block = (label: string, text: string): string =>
    text.length === 0 ? '' : `\n${label}:\n${quoteLines(text.replace(/\n$/, '').split('\n').slice(-30))}`
  return block('stdout', r.output) + block('stderr', r.stderr)
}

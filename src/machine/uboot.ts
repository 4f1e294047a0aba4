/**
 * `vm.uboot`: typing at U-Boot's prompt on the serial console. `interrupt()` stops
 * autoboot, `run(cmd)` types a command and returns its output (failing on U-Boot's error
 * lines), `env()` reads the environment, `boot(cmd)` types a command that starts a kernel.
 * @module
 */
import { SerialConsole } from '../console/console.js'
import { parseUbootEnv, ubootError, UBOOT_AUTOBOOT, UBOOT_PROMPT, UBOOT_PROMPT_SOURCE } from '../console/uboot.js'
import { CommandFailedError } from '../errors/errors.js'
import type { TimeoutError } from '../errors/errors.js'
import { quoteLines } from '../util/quote.js'

/** Runs one logged step of the machine (its `actions.jsonl`). */
type Step = <T>(action: string, args: object, fn: () => Promise<T>, describe?: (r: T) => string) => Promise<T>

/** U-Boot at a machine's serial console. */
export class UBoot {
  private serial = 0

  constructor(
    private readonly console: SerialConsole,
    private readonly name: string,
    private readonly timeout: () => number,
    private readonly step: Step,
  ) {}

  /**
   * Waits for U-Boot's autoboot countdown, presses a key to stop it, and waits for the
   * prompt; a U-Boot with nothing to autoboot (malta's) is at its prompt already. Fails with
   * a {@link TimeoutError} when neither comes (U-Boot booted on with `bootdelay=0`, or the
   * machine does not run U-Boot).
   */
  interrupt(options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? this.timeout()
    return this.step('uboot.interrupt', { timeout }, async () => {
      const first = await this.console.waitFor(new RegExp(`${UBOOT_AUTOBOOT.source}|${UBOOT_PROMPT.source}`), { timeout })
      if (!UBOOT_AUTOBOOT.test(first.text)) return
      this.console.send(' ')
      await this.console.waitFor(UBOOT_PROMPT, { timeout })
    })
  }

  /**
   * Types `command` at the prompt and returns what it printed (the echo and the prompt
   * left out). Throws a {@link CommandFailedError} when the command's status (`$?`) is not
   * 0, or when the output holds one of U-Boot's error lines (`Wrong Image Format`, `TFTP
   * error`, `Retry count exceeded`, …; see `UBOOT_ERROR_LINES`) unless `errorLines: 'allow'`
   * (for a command such as `pxe get` that probes several files before it finds one). For a
   * command that does not come back (`bootm`, `pxe boot`), use {@link boot}.
   */
  run(command: string, options: { timeout?: number; errorLines?: 'fail' | 'allow' } = {}): Promise<string> {
    const timeout = options.timeout ?? this.timeout()
    return this.step('uboot.run', { command, timeout }, async () => {
      const marker = `bootcheck-uboot-${++this.serial}`
      this.console.sendLine(`${command}; echo ${marker}=$?`)
      const m = await this.console.waitFor(new RegExp(`\\n${marker}=(\\d*)\\n[^]*?${UBOOT_PROMPT_SOURCE}`), { timeout })
      // `before` is the echo of the typed line and the output; drop the echo
      const output = m.before.slice(m.before.indexOf('\n') + 1)
      const status = m.groups?.[1] ? Number(m.groups[1]) : 0
      const line = options.errorLines === 'allow' ? undefined : ubootError(output)
      if (status !== 0 || line) {
        const why = line ? `${line.name}: ${line.line.trim()}` : `status ${status}`
        const shown = quoteLines(output.trimEnd().split('\n').slice(-20))
        throw new CommandFailedError(`U-Boot command '${command}' on ${this.name} failed (${why})\n${shown}`, command, status || 1, output, '')
      }
      return output
    }, out => `${out.split('\n').length} lines`)
  }

  /** U-Boot's environment (`printenv`), as a record. */
  async env(options: { timeout?: number } = {}): Promise<Record<string, string>> {
    return parseUbootEnv(await this.run('printenv', options))
  }

  /** Types a command that boots a kernel (it does not come back to the prompt), e.g. `pxe boot` or `bootflow scan`. */
  boot(command: string): Promise<void> {
    return this.step('uboot.boot', { command }, async () => this.console.sendLine(command))
  }
}

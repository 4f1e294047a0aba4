/**
 * A machine's systemd units, TCP ports and files, as the NixOS test driver's
 * `wait_for_unit`, `wait_for_open_port`, `wait_for_closed_port`, `wait_for_file` and
 * `systemctl` offer them (see {@link MachineServices}).
 * @module
 */
import { formatMs } from '../console/console.js'
import { BootcheckError, SystemdError, TimeoutError } from '../errors/errors.js'
import type { CommandResult } from '../guest/shell.js'
import { sleep } from '../util/sleep.js'
import { formatOutput } from './commands.js'
import { MachineCommands } from './machine-commands.js'
import {
  checkUnitName,
  fileCommand,
  judgeUnit,
  NO_PORT_TOOL,
  parseUnitState,
  portCommand,
  shellQuote,
  statusBlock,
  systemctlArgs,
  unitError,
  unitsOf,
  unitStateCommand,
  unitStatusCommand,
  type UnitState,
  type UnitVerdict,
} from './services.js'

/** Options of {@link MachineServices.waitForUnit}, {@link MachineServices.waitForFile} and the port waits. */
export interface WaitOptions {
  /** Milliseconds to wait in all. Default: the machine's `timeout` (`bootTimeout` for `waitForUnit`). */
  timeout?: number
  /** Milliseconds between looks. Default 500. */
  interval?: number
}

/** Options of {@link MachineServices.waitForOpenPort} and {@link MachineServices.waitForClosedPort}. */
export interface PortWaitOptions extends WaitOptions {
  /** The host to connect to, from inside the guest. Default `localhost`. */
  addr?: string
}

const INTERVAL = 500

/**
 * systemd units, TCP ports and files in the guest: what a test of a NixOS or Debian system
 * waits for once its shell answers. Part of {@link Machine}.
 */
export class MachineServices extends MachineCommands {
  /**
   * Waits until systemd reports `unit` (e.g. `'sshd'`, `'multi-user.target'`) as `active`,
   * looking every `interval` ms, and returns its state. Fails at once, not at the timeout,
   * with a {@link SystemdError} naming the unit and quoting its `systemctl status` when the
   * unit reaches `failed`, or is `inactive` with no job queued in systemd that could still
   * start it (as the NixOS driver's `wait_for_unit`), or does not exist. Throws
   * {@link TimeoutError} with its last state and status otherwise. Default timeout: the
   * machine's `bootTimeout` (it is mostly called right after boot).
   *
   * ```ts
   * await vm.waitForUnit('ssh.service')
   * ```
   */
  waitForUnit(unit: string, options: WaitOptions = {}): Promise<UnitState> {
    return this.step(
      'waitForUnit',
      { unit, ...options },
      async () => {
        checkUnitName(unit)
        const timeout = options.timeout ?? this.bootTimeout
        let last: UnitState | undefined
        const active = await this.pollGuest(`unit '${unit}' to be active`, timeout, options.interval, async left => {
          const { state, verdict } = await this.readUnit(unit, left)
          last = state
          if (verdict.kind === 'failed') throw unitError(this.name, unit, verdict.why, state.activeState, await this.unitStatus(unit))
          return verdict.kind === 'active' ? state : undefined
        }).catch(async e => {
          if (e instanceof TimeoutError && last) {
            const status = await this.unitStatus(unit).catch(() => '')
            throw new TimeoutError(`${e.message} It was last ${last.activeState} (${last.subState}), with ${last.jobs} job(s) queued.${statusBlock(unit, status)}`, { cause: e })
          }
          throw e
        })
        return active
      },
      s => `${s.id} ${s.activeState} (${s.subState})`,
    )
  }

  /**
   * Runs `systemctl <args>` in the guest (`--no-pager`; a string is split on blanks, an
   * array is passed word by word) and returns its stdout. When systemctl exits non-zero,
   * throws a {@link SystemdError} naming the unit the arguments name and quoting systemctl's
   * output and the unit's `systemctl status` (e.g. `vm.systemctl('start broken')` when the
   * unit's start fails). For the verbs whose exit status is the answer (`is-active`,
   * `is-enabled`, `is-failed`), use `vm.run('systemctl is-active x')`.
   */
  systemctl(args: string | readonly string[], options: { timeout?: number } = {}): Promise<string> {
    const words = systemctlArgs(args)
    return this.step('systemctl', { args: words.join(' '), ...options }, async () => {
      const command = `systemctl --no-pager ${words.map(shellQuote).join(' ')}`
      const r = await this.runRaw(command, options.timeout ?? this.timeout)
      if (r.status === 0) return r.output
      const unit = unitsOf(words)[0]
      const status = unit ? await this.unitStatus(unit) : ''
      const state = unit ? ((await this.runRaw(`systemctl show --no-pager -p ActiveState --value -- ${shellQuote(unit)}`, this.timeout)).output.trim()) : ''
      throw new SystemdError(
        `'systemctl ${words.join(' ')}' on ${this.name} exited with status ${r.status}${unit ? ` (unit '${unit}'${state ? `, now ${state}` : ''})` : ''}.${formatOutput(r)}${unit ? statusBlock(unit, status) : ''}`,
        unit ?? '',
        state,
        status,
      )
    })
  }

  /**
   * Waits until a TCP connection to `port` (on `addr`, default `localhost`) succeeds from
   * inside the guest, tried with bash's `/dev/tcp` or else `nc -z` as the NixOS driver's
   * `wait_for_open_port` does. Throws {@link TimeoutError} when it does not open in time,
   * and a {@link BootcheckError} at once when the guest has neither bash nor nc.
   */
  waitForOpenPort(port: number, options: PortWaitOptions = {}): Promise<void> {
    return this.step('waitForOpenPort', { port, ...options }, () => this.portWait(port, options, true))
  }

  /** Waits until a TCP connection to `port` (on `addr`, default `localhost`) from inside the guest is refused, as {@link MachineServices.waitForOpenPort} tries it. */
  waitForClosedPort(port: number, options: PortWaitOptions = {}): Promise<void> {
    return this.step('waitForClosedPort', { port, ...options }, () => this.portWait(port, options, false))
  }

  /** Waits until `path` exists in the guest (`test -e`). Throws {@link TimeoutError} when it does not appear in time. */
  waitForFile(path: string, options: WaitOptions = {}): Promise<void> {
    return this.step('waitForFile', { path, ...options }, async () => {
      const command = fileCommand(path)
      await this.pollGuest(`file ${path} to exist`, options.timeout ?? this.timeout, options.interval, async left =>
        (await this.runRaw(command, left)).status === 0 ? true : undefined,
      )
    })
  }

  private async portWait(port: number, options: PortWaitOptions, open: boolean): Promise<void> {
    const addr = options.addr ?? 'localhost'
    const command = portCommand(port, addr)
    await this.pollGuest(`port ${addr}:${port} to ${open ? 'open' : 'close'}`, options.timeout ?? this.timeout, options.interval, async left => {
      const r: CommandResult = await this.runRaw(command, left)
      if (r.status === NO_PORT_TOOL) throw new BootcheckError(`Cannot try TCP port ${port} on ${this.name}: the guest has neither bash (/dev/tcp) nor nc.`)
      return (r.status === 0) === open ? true : undefined
    })
  }

  /** The unit's state and what it means, read again (up to twice) when it failed between the two looks. */
  private async readUnit(unit: string, left: number): Promise<{ state: UnitState; verdict: UnitVerdict }> {
    for (let reads = 1; ; reads++) {
      const r = await this.runRaw(unitStateCommand(unit), left)
      const state = parseUnitState(r.output)
      if (!state.activeState) {
        throw new SystemdError(`Cannot read the state of unit '${unit}' on ${this.name}: 'systemctl show' printed no ActiveState (is systemd the guest's init?).${formatOutput(r)}`, unit, '', '')
      }
      const verdict = judgeUnit(state)
      if (verdict.kind !== 'reread') return { state, verdict }
      if (reads === 3) return { state, verdict: { kind: 'wait' } }
    }
  }

  /** The unit's `systemctl status` (never throws for the unit's state). */
  private async unitStatus(unit: string): Promise<string> {
    return (await this.runRaw(unitStatusCommand(unit), this.timeout)).output
  }

  /**
   * Calls `look` (with the milliseconds left, at least 1000) until it returns a value,
   * pausing `interval` ms between looks; throws {@link TimeoutError} waiting for `what`.
   */
  private async pollGuest<T>(what: string, timeout: number, interval: number | undefined, look: (left: number) => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeout
    for (;;) {
      const found = await look(Math.max(1000, deadline - Date.now()))
      if (found !== undefined) return found
      if (Date.now() >= deadline) throw new TimeoutError(`${this.name} waited ${formatMs(timeout)} for ${what}.`)
      await sleep(Math.min(interval ?? INTERVAL, Math.max(0, deadline - Date.now())))
    }
  }
}

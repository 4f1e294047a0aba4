/**
 * systemd units, TCP ports and files in the guest, as the NixOS test driver's
 * `wait_for_unit`, `wait_for_open_port`, `wait_for_file` and `systemctl` see them: the
 * shell commands that ask, and what their answers mean. Pure; {@link MachineServices}
 * runs them.
 * @module
 */
import { SpecError, SystemdError } from '../errors/errors.js'
import { quoteLines } from '../util/quote.js'

/** A unit's state as `systemctl show` reports it, and whether any job is queued. */
export interface UnitState {
  /** The unit's name as systemd resolved it (`Id`), e.g. `ssh.service`. */
  id: string
  /** `loaded`, `not-found`, `masked`, `error`, … */
  loadState: string
  /** `active`, `reloading`, `inactive`, `failed`, `activating`, `deactivating`. */
  activeState: string
  /** The unit type's own state, e.g. `running`, `exited`, `dead`, `start-pre`. */
  subState: string
  /** How the last run ended: `success`, `exit-code`, `timeout`, … (`''` for units without one). */
  result: string
  /** Jobs queued in systemd (for any unit): while there are some, an inactive unit may still be started. */
  jobs: number
  /** `ActiveState` read again after the jobs were counted (a unit started in between is not taken as stuck). */
  activeStateAfter: string
}

/** What one look at a unit says: it is up, it may still come, or it never will. */
export type UnitVerdict = { kind: 'active' } | { kind: 'wait' } | { kind: 'reread' } | { kind: 'failed'; why: string }

/** A word as one shell argument in single quotes. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** Checks a unit name: not empty, no newline or NUL (it is typed on the console). */
export function checkUnitName(unit: string): void {
  if (typeof unit !== 'string' || unit.trim() === '' || /[\n\r\0]/.test(unit)) {
    throw new SpecError(`A systemd unit name must be a non-empty line of text, not ${JSON.stringify(unit)}`)
  }
}

const PROPS = 'Id,LoadState,ActiveState,SubState,Result'

/**
 * One command that reads the unit's state, counts systemd's queued jobs, then reads the
 * state again (so a job that ended between the two does not look like a unit left
 * inactive with nothing to start it): the race the NixOS driver handles by asking twice.
 */
export function unitStateCommand(unit: string): string {
  const u = shellQuote(unit)
  return (
    `systemctl show --no-pager -p ${PROPS} -- ${u}; ` +
    `echo "Jobs=$(systemctl list-jobs --no-pager --no-legend 2>/dev/null | grep -c .)"; ` +
    `echo "ActiveStateAfter=$(systemctl show --no-pager -p ActiveState --value -- ${u})"`
  )
}

/** Reads the output of {@link unitStateCommand}. Missing properties read as `''`. */
export function parseUnitState(output: string): UnitState {
  const props = new Map<string, string>()
  for (const line of output.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim())
    if (m) props.set(m[1]!, m[2]!)
  }
  const get = (k: string): string => props.get(k) ?? ''
  return {
    id: get('Id'),
    loadState: get('LoadState'),
    activeState: get('ActiveState'),
    subState: get('SubState'),
    result: get('Result'),
    jobs: Number(get('Jobs')) || 0,
    activeStateAfter: get('ActiveStateAfter'),
  }
}

/**
 * Whether a unit is up, may still come up, or never will: `active` is up; `failed` never
 * will (at once, not at the timeout); `inactive` with no job queued anywhere and still
 * `inactive` after the count never will either (nothing is left to start it), as the NixOS
 * driver decides; a unit systemd does not know (`LoadState=not-found`) with no jobs is
 * reported as such; a unit that failed between the state read and the second look is
 * `reread` at once. Anything else (`activating`, `reloading`, `deactivating`, inactive
 * while jobs run) is waited for.
 */
export function judgeUnit(state: UnitState): UnitVerdict {
  if (state.activeState === 'active') return { kind: 'active' }
  if (state.activeState === 'failed') {
    return { kind: 'failed', why: `reached state 'failed'${state.result && state.result !== 'success' ? ` (result: ${state.result})` : ''}` }
  }
  if (state.activeState === 'inactive' && state.jobs === 0 && state.activeStateAfter === 'inactive') {
    if (state.loadState === 'not-found') return { kind: 'failed', why: 'does not exist (LoadState=not-found) and no job is queued that could bring it' }
    if (state.loadState === 'masked') return { kind: 'failed', why: 'is masked, so nothing can start it' }
    const ended = state.result && state.result !== 'success' ? `, its last run ended with result '${state.result}'` : ''
    return { kind: 'failed', why: `is inactive (${state.subState || 'dead'}) and no job is queued that could start it${ended}` }
  }
  // Failed between the two reads: its state and result are read again at once, so the
  // error quotes one consistent read (the suite once saw 'activating' with result 'success').
  if (state.activeStateAfter === 'failed') return { kind: 'reread' }
  return { kind: 'wait' }
}

/** The command that prints a unit's status for an error message (never fails, never pages). */
export function unitStatusCommand(unit: string): string {
  return `systemctl status --no-pager --full --lines=20 -- ${shellQuote(unit)} 2>&1; true`
}

/** `systemctl status` output quoted under a heading for an error message (up to 40 lines); `''` when there is none. */
export function statusBlock(unit: string, status: string): string {
  if (!status.trim()) return ''
  const lines = status.replace(/\n+$/, '').split('\n')
  const shown = lines.length > 40 ? [...lines.slice(0, 40), `… (${lines.length - 40} more lines)`] : lines
  return `\nsystemctl status ${unit}:\n${quoteLines(shown)}`
}

/** A {@link SystemdError} for `unit`, quoting its `systemctl status` output. */
export function unitError(machine: string, unit: string, why: string, state: string, status: string): SystemdError {
  return new SystemdError(`Unit '${unit}' on ${machine} ${why}.${statusBlock(unit, status)}`, unit, state, status)
}

/**
 * The units an argument list of `systemctl` names: the words after the verb that are not
 * options (`start --now a.service b` names `a.service` and `b`). Empty for verbs that
 * name none (`daemon-reload`, `list-units`).
 */
export function unitsOf(args: readonly string[]): string[] {
  const words = args.filter(a => !a.startsWith('-'))
  return words.slice(1)
}

/** Splits a `systemctl` argument string on blanks (quoting is not interpreted); an array is taken as it is. */
export function systemctlArgs(args: string | readonly string[]): string[] {
  const list = typeof args === 'string' ? args.trim().split(/\s+/).filter(Boolean) : [...args]
  if (list.length === 0) throw new SpecError('systemctl needs arguments, e.g. vm.systemctl(\'restart ssh\')')
  for (const a of list) if (/[\n\r\0]/.test(a)) throw new SpecError(`A systemctl argument may not hold a newline: ${JSON.stringify(a)}`)
  return list
}

/** Checks a TCP port number. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SpecError(`A TCP port is an integer from 1 to 65535, not ${port}`)
}

/** Exit status of {@link portCommand} when the guest has neither bash nor nc to try a port with. */
export const NO_PORT_TOOL = 127

/**
 * A command that exits 0 when a TCP connection to `addr:port` in the guest succeeds, 1 when
 * it does not, and {@link NO_PORT_TOOL} when the guest has no way to try: bash's
 * `/dev/tcp` (as the NixOS driver does), else `nc -z`; bounded by `timeout 3` when the
 * guest has it.
 */
export function portCommand(port: number, addr = 'localhost'): string {
  checkPort(port)
  if (!/^[A-Za-z0-9.:_-]+$/.test(addr)) throw new SpecError(`A host to try a port on is a name or an address, not ${JSON.stringify(addr)}`)
  const limit = 'T=; command -v timeout >/dev/null 2>&1 && T="timeout 3"'
  const bash = `$T bash -c ${shellQuote(`exec 3<>/dev/tcp/${addr}/${port}`)} 2>/dev/null && exit 0 || exit 1`
  const nc = `$T nc -z ${addr} ${port} 2>/dev/null && exit 0 || exit 1`
  return `(${limit}; if command -v bash >/dev/null 2>&1; then ${bash}; elif command -v nc >/dev/null 2>&1; then ${nc}; else exit ${NO_PORT_TOOL}; fi)`
}

/** A command that exits 0 when `path` exists in the guest (`test -e`). */
export function fileCommand(path: string): string {
  if (typeof path !== 'string' || path === '' || /[\n\r\0]/.test(path)) throw new SpecError(`A guest path must be a non-empty line of text, not ${JSON.stringify(path)}`)
  return `test -e ${shellQuote(path)}`
}

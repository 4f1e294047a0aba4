/**
 * Typings for the QMP commands and events bootcheck uses (checked against
 * QEMU 7.2's `query-qmp-schema`). Only the fields we rely on are spelled out;
 * QEMU may send more.
 * @module
 */

/** Arguments of a command that takes none. */
export type QmpNoArgs = Record<string, never>

/** The empty object most commands return. */
export type QmpEmpty = Record<string, never>

/** QEMU's version triple, as in the greeting and `query-version`. */
export interface QmpVersion {
  qemu: { major: number; minor: number; micro: number }
  /** Distribution package string, e.g. `Debian 1:7.2+dfsg-7+deb12u18`. */
  package: string
}

/** The first message QEMU sends on a new QMP connection. */
export interface QmpGreeting {
  QMP: { version: QmpVersion; capabilities: string[] }
}

/** VM run state reported by `query-status`. */
export type QmpRunState =
  | 'debug' | 'inmigrate' | 'internal-error' | 'io-error' | 'paused' | 'postmigrate'
  | 'prelaunch' | 'finish-migrate' | 'restore-vm' | 'running' | 'save-vm' | 'shutdown'
  | 'suspended' | 'watchdog' | 'guest-panicked' | 'colo'

/** Reply of `query-status`. */
export interface QmpStatusInfo {
  running: boolean
  singlestep: boolean
  status: QmpRunState
}

/** The medium inserted in a block device (subset of QEMU's BlockDeviceInfo). */
export interface QmpBlockDeviceInfo {
  file: string
  'node-name'?: string
  ro: boolean
  drv: string
  encrypted: boolean
  image: { filename: string; format: string; 'virtual-size': number; [key: string]: unknown }
  [key: string]: unknown
}

/** One entry of `query-block`. */
export interface QmpBlockInfo {
  /** BlockBackend name (the `-drive id=`), empty for anonymous backends. */
  device: string
  /** qdev id or QOM path of the attached device. */
  qdev?: string
  type: string
  removable: boolean
  locked: boolean
  /** Present only when a medium is inserted. */
  inserted?: QmpBlockDeviceInfo
  tray_open?: boolean
  'io-status'?: 'ok' | 'failed' | 'nospace'
}

/** How the read-only flag is handled by `blockdev-change-medium`. */
export type QmpReadOnlyMode = 'retain' | 'read-only' | 'read-write'

/** Selects a removable-media device by BlockBackend name (`device`) or qdev id (`id`). */
export interface QmpTrayTarget {
  /** qdev id of the device (preferred). */
  id?: string
  /** BlockBackend name (deprecated style). */
  device?: string
}

/** A key: a QEMU QKeyCode name such as `ret`, `spc`, `ctrl`, `a`, or a raw number. */
export type QmpKeyValue = { type: 'qcode'; data: string } | { type: 'number'; data: number }

/** Mouse buttons accepted by `input-send-event`. */
export type QmpInputButton =
  | 'left' | 'middle' | 'right' | 'wheel-up' | 'wheel-down' | 'side' | 'extra'
  | 'wheel-left' | 'wheel-right'

/** One event of `input-send-event`. */
export type QmpInputEvent =
  | { type: 'key'; data: { key: QmpKeyValue; down: boolean } }
  | { type: 'btn'; data: { button: QmpInputButton; down: boolean } }
  | { type: 'rel' | 'abs'; data: { axis: 'x' | 'y'; value: number } }

/** Migration states reported by `query-migrate` (QEMU 7.2's MigrationStatus). */
export type QmpMigrationStatus =
  | 'none' | 'setup' | 'cancelling' | 'cancelled' | 'active' | 'postcopy-active' | 'postcopy-paused'
  | 'postcopy-recover' | 'completed' | 'failed' | 'colo' | 'pre-switchover' | 'device' | 'wait-unplug'

/** Reply of `query-migrate` (the fields bootcheck reads). */
export interface QmpMigrationInfo {
  /** Absent before any migration. */
  status?: QmpMigrationStatus
  'error-desc'?: string
  'total-time'?: number
  ram?: { transferred: number; total: number; duplicate: number; normal: number; [key: string]: unknown }
  [key: string]: unknown
}

/** Map of command name to its argument and return types. */
export interface QmpCommands {
  qmp_capabilities: { args: { enable?: Array<'oob'> }; ret: QmpEmpty }
  'query-version': { args: QmpNoArgs; ret: QmpVersion }
  'query-status': { args: QmpNoArgs; ret: QmpStatusInfo }
  'query-block': { args: QmpNoArgs; ret: QmpBlockInfo[] }
  'query-commands': { args: QmpNoArgs; ret: Array<{ name: string }> }
  eject: { args: QmpTrayTarget & { force?: boolean }; ret: QmpEmpty }
  'blockdev-open-tray': { args: QmpTrayTarget & { force?: boolean }; ret: QmpEmpty }
  'blockdev-close-tray': { args: QmpTrayTarget; ret: QmpEmpty }
  'blockdev-remove-medium': { args: { id: string }; ret: QmpEmpty }
  'blockdev-change-medium': {
    args: {
      id: string
      filename: string
      format?: string
      force?: boolean
      'read-only-mode'?: QmpReadOnlyMode
    }
    ret: QmpEmpty
  }
  device_add: { args: { driver: string; id?: string; bus?: string; [prop: string]: unknown }; ret: QmpEmpty }
  device_del: { args: { id: string }; ret: QmpEmpty }
  system_reset: { args: QmpNoArgs; ret: QmpEmpty }
  system_powerdown: { args: QmpNoArgs; ret: QmpEmpty }
  quit: { args: QmpNoArgs; ret: QmpEmpty }
  cont: { args: QmpNoArgs; ret: QmpEmpty }
  stop: { args: QmpNoArgs; ret: QmpEmpty }
  screendump: {
    args: { filename: string; device?: string; head?: number; format?: 'ppm' | 'png' }
    ret: QmpEmpty
  }
  'send-key': { args: { keys: QmpKeyValue[]; 'hold-time'?: number }; ret: QmpEmpty }
  'input-send-event': {
    args: { events: QmpInputEvent[]; device?: string; head?: number }
    ret: QmpEmpty
  }
  migrate: { args: { uri: string }; ret: QmpEmpty }
  'migrate-incoming': { args: { uri: string }; ret: QmpEmpty }
  'migrate-set-parameters': { args: { 'max-bandwidth'?: number; 'downtime-limit'?: number }; ret: QmpEmpty }
  'query-migrate': { args: QmpNoArgs; ret: QmpMigrationInfo }
  'query-machines': { args: QmpNoArgs; ret: Array<{ name: string; alias?: string; 'is-default'?: boolean }> }
  'qom-list': { args: { path: string }; ret: Array<{ name: string; type: string }> }
  'human-monitor-command': { args: { 'command-line': string; 'cpu-index'?: number }; ret: string }
}

/** Name of a command in {@link QmpCommands}. */
export type QmpCommandName = keyof QmpCommands

/** Why QEMU shut down or reset. */
export type QmpShutdownCause =
  | 'none' | 'host-error' | 'host-qmp-quit' | 'host-qmp-system-reset' | 'host-signal'
  | 'host-ui' | 'guest-shutdown' | 'guest-reset' | 'guest-panic' | 'subsystem-reset'
  | 'snapshot-load'

/** Map of event name to its `data` type (`undefined` for events without data). */
export type QmpEventData = {
  SHUTDOWN: { guest: boolean; reason: QmpShutdownCause }
  RESET: { guest: boolean; reason: QmpShutdownCause }
  POWERDOWN: undefined
  STOP: undefined
  RESUME: undefined
  DEVICE_TRAY_MOVED: { device: string; id: string; 'tray-open': boolean }
  DEVICE_DELETED: { device?: string; path: string }
  BLOCK_IO_ERROR: {
    device: string
    'node-name'?: string
    operation: 'read' | 'write'
    action: 'ignore' | 'report' | 'stop'
    nospace?: boolean
    reason: string
  }
}

/** When QEMU emitted an event. */
export interface QmpTimestamp {
  seconds: number
  microseconds: number
}

/** An asynchronous event as recorded by the client. */
export interface QmpEvent {
  event: string
  data?: Record<string, unknown>
  timestamp: QmpTimestamp
  /** Position in the client's event log, starting at 1 (added by the client, not QEMU). */
  seq: number
}

/** The event type for a given name: precisely typed for known events, {@link QmpEvent} otherwise. */
export type QmpEventOf<N extends string> = N extends keyof QmpEventData
  ? { event: N; timestamp: QmpTimestamp; seq: number } & (QmpEventData[N] extends undefined
      ? { data?: undefined }
      : { data: QmpEventData[N] })
  : QmpEvent

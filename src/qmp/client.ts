/**
 * A typed client for the QEMU Machine Protocol over a unix socket.
 *
 * Longer than 400 lines on purpose: it is one class whose parts (connect and handshake,
 * command/reply pairing, the event log with marks, close) share the connection's state;
 * framing, errors and command types are already in files of their own.
 * @module
 */
import net from 'node:net'
import { connectWhenListening, UnixConnectError } from '../util/unix-connect.js'
import { JsonLineDecoder } from './framing.js'
import {
  QmpClosedError,
  QmpConnectError,
  QmpError,
  QmpProtocolError,
  QmpTimeoutError,
  describeCommand,
} from './errors.js'
import type { QmpCommands, QmpEvent, QmpEventOf, QmpGreeting } from './types.js'

/** Direction of a line of QMP traffic, for {@link QmpConnectOptions.onTraffic}. */
export type QmpTrafficDirection = 'send' | 'recv'

/** Options for {@link QmpClient.connect}. */
export interface QmpConnectOptions {
  /** Give up connecting + handshaking after this many ms. Default 10000. */
  timeoutMs?: number
  /** Observes every line sent and received (without the line ending), e.g. for logging. */
  onTraffic?: (dir: QmpTrafficDirection, line: string) => void
  /** Polled while retrying; returning false (QEMU has exited) makes connect fail at once. */
  isAlive?: () => boolean
}

/** Options for one {@link QmpClient.execute} call. */
export interface QmpExecuteOptions {
  /** Reject with {@link QmpTimeoutError} if no reply arrives in time. Default: wait forever. */
  timeoutMs?: number
}

/** Options for {@link QmpClient.waitForEvent}. */
export interface QmpWaitOptions<E> {
  /** Only consider events with `seq > after` (from {@link QmpClient.mark}). Default: the current mark, i.e. only new events. */
  after?: number
  /** Default 30000; `Infinity` waits forever. */
  timeoutMs?: number
  /** Extra filter on events with the right name. */
  match?: (event: E) => boolean
}

/** Receives events from {@link QmpClient.on}. */
export type QmpEventHandler<E = QmpEvent> = (event: E) => void

/** Argument list of a typed command: `args` may be omitted when every argument is optional. */
export type QmpExecuteParams<K extends keyof QmpCommands> = {} extends QmpCommands[K]['args']
  ? [args?: QmpCommands[K]['args'], options?: QmpExecuteOptions]
  : [args: QmpCommands[K]['args'], options?: QmpExecuteOptions]

interface PendingCommand {
  command: string
  args: object | undefined
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout | undefined
}

interface EventWaiter {
  name: string
  after: number
  match: ((event: QmpEvent) => boolean) | undefined
  resolve: (event: QmpEvent) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout | undefined
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const DEFAULT_EVENT_TIMEOUT_MS = 30_000

/**
 * A QMP connection: typed commands (several may be in flight), an ordered,
 * sequence-numbered event log, and waits on events that cannot miss an event
 * that arrived before the wait started (see {@link QmpClient.mark}).
 *
 * ```ts
 * const qmp = await QmpClient.connect(sock, { isAlive: () => proc.exitCode === null })
 * const m = qmp.mark()
 * await qmp.execute('eject', { id: 'cdrom', force: true })
 * await qmp.waitForEvent('DEVICE_TRAY_MOVED', { after: m })
 * ```
 */
export class QmpClient {
  /** The greeting QEMU sent on connect (includes the QEMU version). */
  readonly greeting: QmpGreeting
  /** Resolves once the connection is closed, for whatever reason. Never rejects. */
  readonly closed: Promise<void>

  readonly #socket: net.Socket
  readonly #onTraffic: QmpConnectOptions['onTraffic']
  readonly #pending = new Map<string, PendingCommand>()
  readonly #waiters = new Set<EventWaiter>()
  readonly #handlers = new Map<string, Set<QmpEventHandler>>()
  readonly #events: QmpEvent[] = []
  #nextId = 1
  #isClosed = false
  #closeCause: Error | undefined
  #resolveClosed!: () => void

  private constructor(socket: net.Socket, decoder: JsonLineDecoder, greeting: QmpGreeting, onTraffic: QmpConnectOptions['onTraffic']) {
    this.#socket = socket
    this.greeting = greeting
    this.#onTraffic = onTraffic
    this.closed = new Promise(resolve => {
      this.#resolveClosed = resolve
    })
    socket.on('data', chunk => this.#onData(decoder, chunk))
    socket.on('error', err => {
      this.#closeCause ??= err
    })
    socket.on('close', () => this.#onClose())
    socket.resume() // readGreeting paused the socket to hold back bytes until now
  }

  /**
   * Connects to QEMU's QMP unix socket, retrying until it exists and accepts,
   * reads the greeting and negotiates capabilities.
   * @throws {QmpTimeoutError} nothing usable within `timeoutMs`.
   * @throws {QmpConnectError} `isAlive()` returned false, or a non-retryable socket error.
   */
  static async connect(socketPath: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    const deadline = Date.now() + timeoutMs
    const remaining = (): number => Math.max(0, deadline - Date.now())
    const socket = await connectWithRetry(socketPath, deadline, timeoutMs, opts.isAlive)
    let client: QmpClient | undefined
    try {
      const { decoder, greeting } = await readGreeting(socket, socketPath, remaining(), timeoutMs, opts.onTraffic)
      client = new QmpClient(socket, decoder, greeting, opts.onTraffic)
      await client.execute('qmp_capabilities', {}, { timeoutMs: Math.max(1, remaining()) })
      return client
    } catch (err) {
      socket.destroy()
      if (err instanceof QmpTimeoutError) throw new QmpTimeoutError(`QMP handshake on ${socketPath}`, timeoutMs)
      throw err
    }
  }

  /** The events received so far, oldest first. */
  get events(): readonly QmpEvent[] {
    return this.#events
  }

  /** True once the connection has closed. */
  get isClosed(): boolean {
    return this.#isClosed
  }

  /** The current event sequence number: pass it as `after` to wait only for later events. */
  mark(): number {
    return this.#events.length
  }

  /**
   * Sends a command and resolves with its `return` value.
   * @throws {QmpError} QEMU replied with an error.
   * @throws {QmpClosedError} the connection closed first (except for `quit`, which then resolves).
   * @throws {QmpTimeoutError} `options.timeoutMs` expired.
   */
  execute<K extends keyof QmpCommands>(command: K, ...params: QmpExecuteParams<K>): Promise<QmpCommands[K]['ret']>
  /** Untyped form for commands not in the typed table (`QmpCommands` in `src/qmp/types.ts`). */
  execute<C extends string>(
    command: C extends keyof QmpCommands ? never : C,
    args?: object,
    options?: QmpExecuteOptions,
  ): Promise<unknown>
  execute(command: string, args?: object, options: QmpExecuteOptions = {}): Promise<unknown> {
    const what = describeCommand(command, args)
    if (this.#isClosed) {
      return Promise.reject(new QmpClosedError(`reply to ${what} (connection already closed)`, { cause: this.#closeCause }))
    }
    const id = `bc-${this.#nextId++}`
    const message: Record<string, unknown> = { execute: command }
    if (args !== undefined) message.arguments = args
    message.id = id
    const line = JSON.stringify(message)
    return new Promise((resolve, reject) => {
      const pending: PendingCommand = { command, args, resolve, reject, timer: undefined }
      if (options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs)) {
        pending.timer = setTimeout(() => {
          this.#pending.delete(id)
          reject(new QmpTimeoutError(`reply to ${what}`, options.timeoutMs ?? 0))
        }, options.timeoutMs)
      }
      this.#pending.set(id, pending)
      this.#onTraffic?.('send', line)
      this.#socket.write(`${line}\n`)
    })
  }

  /**
   * Resolves with the first event called `name` (or any event for `'*'`) with
   * `seq > after` that passes `match`, looking first at events already received.
   * @throws {QmpTimeoutError} nothing matched in time (message names the event and timeout).
   * @throws {QmpClosedError} the connection closed first.
   */
  waitForEvent<N extends string>(name: N, opts: QmpWaitOptions<QmpEventOf<N>> = {}): Promise<QmpEventOf<N>> {
    const after = opts.after ?? this.mark()
    const match = opts.match as ((event: QmpEvent) => boolean) | undefined
    const found = this.#events.find(e => e.seq > after && eventMatches(e, name, match))
    if (found) return Promise.resolve(found as QmpEventOf<N>)
    const what = `event ${name}`
    if (this.#isClosed) return Promise.reject(new QmpClosedError(what, { cause: this.#closeCause }))
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS
    return new Promise<QmpEvent>((resolve, reject) => {
      const waiter: EventWaiter = { name, after, match, resolve, reject, timer: undefined }
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter)
          const seen = this.#events.filter(e => e.seq > after).map(e => e.event)
          reject(new QmpTimeoutError(what, timeoutMs, seen.length ? `events seen meanwhile: ${summarize(seen)}` : 'no events seen meanwhile'))
        }, timeoutMs)
      }
      this.#waiters.add(waiter)
    }) as Promise<QmpEventOf<N>>
  }

  /** Calls `handler` for every later event called `name`, or every event for `'*'`. */
  on<N extends string>(name: N, handler: QmpEventHandler<QmpEventOf<N>>): this {
    let set = this.#handlers.get(name)
    if (!set) this.#handlers.set(name, (set = new Set()))
    set.add(handler as QmpEventHandler)
    return this
  }

  /** Removes a handler added with {@link QmpClient.on}. */
  off<N extends string>(name: N, handler: QmpEventHandler<QmpEventOf<N>>): this {
    this.#handlers.get(name)?.delete(handler as QmpEventHandler)
    return this
  }

  /** Closes the connection (pending commands and waits reject); resolves when closed. */
  close(): Promise<void> {
    if (!this.#isClosed) this.#socket.destroy()
    return this.closed
  }

  #onData(decoder: JsonLineDecoder, chunk: Buffer): void {
    let messages: unknown[]
    try {
      messages = decoder.push(chunk)
    } catch (err) {
      this.#closeCause = err as Error
      this.#socket.destroy()
      return
    }
    for (const msg of messages) this.#dispatch(msg)
  }

  #dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null) return
    const m = msg as Record<string, unknown>
    if (typeof m.event === 'string') {
      this.#recordEvent(m)
      return
    }
    const id = m.id
    if (typeof id !== 'string') return // e.g. an error about unparsable input: not ours to match
    const pending = this.#pending.get(id)
    if (!pending) return // late reply after a timeout
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    if ('error' in m) {
      const error = (m.error ?? {}) as { class?: unknown; desc?: unknown }
      pending.reject(new QmpError(pending.command, pending.args, String(error.class ?? 'UnknownError'), String(error.desc ?? '')))
    } else {
      pending.resolve(m.return)
    }
  }

  #recordEvent(raw: Record<string, unknown>): void {
    const event = { ...raw, seq: this.#events.length + 1 } as QmpEvent
    this.#events.push(event)
    for (const waiter of this.#waiters) {
      if (event.seq > waiter.after && eventMatches(event, waiter.name, waiter.match)) {
        this.#waiters.delete(waiter)
        clearTimeout(waiter.timer)
        waiter.resolve(event)
      }
    }
    for (const key of [event.event, '*']) {
      for (const handler of this.#handlers.get(key) ?? []) {
        try {
          handler(event)
        } catch (err) {
          process.emitWarning(`QMP event handler for ${key} threw: ${String(err)}`)
        }
      }
    }
  }

  #onClose(): void {
    this.#isClosed = true
    const cause = this.#closeCause
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id)
      clearTimeout(pending.timer)
      // QEMU may exit before replying to `quit`: that is success.
      if (pending.command === 'quit' && !(cause instanceof QmpProtocolError)) pending.resolve({})
      else pending.reject(new QmpClosedError(`reply to ${describeCommand(pending.command, pending.args)}`, { cause }))
    }
    for (const waiter of this.#waiters) {
      this.#waiters.delete(waiter)
      clearTimeout(waiter.timer)
      waiter.reject(new QmpClosedError(`event ${waiter.name}`, { cause }))
    }
    this.#resolveClosed()
  }
}

function eventMatches(event: QmpEvent, name: string, match: ((event: QmpEvent) => boolean) | undefined): boolean {
  return (name === '*' || event.event === name) && (match === undefined || match(event))
}

function summarize(names: string[]): string {
  const shown = names.slice(-10).join(', ')
  return names.length > 10 ? `…${names.length - 10} more, ${shown}` : shown
}

/** Opens the unix socket, retrying while it does not exist yet or refuses; QMP's errors for the rest. */
async function connectWithRetry(
  socketPath: string,
  deadline: number,
  timeoutMs: number,
  isAlive: (() => boolean) | undefined,
): Promise<net.Socket> {
  try {
    return await connectWhenListening(socketPath, { deadline, ...(isAlive ? { wanted: isAlive } : {}) })
  } catch (e) {
    if (!(e instanceof UnixConnectError)) throw e
    const { reason, lastError } = e
    if (reason === 'unwanted') throw new QmpConnectError(socketPath, 'QEMU exited before its QMP socket accepted a connection', { cause: lastError })
    if (reason === 'failed') throw new QmpConnectError(socketPath, lastError.message, { cause: lastError })
    throw new QmpTimeoutError(`QMP socket ${socketPath} to accept a connection`, timeoutMs, `last error: ${lastError.code}`)
  }
}

/** Reads the greeting; returns the decoder so bytes after the greeting are not lost. */
function readGreeting(
  socket: net.Socket,
  socketPath: string,
  remainingMs: number,
  timeoutMs: number,
  onTraffic: QmpConnectOptions['onTraffic'],
): Promise<{ decoder: JsonLineDecoder; greeting: QmpGreeting }> {
  const decoder = new JsonLineDecoder({ onLine: line => onTraffic?.('recv', line) })
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.removeListener('data', onData)
      socket.removeListener('close', onClose)
      socket.removeListener('error', onError)
    }
    const fail = (err: Error): void => {
      cleanup()
      reject(err)
    }
    const timer = setTimeout(() => fail(new QmpTimeoutError(`QMP greeting on ${socketPath}`, timeoutMs)), remainingMs)
    let lastError: Error | undefined
    const onError = (err: Error): void => {
      lastError = err
    }
    const onClose = (): void => fail(new QmpClosedError('QMP greeting', { cause: lastError }))
    const onData = (chunk: Buffer): void => {
      let messages: unknown[]
      try {
        messages = decoder.push(chunk)
      } catch (err) {
        fail(err as Error)
        return
      }
      const [first, ...rest] = messages
      if (first === undefined) return
      cleanup()
      const greeting = first as Partial<QmpGreeting>
      if (typeof greeting !== 'object' || greeting === null || typeof greeting.QMP !== 'object') {
        reject(new QmpProtocolError('expected a QMP greeting', JSON.stringify(first)))
        return
      }
      if (rest.length > 0) {
        reject(new QmpProtocolError('unexpected messages before capabilities negotiation', JSON.stringify(rest)))
        return
      }
      // Stop the flow until the client attaches its own 'data' listener.
      socket.pause()
      resolve({ decoder, greeting: greeting as QmpGreeting })
    }
    socket.on('data', onData)
    socket.on('close', onClose)
    socket.on('error', onError)
  })
}

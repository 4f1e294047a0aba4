import { createServer, type Server, type Socket } from 'node:net'
import { Budget, type Limits, type Request } from './budget.js'
import { checkClientMessage, frame, lineReader, type ClientMessage } from '../lease/protocol.js'

/** What the runner knows about one machine of one test process. */
export interface MachineState {
  id: string
  client: string
  file: string
  test: string
  machine: string
  memoryMiB: number
  cpus: number
  state: 'queued' | 'running' | 'ended'
  queuedAt: number
  startedAt?: number
  endedAt?: number
  /** What the machine does now, e.g. `booting`, `waiting for /# $/`. */
  stage?: string
  /** The last non-empty console line. */
  line?: string
}

/**
 * The budget of an enclosing run, for a run started inside another's test (bootcheck's own
 * suite runs `bootcheck run` in its tests): each machine this run admits waits for a lease
 * of the outer run too, so machines of nested runs count against the one budget of the
 * host. Resolves with the release of that lease.
 */
export type Upstream = (need: { machine: string; test: string; memoryMiB: number; cpus: number }) => Promise<{ release(): void }>

/** Why the state changed. */
export type Change = 'queued' | 'started' | 'status' | 'ended'

/**
 * The runner's end of the channel: admits machines within the {@link Budget} and keeps
 * {@link MachineState}s for progress lines. A test process that disconnects (ended or
 * killed) gives back everything it held.
 */
export class RunnerServer {
  readonly machines = new Map<string, MachineState>()
  private readonly budget: Budget
  private readonly server: Server
  private readonly sockets = new Map<string, Socket>()
  private readonly files = new Map<string, string>()
  /** Leases of the enclosing run, by machine id (see {@link Upstream}). */
  private readonly upstreamLeases = new Map<string, Promise<{ release(): void } | undefined>>()
  private nextClient = 1

  private constructor(
    /** The socket test processes connect to. */
    readonly socketPath: string,
    limits: Limits,
    private readonly onChange: (m: MachineState, why: Change) => void,
    private readonly upstream?: Upstream,
  ) {
    this.budget = new Budget(limits)
    this.server = createServer(socket => this.accept(socket))
  }

  /** Listens on `socketPath`. */
  static async listen(socketPath: string, limits: Limits, onChange: (m: MachineState, why: Change) => void = () => {}, upstream?: Upstream): Promise<RunnerServer> {
    const s = new RunnerServer(socketPath, limits, onChange, upstream)
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject)
      s.server.listen(socketPath, () => {
        s.server.off('error', reject)
        resolve()
      })
    })
    return s
  }

  get limits(): Limits {
    return this.budget.limits
  }

  get used(): { memoryMiB: number; cpus: number } {
    return this.budget.used
  }

  /**
   * Resolves once no test process is connected any more (each ends its machines by pid before
   * it exits, so its socket closes after its QEMU is gone), or after `timeoutMs`: true if all left.
   */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
    return this.sockets.size === 0
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets.values()) s.destroy()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  private accept(socket: Socket): void {
    let client = `c${this.nextClient++}`
    this.sockets.set(client, socket)
    socket.on(
      'data',
      lineReader<unknown>(raw => {
        // Any process of this user can connect: a malformed line is dropped, never thrown.
        const m = checkClientMessage(raw)
        if (!m) return
        if (m.t === 'hello') {
          this.sockets.delete(client)
          client = `${m.client}#${client}`
          this.sockets.set(client, socket)
          this.files.set(client, m.file)
        } else {
          try {
            this.handle(client, m)
          } catch {
            // e.g. a lease asked for twice: that client's mistake, not the run's end
          }
        }
      }),
    )
    socket.on('error', () => {})
    socket.on('close', () => {
      this.sockets.delete(client)
      for (const m of this.machines.values()) {
        if (m.client === client && m.state !== 'ended') this.end(m)
      }
      for (const id of this.upstreamLeases.keys()) if (id.startsWith(`${client}/`)) this.releaseUpstream(id)
      this.grant(this.budget.dropClient(client))
    })
  }

  private handle(client: string, m: ClientMessage): void {
    switch (m.t) {
      case 'lease': {
        const id = `${client}/${m.id}`
        const state: MachineState = {
          id,
          client,
          file: this.files.get(client) ?? '',
          test: m.test,
          machine: m.machine,
          memoryMiB: m.memoryMiB,
          cpus: m.cpus,
          state: 'queued',
          queuedAt: Date.now(),
        }
        this.machines.set(id, state)
        this.onChange(state, 'queued')
        this.grant(this.budget.request({ id, client, memoryMiB: m.memoryMiB, cpus: m.cpus }))
        break
      }
      case 'release': {
        const state = this.machines.get(`${client}/${m.id}`)
        if (state) this.end(state)
        this.releaseUpstream(`${client}/${m.id}`)
        this.grant(this.budget.release(`${client}/${m.id}`))
        break
      }
      case 'status': {
        const state = this.machines.get(`${client}/${m.id}`)
        if (!state) return
        if (m.stage !== undefined) state.stage = m.stage
        if (m.line !== undefined) state.line = m.line
        this.onChange(state, 'status')
        break
      }
    }
  }

  private end(state: MachineState): void {
    state.state = 'ended'
    state.endedAt = Date.now()
    this.onChange(state, 'ended')
  }

  private grant(admitted: Request[]): void {
    for (const r of admitted) {
      const state = this.machines.get(r.id)
      if (!this.upstream || !state) {
        this.start(r, state)
        continue
      }
      // Admitted here; it starts once the enclosing run admits it too.
      const lease = this.upstream({ machine: state.machine, test: `${state.file} › ${state.test}`, memoryMiB: r.memoryMiB, cpus: r.cpus }).then(
        l => {
          if (this.upstreamLeases.get(r.id) === lease && state.state === 'queued') this.start(r, state)
          else l.release() // released or disconnected while it waited
          return l
        },
        () => {
          // No enclosing run answers (a stale BOOTCHECK_RUNNER): this run's budget alone decides.
          if (this.upstreamLeases.get(r.id) === lease && state.state === 'queued') this.start(r, state)
          return undefined
        },
      )
      this.upstreamLeases.set(r.id, lease)
    }
  }

  private start(r: Request, state: MachineState | undefined): void {
    if (state) {
      state.state = 'running'
      state.startedAt = Date.now()
      this.onChange(state, 'started')
    }
    const local = r.id.slice(r.client.length + 1)
    this.sockets.get(r.client)?.write(frame({ t: 'granted', id: local }))
  }

  private releaseUpstream(id: string): void {
    const lease = this.upstreamLeases.get(id)
    if (!lease) return
    this.upstreamLeases.delete(id)
    void lease.then(l => l?.release())
  }
}

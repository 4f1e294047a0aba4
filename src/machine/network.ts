/**
 * A network of machines: one virtual switch (`vde_switch`) per network, the machines of
 * one test plugged into it by their NICs, each NIC's outgoing frames captured by QEMU
 * (`filter-dump`) and merged into one pcap per network when the test ends.
 * @module
 */
import { readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { NetworkError } from '../errors/errors.js'
import { mergePcaps, readPcap, type Pcap } from '../net/pcap.js'
import { mergePcapFiles } from '../net/pcap-files.js'
import { VdeSwitch } from '../qemu/switch.js'
import { trackScratch, untrackScratch } from '../qemu/registry.js'
import type { NetworkRef } from '../spec/spec.js'
import { makeScratchDir } from '../util/scratch.js'
import { createArtifactsDir } from './artifacts.js'
import type { Machine } from './machine.js'

/** The prefix of a network's temporary folder (the switch's sockets). */
export const NETWORK_SCRATCH_PREFIX = 'bootcheck-net-'

/** `network.json` in a network's artifacts folder. */
export interface NetworkFacts {
  /** The network's name. */
  network: string
  /** The test it belonged to. */
  test: string
  /** The test file. */
  file: string
  /** The machines that were on it. */
  machines: Array<{
    /** The machine's name. */
    name: string
    /** Its card's MAC address on this network. */
    mac: string
  }>
  /** The merged capture, and how many frames it holds. */
  capture: string
  /** How many frames the merged capture holds. */
  frames: number
}

/** Names a network may have: they become QEMU device ids (`nic-<name>`). */
export const NETWORK_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/

/**
 * A network made by `network(t, { name })`: machines join it with `nics: [lan]` in their
 * spec. Lives as long as its test; {@link Network.close} (the test's teardown) stops its
 * machines and its switch and writes the capture `<name>.pcap` into its artifacts folder.
 */
export class Network implements NetworkRef {
  private readonly members = new Map<string, Machine | null>()
  private closing: Promise<void> | undefined

  private constructor(
    readonly name: string,
    readonly test: string,
    private readonly file: string,
    readonly socketDir: string,
    /** The artifacts folder: per-NIC captures while it runs, `<name>.pcap` and `network.json` after. */
    readonly captureDir: string,
    private readonly scratch: string,
    private readonly sw: VdeSwitch,
  ) {}

  /** Starts the network's switch. `test` is the test's name path; `file` its test file. */
  static async create(options: { name: string; test: string[]; file: string }): Promise<Network> {
    const { name } = options
    if (!NETWORK_NAME.test(name) || name === 'user') {
      throw new NetworkError(`network: the name ${JSON.stringify(name)} is not allowed: use a letter, then letters, digits, '.', '_' or '-' (at most 32), and not 'user' (QEMU's user network)`)
    }
    const scratch = await makeScratchDir(NETWORK_SCRATCH_PREFIX)
    trackScratch(scratch)
    try {
      const captureDir = await createArtifactsDir({ file: options.file, test: options.test, machine: `network-${name}` })
      const sw = await VdeSwitch.start(join(scratch, 'switch')).catch(e => {
        throw new NetworkError(`network '${name}': ${(e as Error).message}`, { cause: e })
      })
      return new Network(name, options.test.join(' > '), resolve(options.file), sw.socketDir, captureDir, scratch, sw)
    } catch (e) {
      await rm(scratch, { recursive: true, force: true })
      untrackScratch(scratch)
      throw e
    }
  }

  /** True once {@link Network.close} ran: machines can no longer join. */
  get closed(): boolean {
    return this.closing !== undefined
  }

  /** The machines on this network, in the order they joined. */
  get machines(): Machine[] {
    return [...this.members.values()].filter((m): m is Machine => m !== null)
  }

  /** The merged capture, written by {@link Network.close}. */
  get capturePath(): string {
    return join(this.captureDir, `${this.name}.pcap`)
  }

  /**
   * Reserves a machine's place before it starts (its name gives its MAC address and capture
   * file): a {@link NetworkError} when the network is closed, belongs to another test, or
   * has a machine of that name.
   */
  reserve(machine: string, test: string): void {
    if (this.closed) throw new NetworkError(`${machine}: network '${this.name}' was closed when its test (${this.test || 'outside a test'}) ended; make a network in each test`)
    if (test !== this.test) {
      throw new NetworkError(
        `${machine}: network '${this.name}' belongs to test '${this.test || 'outside a test'}', not to '${test || 'outside a test'}': a network lives in the test that made it; make one in this test`,
      )
    }
    if (this.members.has(machine)) throw new NetworkError(`${machine}: network '${this.name}' already has a machine named '${machine}' (names give MAC addresses): name machines apart`)
    this.members.set(machine, null)
  }

  /** Gives back a reservation whose machine did not start. */
  unreserve(machine: string): void {
    if (this.members.get(machine) === null) this.members.delete(machine)
  }

  /** Records a started machine (reserved before). */
  join(machine: Machine): void {
    this.members.set(machine.name, machine)
  }

  /** Pulls `vm`'s cable from this network (QMP `set_link … up: false`): the guest sees no carrier. */
  disconnect(vm: Machine): Promise<void> {
    return vm.setLink(this.name, false)
  }

  /** Plugs `vm`'s cable back in. */
  connect(vm: Machine): Promise<void> {
    return vm.setLink(this.name, true)
  }

  /**
   * What the network carried so far: the machines' captures merged by time (each frame
   * once: a NIC records what its guest sends), read into memory for a test to look at.
   * Frames still being written are left out. (The file written when the network closes is
   * merged a chunk at a time, whatever its size.)
   */
  async capture(): Promise<Pcap> {
    const captures: Pcap[] = []
    for (const name of this.members.keys()) {
      const buf = await readFile(join(this.captureDir, `${name}.pcap`)).catch(() => undefined)
      if (buf && buf.length >= 24) captures.push(readPcap(buf))
    }
    return mergePcaps(captures)
  }

  /**
   * Ends the network: stops its machines (their captures complete), stops the switch,
   * writes `<name>.pcap` and `network.json` into the artifacts folder and removes the
   * per-machine captures. Throws a {@link NetworkError} when no machine joined (a test that
   * made a network it did not use). Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const machines = this.machines
      try {
        await Promise.all(machines.map(m => m.dispose()))
      } finally {
        await this.sw.stop()
        await rm(this.scratch, { recursive: true, force: true })
        untrackScratch(this.scratch)
      }
      if (machines.length === 0) {
        throw new NetworkError(`network '${this.name}' of test '${this.test || 'outside a test'}' was made but no machine joined it: give it to a machine (nics: [${this.name}]) or remove it`)
      }
      // Merged a chunk at a time: a long test's capture need not fit in memory.
      const merged = await mergePcapFiles(
        machines.map(m => join(this.captureDir, `${m.name}.pcap`)),
        this.capturePath,
      )
      for (const m of machines) await unlink(join(this.captureDir, `${m.name}.pcap`)).catch(() => undefined)
      const facts: NetworkFacts = {
        network: this.name,
        test: this.test,
        file: this.file,
        machines: machines.map(m => ({ name: m.name, mac: m.nics.find(n => n.network === this.name)?.mac ?? '' })),
        capture: this.capturePath,
        frames: merged.frames,
      }
      await writeFile(join(this.captureDir, 'network.json'), JSON.stringify(facts, null, 2) + '\n')
    })()
    return this.closing
  }
}

/**
 * `network(t, { name })`: a network for the machines of one test, closed when the test ends.
 * @module
 */
import { NetworkError } from '../errors/errors.js'
import { testPath } from '../machine/artifacts.js'
import { Network } from '../machine/network.js'
import type { TestContext } from './boot.js'

/** Options of {@link network}. */
export interface NetworkOptions {
  /** The network's name: in device ids (`nic-<name>`), MAC addresses, captures and messages. */
  name: string
}

// Networks of each test in this process, by the test's name path.
const byTest = new Map<string, Set<string>>()

/**
 * Makes a network (a virtual Ethernet switch) for the machines of test `t`: give it to
 * machines in their spec, `boot(t, { …, nics: [lan] })`. When the test ends, its machines
 * and switch are stopped and the traffic is written to `<name>.pcap` in the test's
 * artifacts (linked from the HTML report). Throws a {@link NetworkError} for a name used
 * twice in one test, and the test fails when a network it made was joined by no machine.
 *
 * ```ts
 * const lan = await network(t, { name: 'lan' })
 * const server = await boot(t, { name: 'server', cdrom: iso, nics: [lan] })
 * const client = await boot(t, { name: 'client', nics: [lan], bootFrom: 'net' })
 * ```
 */
export async function network(t: TestContext, options: NetworkOptions): Promise<Network> {
  const test = testPath(t)
  const key = test.join(' > ')
  const names = byTest.get(key) ?? new Set<string>()
  if (names.has(options.name)) {
    throw new NetworkError(`network: test '${key || 'outside a test'}' already has a network named '${options.name}'; give each network its own name`)
  }
  const net = await Network.create({ name: options.name, test, file: process.argv[1] ?? 'bootcheck' })
  names.add(options.name)
  byTest.set(key, names)
  t.teardown(async () => {
    names.delete(options.name)
    await net.close()
  })
  return net
}

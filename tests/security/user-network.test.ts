// #26 Low: vm.forwardPort's protocol and host port go into one HMP command line (checked
// before anything is sent, with a QMP stand-in that records commands), and QEMU user
// networking can be restricted so a guest cannot reach the host's 127.0.0.1 services.
import t from 'tap'
import { NetworkError } from '../../src/errors/errors.js'
import { forwardPort } from '../../src/machine/nics.js'
import { launchPlan, type Prepared } from '../../src/machine/plan.js'
import { buildQemuArgv } from '../../src/qemu/argv.js'
import type { QmpClient } from '../../src/qmp/client.js'
import type { MachineSpec } from '../../src/spec/spec.js'

t.test('forwardPort: a protocol or host port carrying HMP text is refused before HMP', async t => {
  const sent: string[] = []
  const qmp = { execute: async (_c: string, a: { 'command-line': string }) => (sent.push(a['command-line']), '') } as unknown as QmpClient
  const nic = { id: 'nic-user', network: 'user', mac: '52:54:00:00:00:01' }
  const bad: Array<Record<string, unknown>> = [
    { guest: 22, protocol: 'tcp:0.0.0.0:2222-:22 ' },
    { guest: 22, host: '2222-:22,tcp:0.0.0.0:80' },
    { guest: 22, host: 0 },
  ]
  for (const o of bad) {
    const r = await forwardPort(qmp, 'vm', nic, o as never).catch((e: Error) => e)
    t.type(r, NetworkError, `refused: ${JSON.stringify(o)}`)
  }
  t.same(sent, [], 'no HMP command was sent')
  t.equal(await forwardPort(qmp, 'vm', nic, { guest: 22, host: 2222 }), 2222, 'a sound forward still goes through')
})

t.test('restrictNetwork: restrict=on on every user-network netdev', async t => {
  const spec = { kernel: '/k', nics: ['user'], restrictNetwork: true } as MachineSpec
  const none: Prepared = { disks: [] }
  const argv = buildQemuArgv(launchPlan(spec, { name: 'vm', accel: 'tcg', workDir: '/w' }, none))
  const netdevs = argv.filter((a, i) => argv[i - 1] === '-netdev')
  t.ok(netdevs.length > 0 && netdevs.every(n => n.includes('restrict=on')), JSON.stringify(netdevs))
})

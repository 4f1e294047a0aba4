// The guests the guest-side integration tests run on, so each feature is checked on both:
//
// - demo: the demo system of vm-configs/ (busybox ash, its own stage 1, the modules it
//   needs loaded at boot); what bootcheck was first built on.
// - debian: a stock Debian live-boot ISO (tests/media/debian-live.ts: bash, systemd,
//   GNU coreutils, iproute2, a stock kernel whose 9p, virtio and nftables parts are
//   modules); what most users boot.
//
// Each guest is booted to its shell once per run (bootOnce) and restored for every test
// that can start from there; tests that cannot (shares, networks) boot `spec` cold.
// BOOTCHECK_GUESTS=demo (or debian) runs one of them only, for a quick local run.
import { bootOnce, type Machine, type MachineSpec, type TestContext } from '../../src/index.js'
import { debianLiveIso } from '../media/debian-live.js'
import { DEMO_SHELL_SPEC } from './demo-shell.js'

/** One guest of the parametrised tests. */
export interface Guest {
  name: 'demo' | 'debian'
  /** Boots it to its shell from cold (no tablet, no NIC). */
  spec: MachineSpec
  /** Memory for a machine of several on a network. */
  memory: string
  /** A machine restored from its snapshot at the shell; with `user`, one with a NIC on QEMU's user network. */
  shell(t: TestContext, name: string, options?: { user?: boolean }): Promise<Machine>
  /** A command that accepts one TCP connection on `port`, sends it its stdin and prints what came (its nc). */
  listen(port: number): string
}

const wanted = (name: Guest['name']): boolean => !process.env.BOOTCHECK_GUESTS || process.env.BOOTCHECK_GUESTS.split(',').includes(name)
const { tablet: _tablet, ...demoSpec } = DEMO_SHELL_SPEC
// 2 GiB: live-boot's toram copies the 130 MB squashfs into RAM beside systemd's.
const debianSpec: MachineSpec = { cdrom: wanted('debian') ? (await debianLiveIso()).iso : 'not-built.iso', memory: '2G' }
const atShell = (vm: Machine): Promise<string> => vm.succeed('true')

const demo: Guest = {
  name: 'demo',
  spec: demoSpec,
  memory: '512M',
  listen: port => `nc -l -p ${port}`,
  shell: (t, name, options = {}) =>
    options.user
      ? bootOnce(t, { name, ...DEMO_SHELL_SPEC, nics: ['user'] }, { key: 'demo-shell-user', until: atShell })
      : bootOnce(t, { name, ...DEMO_SHELL_SPEC }, { key: 'demo-shell', until: atShell }),
}

const debian: Guest = {
  name: 'debian',
  spec: debianSpec,
  memory: '1G',
  listen: port => `nc -N -l ${port}`,
  // One snapshot for both: the user NIC costs the tests that do not use it nothing.
  shell: (t, name) => bootOnce(t, { name, ...debianSpec, nics: ['user'] }, { key: 'debian-shell', until: atShell }),
}

/** The guests to run, both unless BOOTCHECK_GUESTS names some. */
export const guests: Guest[] = [demo, debian].filter(g => wanted(g.name))

import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { bootOnce, type Machine } from 'bootcheck'
import { media } from './demo-media.js'

// Booted once per run (and cached across runs): each test starts from a machine restored
// from the snapshot taken when this returned, in about half a second instead of a boot.
const atShell = (vm: Machine) => vm.succeed('true')
const stateless = {
  cdrom: media.iso,
  disks: [media.persistDisk], // runs on a qcow2 overlay: the image itself is never written
}
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const baseImage = digest(media.persistDisk)

t.test('a reboot wipes everything but the persisted paths', async t => {
  const vm = await bootOnce(t, stateless, { until: atShell })
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^\S+ \/ tmpfs /) // the root is a tmpfs
  await vm.succeed('echo scratch > /root/notes.txt')
  await vm.succeed('echo keep > /var/lib/persisted/state')
  const bootId = await vm.succeed('cat /proc/sys/kernel/random/boot_id')

  await vm.reboot()

  t.not(await vm.succeed('cat /proc/sys/kernel/random/boot_id'), bootId) // a new boot
  await vm.fail('test -e /root/notes.txt')
  t.equal(await vm.succeed('cat /var/lib/persisted/state'), 'keep\n')
})

t.test('persisted paths survive a power cycle of the disk', async t => {
  // The same snapshot again: nothing the first test wrote is here.
  const vm = await bootOnce(t, stateless, { until: atShell })
  await vm.fail('test -e /var/lib/persisted/state')
  await vm.succeed('echo kept > /var/lib/persisted/state; sync')
  await vm.reboot({ how: 'reset' })
  t.equal(await vm.succeed('cat /var/lib/persisted/state'), 'kept\n')
  await vm.fail('test -e /root/notes.txt')
  await vm.powerOff()
  t.equal(digest(media.persistDisk), baseImage) // the base image was never written
})

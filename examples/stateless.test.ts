import t from 'tap'
import { boot } from 'bootcheck'
import { media } from './demo-media.js'

t.test('a reboot wipes everything but the persisted paths', async t => {
  const vm = await boot(t, {
    cdrom: media.iso,
    disks: [media.persistDisk], // runs on a qcow2 overlay: the image itself is never written
  })
  await vm.succeed('echo scratch > /root/notes.txt')
  await vm.succeed('echo keep > /var/lib/persisted/state')

  await vm.reboot()

  await vm.fail('test -e /root/notes.txt')
  t.equal(await vm.succeed('cat /var/lib/persisted/state'), 'keep\n')
})

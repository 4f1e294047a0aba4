import t from 'tap'
import { boot } from 'bootcheck'
import { media } from './demo-media.js'

t.test('netboot image over iPXE: runs from RAM, no disk at all', async t => {
  // bootcheck serves the netboot folder over HTTP; the NIC's iPXE chains to netboot.ipxe.
  const vm = await boot(t, { ipxe: { httpRoot: media.netboot.dir }, memory: '1G' })
  t.match(await vm.succeed('grep " / " /proc/mounts'), /^\S+ \/ tmpfs /) // the root is a tmpfs
  t.equal(await vm.succeed("ls /sys/block | grep -v -e '^loop' -e '^ram' || true"), '') // no block device but loop/RAM
  t.equal(await vm.succeed('hello'), 'Hello, world!\n') // a program from the squashfs in the initrd
  // what the guest fetched over HTTP: the image's script, then the kernel and initrd it names
  const fetched = vm.http!.requests.filter(r => r.status === 200).map(r => r.path)
  t.same(fetched, ['/netboot.ipxe', '/bzImage', '/initrd'])
})

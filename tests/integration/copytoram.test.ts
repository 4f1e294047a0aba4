// copytoram: stage 1 copies the ISO into RAM, so the medium can be removed after boot.
// Each test proves the removal is real (the guest sees no medium) and that the system
// still works; the test without copytoram proves the difference. The ISO's own entry with
// copytoram added, and the USB stick unplugged, are examples/copytoram.test.ts (run by
// cli.test.ts through `bootcheck run examples/`).
import t from 'tap'
import { boot } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
const SQUASHFS = '/iso/nix-store.squashfs'
const sha = (out: string): string => out.split(/\s+/)[0]!
// Page-cache copies would hide a missing medium; drop them before each read.
const fresh = (cmd: string): string => `sync; echo 3 > /proc/sys/vm/drop_caches; ${cmd}`

t.test('copytoram from a CD: eject, the checksum still matches, programs still run', async t => {
  const vm = await boot(t, {
    name: 'cd-copytoram',
    cdrom: media.iso,
    kernel: media.kernel,
    initrd: media.initrd,
    kernelParams: params(media, 'copytoram'),
    memory: '1G',
  })
  await vm.console.waitFor('stage-1: copied ISO to RAM')
  await vm.console.waitFor(/# $/)
  const before = sha(await vm.succeed(`sha256sum ${SQUASHFS}`))
  t.equal(before, media.squashfsSha256, 'the guest reads the same squashfs the host built')
  await vm.succeed('dd if=/dev/sr0 of=/dev/null bs=2048 count=1', { timeout: 30_000 })

  await vm.eject('cdrom')
  t.match(await vm.fail('dd if=/dev/sr0 of=/dev/null bs=2048 count=1'), /No medium found|medium/i, 'the guest sees no medium')
  t.equal(sha(await vm.succeed(fresh(`sha256sum ${SQUASHFS}`))), before, 'checksum unchanged after eject')
  t.equal(await vm.succeed('hello'), 'Hello, world!\n', 'a program from the squashfs still runs')
})

t.test('without copytoram, reading the squashfs fails once the CD is gone', async t => {
  // A real BIOS boot from the CD (isolinux, default entry): nothing is copied to RAM.
  const vm = await boot(t, { name: 'cd-plain', cdrom: media.iso, memory: '1G' })
  await vm.console.waitFor(/# $/)
  t.notMatch(await vm.succeed('cat /proc/cmdline'), /copytoram/)
  t.match(await vm.succeed("awk '$2 == \"/iso\" {print $1, $3}' /proc/mounts"), /^\/dev\/sr0 iso9660/, '/iso is the CD itself')
  // The squashfs has not been read in full yet, so most of it is not in the page cache.
  // (Dropping caches instead would also evict the guest's own tools, which live in the
  // same store: without copytoram the whole system depends on the medium.)
  await vm.eject('cdrom')
  const r = await vm.run(`sha256sum ${SQUASHFS}`)
  t.not(r.status, 0, 'sha256sum fails without the medium')
  t.match(r.stderr, /error|No medium/i, `stderr says why: ${r.stderr.trim()}`)
})

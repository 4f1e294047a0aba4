// The boards' SD image pieces that are pure: the MBR and extlinux.conf.
import t from 'tap'
import { extlinuxConf, mbr, SD_LAYOUT, SD_ROOT_LABEL } from '../../../../../vm-configs/debian/boards/sd-image.js'

t.test('MBR: two primary partitions, the root bootable (what distro boot scans), the signature', async t => {
  const b = mbr([
    { bootable: false, type: 0x0c, startSector: 2048, sectors: 32768 },
    { bootable: true, type: 0x83, startSector: 34816, sectors: 227328 },
  ])
  t.equal(b.length, 512)
  t.same([b[510], b[511]], [0x55, 0xaa])
  t.same([b[446], b[446 + 4], b.readUInt32LE(446 + 8), b.readUInt32LE(446 + 12)], [0, 0x0c, 2048, 32768])
  t.same([b[462], b[462 + 4], b.readUInt32LE(462 + 8), b.readUInt32LE(462 + 12)], [0x80, 0x83, 34816, 227328])
  t.equal(b.readUInt32LE(478 + 12), 0, 'no third partition')
  t.equal(SD_LAYOUT.root.startMiB + SD_LAYOUT.root.sizeMiB, SD_LAYOUT.totalMiB, 'the root fills the card')
  t.equal(SD_LAYOUT.totalMiB & (SD_LAYOUT.totalMiB - 1), 0, "a power of two, as QEMU's sd-card wants")
})

t.test('extlinux.conf: the kernel and initrd in /boot, root by label', async t => {
  const c = extlinuxConf('Image', ['console=ttyAMA0'])
  t.match(c, /^default board$/m)
  t.match(c, /^ {2}linux \/boot\/Image$/m)
  t.match(c, /^ {2}initrd \/boot\/initrd$/m)
  t.match(c, new RegExp(`^  append console=ttyAMA0 root=LABEL=${SD_ROOT_LABEL} rootwait$`, 'm'))
})

t.test("the board ISO's GRUB menu: live, then live-copytoram, both marked bootcheck.live", async t => {
  const { boardGrubCfg } = await import('../../../../../vm-configs/debian/boards/iso.js')
  const c = boardGrubCfg('Image', ['console=ttyAMA0'])
  t.match(c, /^set default=live$/m)
  t.match(c, /menuentry 'live' --id live \{\n {2}linux \/boot\/Image console=ttyAMA0 bootcheck\.live\n {2}initrd \/boot\/initrd\n\}/)
  t.match(c, /menuentry 'live-copytoram' --id live-copytoram \{\n {2}linux \/boot\/Image console=ttyAMA0 bootcheck\.live copytoram\n/)
  t.ok(c.indexOf("'live'") < c.indexOf("'live-copytoram'"), 'copytoram is the second entry (one Down at the menu)')
})

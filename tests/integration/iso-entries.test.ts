// The demo ISO's own boot menus: isolinux.cfg and grub.cfg both offer `live` (default)
// and `live-copytoram`; extracting the default entry gives back exactly the kernel,
// initrd and command line the media builder put on the ISO.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoMedia } from '../../vm-configs/demo.js'
import { extractBootFiles, findBootEntries } from '../../src/media/bootconfig.js'
import { IsoImage } from '../../src/media/iso9660.js'
import { MediumError } from '../../src/errors/errors.js'

const media = await demoMedia()

t.test('the ISO reader sees the demo ISO', async t => {
  const iso = await IsoImage.open(media.iso)
  t.teardown(() => iso.close())
  t.equal(iso.volumeId, 'BOOTCHECK_LIVE')
  t.equal(iso.names, 'rockridge')
  t.ok(readFileSync(media.kernel).equals(await iso.readFile('/boot/bzImage')), 'bzImage on the ISO = media.kernel')
  t.same(
    (await iso.list('/isolinux')).map(e => e.name).sort(),
    ['boot.cat', 'isolinux.bin', 'isolinux.cfg', 'ldlinux.c32'],
  )
})

t.test('findBootEntries: both entries from both configs', async t => {
  const iso = await IsoImage.open(media.iso)
  t.teardown(() => iso.close())
  const entries = await findBootEntries(iso)
  for (const source of ['/isolinux/isolinux.cfg', '/boot/grub/grub.cfg']) {
    const es = entries.filter(e => e.source === source)
    t.same(es.map(e => e.label), ['live', 'live-copytoram'], `${source}: both entries`)
    t.same(es.map(e => e.isDefault), [true, false], `${source}: live is the default`)
    t.same(es.map(e => e.kernel), ['/boot/bzImage', '/boot/bzImage'])
    t.same(es.map(e => e.initrds), [['/boot/initrd'], ['/boot/initrd']])
    t.same(es[0]?.params, media.kernelParams, `${source}: default command line = media.kernelParams`)
    t.same(es[1]?.params, [...media.kernelParams, 'copytoram'], `${source}: copytoram entry adds copytoram`)
  }
  t.equal(entries.length, 4, 'nothing else')
})

t.test('extractBootFiles: the default entry gives back the media kernel, initrd and params', async t => {
  const dest = t.testdir()
  const got = await extractBootFiles(media.iso, dest)
  t.equal(got.entry.label, 'live')
  t.equal(got.entry.source, '/isolinux/isolinux.cfg')
  t.equal(got.kernel, join(dest, 'kernel'))
  t.ok(readFileSync(got.kernel).equals(readFileSync(media.kernel)), 'kernel byte-identical to media.kernel')
  t.ok(got.initrd && readFileSync(got.initrd).equals(readFileSync(media.initrd)), 'initrd byte-identical to media.initrd')
  t.same(got.params, media.kernelParams)

  const cp = await extractBootFiles(media.iso, join(dest, 'cp'), { entry: 'live-copytoram' })
  t.same(cp.params, [...media.kernelParams, 'copytoram'])
  t.ok(readFileSync(cp.kernel).equals(readFileSync(media.kernel)))

  const grub = await extractBootFiles(media.iso, join(dest, 'grub'), { entry: e => e.source.includes('grub') && e.isDefault })
  t.equal(grub.entry.label, 'live')
  t.same(grub.params, media.kernelParams, 'GRUB default gives the same command line')

  await extractBootFiles(media.iso, join(dest, 'x'), { entry: 'rescue' }).then(
    () => t.fail('should fail'),
    (e: Error) => {
      t.type(e, MediumError)
      t.match(e.message, /is named 'rescue'; available: live, live-copytoram\./)
    },
  )
})

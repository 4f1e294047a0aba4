// #26 item 6: a disk image downloaded from elsewhere may be a qcow2 whose backing file is
// any host file (the guest would read it through the disk). Such images are refused unless
// the spec allows backing files, and the spec may name the format instead of trusting the
// image's header. qemu-img only; no QEMU boots.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MediumError } from '../../src/errors/errors.js'
import { inspectImage } from '../../src/media/image.js'
import { createOverlay } from '../../src/media/overlay.js'

t.test('a qcow2 backed by a host file is refused; allowed when the spec says so', async t => {
  const dir = t.testdir()
  const secret = join(dir, 'host-secret')
  writeFileSync(secret, Buffer.alloc(1 << 20, 'S'))
  const image = join(dir, 'download.qcow2')
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', secret, image])
  const r = await createOverlay(image, join(dir, 'overlay.qcow2'), 'disk image').catch((e: Error) => e)
  t.type(r, MediumError, 'refused')
  t.match(String((r as Error).message), /backed by/)
  const ok = await createOverlay(image, join(dir, 'overlay2.qcow2'), 'disk image', 'qemu-img', { allowBacking: true })
  t.equal(ok, join(dir, 'overlay2.qcow2'), 'allowBacking: true lets it through')
})

t.test('the spec can name the format: a file with a qcow2 header read as raw', async t => {
  const dir = t.testdir()
  const image = join(dir, 'looks-like.qcow2')
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '1M'])
  const info = await inspectImage(image, 'disk image', 'qemu-img', { format: 'raw' })
  t.equal(info.format, 'raw')
})

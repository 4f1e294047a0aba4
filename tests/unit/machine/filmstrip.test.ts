// The filmstrip without QEMU: which frames are kept (bounded by count and bytes, the first
// kept, identical screens once), the half-size frames, and the recorder driven by a fake
// screen: frames only on change, each with the console's last lines, written on request.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { FilmstripRecorder, filmstripMode, type FilmstripIndex } from '../../../src/machine/filmstrip.js'
import { blankImage, fillRect } from '../../../src/screens/draw.js'
import { FilmFrames, halfSize, type FilmFrame } from '../../../src/screens/filmstrip-frames.js'
import { decodePng, type Image } from '../../../src/screens/image.js'

/** The PPM bytes QEMU's screendump would write for `img`. */
const ppm = (img: Image): Buffer => {
  const px = Buffer.alloc(img.width * img.height * 3)
  for (let i = 0; i < img.width * img.height; i++) img.data.copy(px, i * 3, i * 4, i * 4 + 3)
  return Buffer.concat([Buffer.from(`P6\n${img.width} ${img.height}\n255\n`), px])
}

const frame = (offsetMs: number, bytes = 10): FilmFrame => ({ offsetMs, at: new Date(offsetMs).toISOString(), png: Buffer.alloc(bytes), console: [] })

t.test('frames: the first and the latest, within maxFrames and maxBytes', async t => {
  const f = new FilmFrames({ maxFrames: 4, maxBytes: 1000 })
  for (let i = 0; i < 10; i++) f.add(frame(i * 1000))
  t.same(f.frames().map(x => x.offsetMs), [0, 7000, 8000, 9000], 'the first frame and the last three')
  t.equal(f.dropped, 6)
  t.equal(f.size, 40)
  const b = new FilmFrames({ maxFrames: 100, maxBytes: 250 })
  for (let i = 0; i < 10; i++) b.add(frame(i, 100))
  t.same(b.frames().map(x => x.offsetMs), [0, 9], 'bytes bound: the first and the newest')
  t.ok(b.size <= 250 || b.frames().length === 2)
  t.throws(() => new FilmFrames({ maxFrames: 1, maxBytes: 10 }), RangeError)
})

t.test('halfSize averages 2x2 blocks', async t => {
  const img = blankImage(4, 2, [0, 0, 0])
  fillRect(img, { x: 0, y: 0, width: 1, height: 1 }, [200, 100, 40])
  const h = halfSize(img)
  t.same([h.width, h.height], [2, 1])
  t.same([...h.data.subarray(0, 8)], [50, 25, 10, 255, 0, 0, 0, 255])
  t.same([...halfSize(blankImage(1, 1, [9, 9, 9])).data], [9, 9, 9, 255], 'a 1x1 screen stays 1x1')
})

t.test('the recorder keeps a frame only when the screen changed, with the console lines of that moment', async t => {
  const screens = [blankImage(8, 8, [0, 0, 0]), blankImage(8, 8, [0, 0, 0]), blankImage(8, 8, [255, 255, 255]), blankImage(8, 8, [255, 255, 255])]
  let i = 0
  let consoleNow = ['boot: ']
  const rec = new FilmstripRecorder(async () => ppm(screens[Math.min(i++, screens.length - 1)]!), n => consoleNow.slice(-n))
  await rec.takeFrame()
  consoleNow = ['boot: ', 'Loading linux']
  await rec.takeFrame()
  await rec.takeFrame()
  await rec.takeFrame()
  t.equal(rec.captures, 4)
  t.same(rec.kept().map(f => f.console), [['boot: '], ['boot: ', 'Loading linux']], 'two frames: the first screen and the change')
  t.same(decodePng(rec.kept()[1]!.png).width, 4, 'frames are half size')
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-film-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const index = await rec.write(dir)
  const written = JSON.parse(await readFile(index!, 'utf8')) as FilmstripIndex
  t.equal(written.frames.length, 2)
  t.ok(written.frames.every(f => existsSync(f.file)), 'the PNGs are written')
  t.equal(await new FilmstripRecorder(async () => ppm(screens[0]!), () => []).write(dir + '/none'), undefined, 'no frames, nothing written')
})

t.test('a capture that is not a PPM is skipped', async t => {
  const rec = new FilmstripRecorder(async () => Buffer.from('not a screen'), () => [])
  await rec.takeFrame()
  t.equal(rec.captures, 1)
  t.same(rec.kept(), [])
})

t.test('the recorder polls on its own, skips a failing capture, and stops', async t => {
  let n = 0
  const rec = new FilmstripRecorder(
    async () => {
      n++
      if (n === 2) throw new Error('QEMU busy')
      return ppm(blankImage(4, 4, [n, 0, 0]))
    },
    () => [],
    { intervalMs: 20 },
  ).start()
  await new Promise(r => setTimeout(r, 200))
  await rec.stop()
  const after = n
  await new Promise(r => setTimeout(r, 60))
  t.equal(n, after, 'no capture after stop')
  t.ok(rec.kept().length >= 3, `frames kept (${rec.kept().length}), the failed capture skipped`)
})

t.test('BOOTCHECK_FILMSTRIP: failed by default, all, off', async t => {
  t.equal(filmstripMode({}), 'failed')
  t.equal(filmstripMode({ BOOTCHECK_FILMSTRIP: 'all' }), 'all')
  t.equal(filmstripMode({ BOOTCHECK_FILMSTRIP: 'off' }), 'off')
  t.equal(filmstripMode({ BOOTCHECK_FILMSTRIP: 'sometimes' }), 'failed')
})

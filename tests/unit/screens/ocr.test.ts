// Screens as text without QEMU: Tesseract's TSV parsed into lines and boxes, patterns
// found in them, the image prepared for OCR, and (with Debian's tesseract, which
// scripts/setup.sh installs) a real pass over a recorded installer screen: reuse of an
// unchanged screen and a failing wait that lists what it read. What OCR reads on more
// recorded screens is screens-ocr-accuracy.test.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { OcrError, SpecError, TextNotFoundError } from '../../../src/errors/errors.js'
import { blankImage, fillRect } from '../../../src/screens/draw.js'
import { readPng } from '../../../src/screens/image.js'
import { findText } from '../../../src/screens/ocr-match.js'
import { contrastWithBackground } from '../../../src/screens/ocr-background.js'
import { eraseRules, INK } from '../../../src/screens/ocr-rules.js'
import { findTextBlocks, mergeOverlapping } from '../../../src/screens/ocr-blocks.js'
import { prepareForOcr, splitPages, type OcrPage } from '../../../src/screens/ocr-prep.js'
import { encodeTiff } from '../../../src/screens/tiff.js'
import { parseTesseractTsv } from '../../../src/screens/ocr-tsv.js'
import { OcrCache, recognize } from '../../../src/screens/ocr.js'
import { ScreenReader, waitForText } from '../../../src/screens/text.js'

const fixture = (name: string): string => new URL(`../fixtures/ocr/${name}`, import.meta.url).pathname
const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext'
const word = (block: number, line: number, n: number, x: number, y: number, w: number, h: number, text: string, conf = 95): string =>
  `5\t1\t${block}\t1\t${line}\t${n}\t${x}\t${y}\t${w}\t${h}\t${conf}\t${text}`

t.test('recorded TSV of the pxelinux menu (read at scale 2): lines, words and boxes in screen pixels', async t => {
  const screen = parseTesseractTsv(await readFile(fixture('d-i-pxelinux-menu.tsv'), 'utf8'), { scale: 2, x: 0, y: 0 })
  const title = screen.lines.find(l => l.text === 'Debian GNU/Linux installer menu (BIOS mode)')
  t.ok(title, 'the title is one line')
  t.same(title!.box, { x: 144, y: 154, width: 342, height: 10 }, 'its box, halved back to screen pixels')
  t.equal(title!.words.length, 6)
  t.same(title!.words[0], { text: 'Debian', box: { x: 144, y: 154, width: 47, height: 10 }, confidence: 96.38903 })
  t.ok(screen.lines.some(l => l.text === 'Install with speech synthesis'))
  t.equal(screen.text.split('\n').length, screen.lines.length)
  const ys = screen.lines.map(l => l.box.y)
  t.ok(ys.every((y, i) => i === 0 || y >= ys[i - 1]! - 10), 'lines top to bottom')
  t.same(screen.words, screen.lines.flatMap(l => l.words))
})

t.test('TSV: blank words skipped, lines grouped by block/paragraph/line, a region offset applied', async t => {
  const tsv = [HEADER, '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t', word(2, 1, 1, 10, 50, 20, 10, 'Go'), word(2, 1, 2, 40, 50, 30, 10, 'Back'), word(1, 1, 1, 10, 10, 40, 10, 'Title'), word(1, 1, 2, 60, 10, 5, 10, '  ')].join('\n') + '\n'
  const s = parseTesseractTsv(tsv, { scale: 1, x: 100, y: 200 })
  t.same(s.lines.map(l => l.text), ['Title', 'Go Back'], 'sorted top to bottom; the blank word dropped')
  t.same(s.lines[1]!.box, { x: 110, y: 250, width: 60, height: 10 })
  t.equal(s.text, 'Title\nGo Back')
  t.same(parseTesseractTsv(HEADER + '\n').lines, [], 'no words, no lines')
  t.throws(() => parseTesseractTsv('Debian GNU/Linux\n'), OcrError)
  t.throws(() => parseTesseractTsv('level\tpage_num\tblock\n'), /column 3 is 'block', expected 'block_num'/)
})

t.test('findText: first matching line, the words the match covers, their centre', async t => {
  const tsv = [HEADER, word(1, 1, 1, 0, 0, 60, 10, 'Select'), word(1, 1, 2, 70, 0, 10, 10, 'a'), word(1, 1, 3, 90, 0, 80, 10, 'language'), word(2, 1, 1, 0, 100, 50, 10, 'French'), word(2, 1, 2, 60, 100, 10, 10, '-'), word(2, 1, 3, 80, 100, 70, 10, 'Français'), word(3, 1, 1, 500, 300, 80, 20, 'Continue')].join('\n')
  const s = parseTesseractTsv(tsv)
  const m = findText(s, /^French/)!
  t.equal(m.text, 'French')
  t.equal(m.line, 'French - Français')
  t.same(m.words.map(w => w.text), ['French'])
  t.same(m.center, { x: 25, y: 105 })
  t.same(findText(s, 'a lang')!.words.map(w => w.text), ['a', 'language'], 'a substring across two words covers both')
  t.same(findText(s, /guag/g)!.words.map(w => w.text), ['language'], 'inside a word: that word; the g flag is ignored')
  t.same(findText(s, /continue/i)!.center, { x: 540, y: 310 })
  t.equal(findText(s, /Partition/), undefined)
  t.equal(findText(s, /French/g)!.text, 'French', 'the same global pattern twice finds it twice (no lastIndex)')
})

t.test('prepareForOcr: text dark on white whatever its colours, cut into blocks, mapped back to the screen', async t => {
  const dark = blankImage(200, 100, [0, 0, 40])
  fillRect(dark, { x: 20, y: 20, width: 3, height: 10 }, [255, 255, 255]) // a light stroke
  fillRect(dark, { x: 150, y: 70, width: 3, height: 10 }, [255, 255, 255]) // another, far away
  const p = prepareForOcr(dark, { scale: 1 })
  t.equal(p.pages.length, 2, 'two blocks of ink, two pages')
  const [first, second] = p.pages
  const at = (page: NonNullable<typeof first>, x: number, y: number): number => page.image.data[(y - page.map.y) * page.image.width + (x - page.map.x)]!
  t.equal(at(first!, 21, 25), 0, 'the light stroke is black')
  t.equal(at(first!, 30, 25), 255, 'the dark ground is white')
  t.ok(first!.map.x <= 20 && first!.map.y <= 20 && first!.map.x + first!.image.width >= 23, 'the page holds its stroke with a margin')
  t.ok(second!.map.x > 100, 'the second page is the far stroke')
  t.ok(first!.image.width * first!.image.height + second!.image.width * second!.image.height < 200 * 100 / 2, 'the empty screen is not read')
  const light = blankImage(200, 100, [250, 250, 250])
  fillRect(light, { x: 20, y: 20, width: 3, height: 10 }, [0, 0, 0])
  const r = prepareForOcr(light, { region: { x: 10, y: 10, width: 40, height: 30 }, scale: 2 })
  t.equal(r.pages.length, 1)
  t.same(r.pages[0]!.map.scale, 2)
  t.ok(r.pages[0]!.map.x >= 10 && r.pages[0]!.map.y >= 10, 'mapped from the region into the screen')
  t.equal(r.pages[0]!.image.width % 2, 0, 'scaled twice')
  t.same(prepareForOcr(blankImage(50, 50, [30, 30, 30])).pages, [], 'a blank screen: nothing to read')
  const plain = prepareForOcr(light, { invert: false, scale: 1 })
  t.equal(plain.pages.length, 1, 'invert: false reads the whole image as it is')
  t.equal(plain.pages[0]!.image.data[25 * 200 + 21], 0)
  t.equal(prepareForOcr(light, { invert: true, scale: 1 }).pages[0]!.image.data[25 * 200 + 21], 255, 'invert: true inverts it')
  t.throws(() => prepareForOcr(light, { region: { x: 190, y: 0, width: 20, height: 5 } }), SpecError)
  t.throws(() => prepareForOcr(light, { region: { x: 190, y: 0, width: 20, height: 5 } }), /region 20x5 at \(190,0\) does not lie inside the 200x100 screen/)
  t.throws(() => prepareForOcr(light, { scale: 8 }), /OCR scale must be a number from 1 to 4, got 8/)
})

t.test('contrastWithBackground: a highlighted row reads like the page, up to the very end of its bar', async t => {
  const w = 300
  const h = 60
  const gray = new Uint8Array(w * h).fill(235)
  for (let y = 20; y < 40; y++) for (let x = 10; x < w; x++) gray[y * w + x] = 60 // the bar, from x = 10
  // Light letters on the bar from 2 px after its end, with the page's own level: a polarity
  // decided in a window would see mostly page there and keep them light.
  for (let x = 12; x < 200; x += 6) for (let y = 24; y < 36; y++) gray[y * w + x] = 235
  for (let x = 12; x < 200; x += 6) for (let y = 3; y < 15; y++) gray[y * w + x] = 0 // dark letters above
  contrastWithBackground(gray, w, h)
  t.equal(gray[30 * w + 12], 0, 'the first stroke on the bar, 2 px from its end, is black')
  t.equal(gray[30 * w + 102], 0, 'a stroke in the middle of the bar is black')
  t.equal(gray[30 * w + 11], 255, 'the bar between its end and the first stroke is white')
  t.equal(gray[30 * w + 250], 255, 'the bar is white')
  t.equal(gray[8 * w + 12], 0, 'a dark letter on the page stays black')
  t.equal(gray[8 * w + 15], 255, 'the page is white')
  t.equal(gray[19 * w + 100], 255, 'no rule is left along the bar\'s edge')
  // A texture with no plain region at all (a 1-pixel checkerboard of 100 and 140): the
  // background is the most common level around each pixel, and a light stroke on it is ink.
  const tw = 60
  const texture = new Uint8Array(tw * 20).map((_, i) => ((i % tw) + Math.floor(i / tw)) % 2 ? 140 : 100)
  for (let y = 5; y < 15; y++) texture[y * tw + 30] = 255
  contrastWithBackground(texture, tw, 20)
  t.ok(texture[10 * tw + 30]! < 60, `the stroke on the texture is dark (${texture[10 * tw + 30]})`)
  t.ok(texture[10 * tw + 10]! > 150 && texture[10 * tw + 11]! > 150, 'the texture is light')
})

t.test('eraseRules: frame lines, a dotted focus rectangle and underlines go, letters stay', async t => {
  const w = 200
  const h = 80
  const gray = new Uint8Array(w * h).fill(255)
  for (let x = 5; x < 195; x++) gray[5 * w + x] = 0 // a frame's top
  for (let y = 5; y < 75; y++) gray[y * w + 5] = 0 // its side
  for (let x = 20; x < 180; x += 2) gray[20 * w + x] = 0 // a dotted line
  for (let x = 20; x < 120; x += 8) for (let y = 40; y < 52; y++) for (let d = 0; d < 2; d++) gray[y * w + x + d] = 0 // letters' stems
  for (let x = 20; x < 120; x++) gray[60 * w + x] = 0 // an underline below them
  eraseRules(gray, w, h)
  t.equal(gray[5 * w + 100], 255, 'the frame\'s top is gone')
  t.equal(gray[50 * w + 5], 255, 'its side is gone')
  t.equal(gray[20 * w + 100], 255, 'the dotted line is gone')
  t.equal(gray[60 * w + 50], 255, 'the underline is gone')
  t.equal(gray[45 * w + 20], 0, 'the stems stay')
  t.equal(gray[45 * w + 100], 0)
})

t.test('findTextBlocks: words of a line together, far columns apart, blank nothing', async t => {
  const w = 400
  const h = 100
  const gray = new Uint8Array(w * h).fill(255)
  const word = (x: number, y: number, n: number): void => {
    for (let k = 0; k < n; k++) for (let yy = y; yy < y + 10; yy++) gray[yy * w + x + k * 7] = 0
  }
  word(10, 10, 5) // "Hello" ...
  word(52, 10, 5) // ... "world", one space away
  word(300, 10, 4) // a column far to the right
  word(10, 60, 3)
  const blocks = findTextBlocks(gray, w, h, INK)
  t.equal(blocks.length, 3, JSON.stringify(blocks))
  t.ok(blocks[0]!.x <= 10 && blocks[0]!.x + blocks[0]!.width > 52 + 28, 'one space apart: one block')
  t.ok(blocks[1]!.x >= 280, 'a column 200 px away: its own block')
  t.ok(blocks[2]!.y > 40, 'top to bottom')
  t.same(findTextBlocks(new Uint8Array(w * h).fill(255), w, h, INK), [])
  t.same(mergeOverlapping([{ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 5, width: 10, height: 10 }, { x: 50, y: 0, width: 5, height: 5 }]), [{ x: 0, y: 0, width: 15, height: 15 }, { x: 50, y: 0, width: 5, height: 5 }])
})

t.test('encodeTiff: a baseline grey TIFF with one directory per page, chained', async t => {
  const a = { width: 3, height: 2, data: Uint8Array.from([0, 1, 2, 3, 4, 5]) }
  const b = { width: 1, height: 1, data: Uint8Array.from([9]) }
  const tif = encodeTiff([a, b])
  t.equal(tif.toString('latin1', 0, 2), 'II')
  t.equal(tif.readUInt16LE(2), 42)
  const ifd = tif.readUInt32LE(4)
  t.equal(tif.readUInt16LE(ifd), 9, 'nine tags')
  const tag = (dir: number, n: number): [number, number] => [tif.readUInt16LE(dir + 2 + n * 12), tif.readUInt32LE(dir + 2 + n * 12 + 8)]
  t.same(tag(ifd, 0), [256, 3], 'width')
  t.same(tag(ifd, 1), [257, 2], 'height')
  const strip = tag(ifd, 5)[1]
  t.same([...tif.subarray(strip, strip + 6)], [0, 1, 2, 3, 4, 5], 'the pixels, row by row')
  const next = tif.readUInt32LE(ifd + 2 + 9 * 12)
  t.ok(next > 0, 'the first page points at the second')
  t.equal(tif[tag(next, 5)[1]], 9)
  t.equal(tif.readUInt32LE(next + 2 + 9 * 12), 0, 'the last page ends the chain')
  t.throws(() => encodeTiff([]), RangeError)
  t.throws(() => encodeTiff([{ width: 2, height: 2, data: new Uint8Array(3) }]), /a 2x2 page needs 4 bytes, got 3/)
})

t.test('splitPages: small passes in one process, large ones shared out evenly, each in screen order', async t => {
  const page = (n: number, pixels: number): OcrPage => ({ image: { width: pixels, height: 1, data: new Uint8Array(pixels) }, map: { scale: 1, x: n, y: 0 } })
  const small = [page(0, 1000), page(1, 1000)]
  t.same(splitPages(small, 2), [small], 'too small to pay for a second process')
  const large = [page(0, 500_000), page(1, 100_000), page(2, 300_000), page(3, 150_000)]
  const groups = splitPages(large, 2)
  t.equal(groups.length, 2)
  const sums = groups.map(g => g.reduce((s, p) => s + p.image.width, 0))
  t.same(sums.sort(), [500_000, 550_000].sort(), 'about equal pixels')
  for (const g of groups) t.same(g.map(p => p.map.x), [...g.map(p => p.map.x)].sort(), 'in screen order')
  t.same(splitPages(large, 1), [large], 'one process')
  t.same(splitPages([large[0]!], 2), [[large[0]]], 'one page')
})

t.test('TSV of several pages: each page mapped by its own offset; lines on one row joined, columns kept apart', async t => {
  const row = (page: number, line: number, x: number, y: number, w: number, text: string): string => `5\t${page}\t1\t1\t${line}\t1\t${x}\t${y}\t${w}\t20\t90\t${text}`
  const tsv = [HEADER, row(1, 1, 0, 0, 80, 'boot:'), row(2, 1, 0, 0, 60, 'live'), row(3, 1, 0, 0, 60, 'Nederlands')].join('\n')
  const s = parseTesseractTsv(tsv, [
    { scale: 2, x: 0, y: 100 },
    { scale: 2, x: 50, y: 100 }, // 10 px after "boot:" ends: one line
    { scale: 2, x: 300, y: 100 }, // 210 px away: a column of its own
  ])
  t.same(s.lines.map(l => l.text), ['boot: live', 'Nederlands'])
  t.same(s.lines[0]!.box, { x: 0, y: 100, width: 80, height: 10 })
  t.same(s.lines[1]!.words[0]!.box, { x: 300, y: 100, width: 30, height: 10 })
  t.throws(() => parseTesseractTsv(tsv, [{ scale: 1, x: 0, y: 0 }, { scale: 1, x: 0, y: 0 }]), /TSV has page 3, but 2 pages were read/)
})

const tesseract = existsSync('/usr/bin/tesseract') || !!process.env.BOOTCHECK_TESSERACT

t.test('a real pass over the recorded installer language page; an unchanged screen is not read again', async t => {
  t.ok(tesseract, 'tesseract is installed (scripts/setup.sh: tesseract-ocr, tesseract-ocr-eng, tesseract-ocr-fra)')
  const image = await readPng(fixture('d-i-gtk-language.png'))
  let captures = 0
  const reader = new ScreenReader(async () => {
    captures++
    return image
  })
  const first = await reader.read()
  t.equal(first.reused, false)
  for (const re of [/^Select a language$/, /^French\b/, /^English\b/, /Continue/, /Go Back/]) t.ok(findText(first.text, re), `read ${re}`)
  const french = findText(first.text, /^French/)!
  t.ok(Math.abs(french.center.x - 47) < 15 && Math.abs(french.center.y - 546) < 8, `"French" is where the screen shows it (${JSON.stringify(french.center)})`)
  const again = await reader.read()
  t.equal(again.reused, true, 'the same pixels: no second OCR pass')
  t.equal(reader.passes, 1)
  const region = await reader.read({ region: { x: 1060, y: 755, width: 220, height: 40 } })
  t.equal(region.reused, false, 'other options read again')
  t.match(region.text.text, /Continue/)
  t.ok(region.text.words.every(w => w.box.x >= 1060 && w.box.y >= 755), 'boxes in screen pixels')
  t.equal(captures, 3)
})

t.test('a screen where one line changed: only that line\'s block is read again, and the text is the same as a fresh pass', async t => {
  const before = await readPng(fixture('d-i-pxelinux-menu.png')) // "… started in 13 seconds..."
  const after = await readPng(fixture('d-i-pxelinux-menu-later.png')) // the countdown on
  let n = 0
  const reader = new ScreenReader(async () => (n++ === 0 ? before : after))
  const first = await reader.read()
  const blocks = reader.cache.misses
  t.ok(blocks >= 3, `the menu is ${blocks} blocks`)
  t.equal(reader.cache.hits, 0)
  const second = await reader.read()
  t.equal(second.reused, false, 'the screen changed: a pass ran')
  t.equal(reader.cache.misses, blocks + 1, 'one block read: the countdown line')
  t.equal(reader.cache.hits, blocks - 1, 'the others came from the cache')
  const fresh = await recognize(after)
  t.same(second.text.lines.map(l => l.text), fresh.lines.map(l => l.text), 'the same lines as a pass without the cache')
  t.same(second.text.lines.map(l => l.box), fresh.lines.map(l => l.box), 'at the same places')
  t.not(first.text.lines.find(l => /Press a key/.test(l.text))!.text, second.text.lines.find(l => /Press a key/.test(l.text))!.text, 'the countdown line itself changed')
  const cache = new OcrCache(2)
  cache.set('a', [])
  cache.set('b', [])
  cache.get('a')
  cache.set('c', [])
  t.ok(cache.get('a') && cache.get('c') && !cache.get('b'), 'bounded: the least recently used entry goes')
})

t.test('waitForText fails within its timeout, listing what it read, with the screenshot saved', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-ocr-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const image = await readPng(fixture('d-i-pxelinux-menu.png'))
  const reader = new ScreenReader(async () => image)
  const started = Date.now()
  const err = (await waitForText({ reader, artifactsDir: dir }, /Partition disks/, { timeout: 1500, interval: 200 }).catch(e => e)) as TextNotFoundError
  t.type(err, TextNotFoundError)
  t.equal(err.code, 'BOOTCHECK_TEXT_NOT_FOUND')
  t.match(err.message, /Timed out after 1.5 s waiting for \/Partition disks\/ on the screen\. The last OCR pass read:\n {2}\| .*\n/)
  t.match(err.message, /\| Debian GNU\/Linux installer menu \(BIOS mode\)/)
  t.ok(err.screenshot && existsSync(err.screenshot), 'the screenshot is in the artifacts folder')
  t.equal(err.pattern, '/Partition disks/')
  const took = Date.now() - started
  t.ok(took >= 1500, `not before its timeout (${took} ms), though less than an interval was left after the last pass`)
  t.ok(took < 1500 + 3000, 'within its timeout and one pass')
  t.equal(reader.passes, 1, 'an unchanging screen was read once')
  await t.rejects(waitForText({ reader, artifactsDir: dir }, ''), SpecError)
  const found = await waitForText({ reader, artifactsDir: dir }, 'installer menu')
  t.equal(found.line, 'Debian GNU/Linux installer menu (BIOS mode)')
})

t.test('a missing engine or language is a named OcrError', async t => {
  const image = blankImage(20, 10, [255, 255, 255])
  const saved = process.env.BOOTCHECK_TESSERACT
  process.env.BOOTCHECK_TESSERACT = '/nonexistent/tesseract'
  try {
    await t.rejects(new ScreenReader(async () => image).read(), { name: 'OcrError', message: /'\/nonexistent\/tesseract' is not installed \(apt-get install tesseract-ocr/ })
  } finally {
    if (saved === undefined) delete process.env.BOOTCHECK_TESSERACT
    else process.env.BOOTCHECK_TESSERACT = saved
  }
  await t.rejects(new ScreenReader(async () => image).read({ lang: 'xyz' }), { name: 'OcrError', message: /no data for language 'xyz': apt-get install tesseract-ocr-xyz/ })
  await t.rejects(new ScreenReader(async () => image).read({ lang: 'eng; rm' }), OcrError)
})

t.test('a pass still running at the deadline is ended: the wait fails at its timeout with the last finished pass', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-ocr-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const menu = await readPng(fixture('d-i-pxelinux-menu.png'))
  const page = await readPng(fixture('d-i-gtk-language.png'))
  let n = 0
  const reader = new ScreenReader(async () => (n++ % 2 ? page : menu)) // a screen that changes every pass
  const started = Date.now()
  const err = (await waitForText({ reader, artifactsDir: dir }, /Partition disks/, { timeout: 1200, interval: 10 }).catch(e => e)) as TextNotFoundError
  const took = Date.now() - started
  t.type(err, TextNotFoundError)
  t.ok(reader.passes >= 1, `${reader.passes} passes finished`)
  t.ok(took >= 1200, `not before its timeout (${took} ms)`)
  t.ok(took < 1200 + 700 || (reader.passes === 1 && took < 6000), `failed at its timeout (${took} ms), or after the first pass when that alone was longer`)
  t.ok(err.seen.length > 0, 'lists the last finished pass')
})

// Screens as text without QEMU: Tesseract's TSV parsed into lines and boxes, patterns
// found in them, the image prepared for OCR, and (with Debian's tesseract, which
// scripts/setup.sh installs) a real pass over a recorded installer screen: reuse of an
// unchanged screen and a failing wait that lists what it read.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { OcrError, SpecError, TextNotFoundError } from '../../src/errors/errors.js'
import { blankImage, fillRect } from '../../src/screens/draw.js'
import { readPng } from '../../src/screens/image.js'
import { findText } from '../../src/screens/ocr-match.js'
import { normalizePolarity, prepareForOcr } from '../../src/screens/ocr-prep.js'
import { parseTesseractTsv } from '../../src/screens/ocr-tsv.js'
import { ScreenReader, waitForText } from '../../src/screens/text.js'

const fixture = (name: string): string => new URL(`./fixtures/ocr/${name}`, import.meta.url).pathname
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

t.test('prepareForOcr: grayscale, dark themes inverted, region and scale mapped back', async t => {
  const dark = blankImage(40, 20, [0, 0, 40])
  fillRect(dark, { x: 5, y: 5, width: 3, height: 8 }, [255, 255, 255]) // a light stroke
  const p = prepareForOcr(dark, { scale: 1 })
  t.equal(p.inverted, true)
  const px = (o: typeof p, x: number, y: number, w: number): number => o.pgm[o.pgm.length - o.area.width * o.area.height * o.map.scale ** 2 + y * w + x]!
  t.equal(px(p, 6, 8, 40), 0, 'the light stroke is dark')
  t.ok(px(p, 30, 15, 40) > 200, 'the dark ground is light')
  t.match(p.pgm.subarray(0, 13).toString('latin1'), /^P5\n40 20\n255\n/)
  const light = blankImage(40, 20, [250, 250, 250])
  fillRect(light, { x: 5, y: 5, width: 3, height: 8 }, [0, 0, 0])
  t.equal(prepareForOcr(light, { scale: 1 }).inverted, false, 'dark text on light stays')
  const r = prepareForOcr(light, { region: { x: 10, y: 4, width: 20, height: 10 }, scale: 2 })
  t.same(r.map, { scale: 2, x: 10, y: 4 })
  t.match(r.pgm.subarray(0, 12).toString('latin1'), /^P5\n40 20\n/, 'the region, twice as large')
  t.throws(() => prepareForOcr(light, { region: { x: 30, y: 0, width: 20, height: 5 } }), SpecError)
  t.throws(() => prepareForOcr(light, { region: { x: 30, y: 0, width: 20, height: 5 } }), /region 20x5 at \(30,0\) does not lie inside the 40x20 screen/)
  t.throws(() => prepareForOcr(light, { scale: 8 }), /OCR scale must be a number from 1 to 4, got 8/)
  t.equal(prepareForOcr(dark, { scale: 1, invert: false }).inverted, false, 'invert: false keeps it')
})

t.test('normalizePolarity: a highlighted row (light text on a dark bar) on a light page is inverted there only', async t => {
  const w = 200
  const h = 60
  const gray = new Uint8Array(w * h).fill(235)
  for (let y = 20; y < 40; y++) for (let x = 0; x < w; x++) gray[y * w + x] = 60 // the bar
  for (let x = 20; x < 180; x += 6) for (let y = 25; y < 35; y++) gray[y * w + x] = 255 // its light letters' strokes
  for (let x = 20; x < 180; x += 6) for (let y = 3; y < 13; y++) gray[y * w + x] = 0 // dark letters above
  t.equal(normalizePolarity(gray, w, h), true)
  t.equal(gray[30 * w + 20], 0, 'a stroke on the bar became dark')
  t.ok(gray[30 * w + 23]! > 150, 'the bar between strokes became light')
  t.equal(gray[8 * w + 20], 0, 'a dark letter on the page stays dark')
  t.equal(gray[8 * w + 23], 235, 'the page stays light')
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

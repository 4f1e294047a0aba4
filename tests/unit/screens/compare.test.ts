import t from 'tap'
import pixelmatch from 'pixelmatch'
import { compareImages } from '../../../src/screens/compare.js'
import { blankImage, cloneImage, fillRect, type Rgb } from '../../../src/screens/draw.js'
import type { Image } from '../../../src/screens/image.js'
import type { Rect } from '../../../src/screens/options.js'
import { BootcheckError } from '../../../src/errors/errors.js'

const W = 320
const H = 200
const CLOCK: Rect = { x: 270, y: 2, width: 44, height: 13 }
const DIALOG: Rect = { x: 100, y: 60, width: 120, height: 80 }
/** The dialog plus a few pixels of desktop around it. */
const DIALOG_REGION: Rect = { x: 95, y: 55, width: 130, height: 90 }

/** A fake desktop: top bar with a clock showing `time` (four digit bars), and a dialog. */
function screen(opts: { time?: number; dialog?: { dx: number; dy: number }; bg?: Rgb } = {}): Image {
  const img = blankImage(W, H, opts.bg ?? [30, 60, 110])
  fillRect(img, { x: 0, y: 0, width: W, height: 16 }, [40, 40, 40])
  fillRect(img, { x: 4, y: 4, width: 30, height: 8 }, [200, 200, 200]) // "Activities"
  const time = String(opts.time ?? 1234).padStart(4, '0')
  for (let i = 0; i < 4; i++) {
    const digit = Number(time[i])
    fillRect(img, { x: CLOCK.x + 2 + i * 10, y: CLOCK.y + 1, width: 8, height: 1 + digit }, [255, 255, 255])
  }
  const { dx, dy } = opts.dialog ?? { dx: 0, dy: 0 }
  const d = { ...DIALOG, x: DIALOG.x + dx, y: DIALOG.y + dy }
  fillRect(img, d, [220, 220, 220])
  fillRect(img, { ...d, height: 12 }, [50, 90, 200]) // title bar
  fillRect(img, { x: d.x + 70, y: d.y + 60, width: 40, height: 12 }, [80, 160, 80]) // OK button
  fillRect(img, { x: d.x + 10, y: d.y + 20, width: 60, height: 4 }, [20, 20, 20]) // a line of text
  return img
}

/** Sets `n` pixels in a row starting at (x, y). */
function scribble(img: Image, x: number, y: number, n: number, color: Rgb = [255, 0, 255]): Image {
  return fillRect(img, { x, y, width: n, height: 1 }, color)
}

t.test('identical screens match', async t => {
  const r = compareImages(screen(), screen(), {})
  t.equal(r.match, true)
  t.equal(r.diffPixels, 0)
  t.equal(r.comparedPixels, W * H)
  t.equal(r.ratio, 0)
  t.same(r.offset, { dx: 0, dy: 0 })
  t.equal(r.bbox, undefined)
  t.equal(r.reason, undefined)
  t.equal(r.diff.width, W)
  t.equal(r.diff.height, H)
  t.equal(r.diff.data.length, W * H * 4)
})

t.test('a changed clock fails without its mask and matches with it', async t => {
  const expected = screen({ time: 1234 })
  const actual = screen({ time: 1259 })
  const bare = compareImages(expected, actual, {})
  t.equal(bare.match, false)
  t.ok(bare.diffPixels > 0)
  t.ok(bare.bbox)
  const b = bare.bbox!
  t.ok(b.x >= CLOCK.x && b.y >= CLOCK.y && b.x + b.width <= CLOCK.x + CLOCK.width && b.y + b.height <= CLOCK.y + CLOCK.height, 'bbox lies in the clock')
  t.match(bare.reason, new RegExp(`^[0-9.]+% of pixels differ \\(${bare.diffPixels} of ${W * H}\\) in x=${b.x}\\.\\.${b.x + b.width - 1}, y=${b.y}\\.\\.${b.y + b.height - 1}; allowed: 0$`))

  const masked = compareImages(expected, actual, { mask: [CLOCK] })
  t.equal(masked.match, true)
  t.equal(masked.diffPixels, 0)
  t.equal(masked.comparedPixels, W * H - CLOCK.width * CLOCK.height)
  t.equal(masked.bbox, undefined)

  // A mask elsewhere does not help; masks partly outside the screen are clipped.
  t.equal(compareImages(expected, actual, { mask: [{ x: 0, y: 100, width: 50, height: 50 }] }).match, false)
  const clipped = compareImages(expected, actual, { mask: [{ x: 260, y: 0, width: 100, height: 30 }] })
  t.equal(clipped.match, true)
  t.equal(clipped.comparedPixels, W * H - 60 * 30)
})

t.test('the diff image marks differences red and masked areas blue', async t => {
  const expected = screen({ time: 1234 })
  const actual = scribble(screen({ time: 1259 }), 10, 100, 5)
  const r = compareImages(expected, actual, { mask: [CLOCK] })
  const px = (x: number, y: number): number[] => [...r.diff.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 4)]
  t.same(px(10, 100), [255, 0, 0, 255])
  t.same(px(14, 100), [255, 0, 0, 255])
  const m = px(CLOCK.x + 3, CLOCK.y + 2)
  t.ok(m[2]! > m[0]! + 50, `masked pixel is tinted blue: ${m}`)
  const plain = px(200, 180)
  t.ok(plain[0] === plain[1] && plain[1] === plain[2], 'unchanged pixels are grey')
  t.same(r.bbox, { x: 10, y: 100, width: 5, height: 1 })
  t.equal(r.diffPixels, 5)
})

t.test('a dialog moved by 3 px matches with margin 4 and reports where it was found', async t => {
  const expected = screen()
  const actual = screen({ dialog: { dx: 3, dy: -2 } })
  t.equal(compareImages(expected, actual, {}).match, false, 'whole screens differ')

  const strict = compareImages(expected, actual, { region: DIALOG_REGION })
  t.equal(strict.match, false)
  t.same(strict.offset, { dx: 0, dy: 0 })
  t.match(strict.reason, /pixels differ/)
  t.notMatch(strict.reason, /best position/)

  const found = compareImages(expected, actual, { region: DIALOG_REGION, margin: 4 })
  t.equal(found.match, true)
  t.equal(found.diffPixels, 0)
  t.same(found.offset, { dx: 3, dy: -2 })
  t.equal(found.comparedPixels, DIALOG_REGION.width * DIALOG_REGION.height)
  t.equal(found.diff.width, W, 'the diff is in reference coordinates')

  const short = compareImages(expected, actual, { region: DIALOG_REGION, margin: 2 })
  t.equal(short.match, false)
  t.match(short.reason, /; best position dx=2, dy=-2 \(margin 2\)$/)
  t.same(short.offset, { dx: 2, dy: -2 })

  // Moved and slightly changed: found at the right place, the change counted there.
  scribble(actual, DIALOG.x + 3 + 15, DIALOG.y - 2 + 40, 3)
  const changed = compareImages(expected, actual, { region: DIALOG_REGION, margin: 4 })
  t.same(changed.offset, { dx: 3, dy: -2 })
  t.equal(changed.diffPixels, 3)
  t.same(changed.bbox, { x: DIALOG.x + 15, y: DIALOG.y + 40, width: 3, height: 1 }, 'bbox in reference coordinates')
  t.equal(compareImages(expected, actual, { region: DIALOG_REGION, margin: 4, maxDiffPixels: 3 }).match, true)
})

t.test('margin search prefers the nearest perfect match and respects the screen edge', async t => {
  const expected = screen()
  t.same(compareImages(expected, screen(), { region: DIALOG_REGION, margin: 8 }).offset, { dx: 0, dy: 0 })
  // A region at the corner can only move inwards.
  const corner: Rect = { x: 0, y: 0, width: 40, height: 16 }
  const r = compareImages(expected, screen(), { region: corner, margin: 3 })
  t.equal(r.match, true)
  t.same(r.offset, { dx: 0, dy: 0 })
  // Masks move with the region: a changed clock inside a masked, moved region still matches.
  const top: Rect = { x: 200, y: 0, width: 120, height: 16 }
  const shifted = blankImage(W, H, [30, 60, 110])
  const moved = screen({ time: 9999 })
  // Shift the whole top bar 1 px down into `shifted`.
  moved.data.copy(shifted.data, W * 4, 0, (H - 1) * W * 4)
  const m = compareImages(expected, shifted, { region: top, margin: 2, mask: [CLOCK] })
  t.equal(m.match, true, m.reason ?? 'matched')
  t.same(m.offset, { dx: 0, dy: 1 })
})

t.test('threshold decides which colour changes count', async t => {
  const expected = blankImage(100, 100, [100, 100, 100])
  const actual = fillRect(blankImage(100, 100, [100, 100, 100]), { x: 0, y: 0, width: 10, height: 1 }, [110, 110, 110])
  t.equal(compareImages(expected, actual, {}).match, true, 'default 0.1 ignores a small grey shift')
  t.equal(compareImages(expected, actual, { threshold: 0.1 }).diffPixels, 0)
  t.equal(compareImages(expected, actual, { threshold: 0.03 }).diffPixels, 10)
  t.equal(compareImages(expected, actual, { threshold: 0 }).diffPixels, 10)
  const one = fillRect(blankImage(100, 100, [100, 100, 100]), { x: 5, y: 5, width: 1, height: 1 }, [100, 100, 101])
  t.equal(compareImages(expected, one, { threshold: 0 }).diffPixels, 1, 'threshold 0 sees a one-level change')
  const big = fillRect(blankImage(100, 100, [100, 100, 100]), { x: 0, y: 0, width: 10, height: 1 }, [250, 250, 250])
  t.equal(compareImages(expected, big, { threshold: 0.5 }).diffPixels, 10)
  t.equal(compareImages(expected, big, { threshold: 1 }).diffPixels, 0)
})

t.test('maxDiffPixels and maxDiffPixelRatio: exactly at the limit passes, one over fails', async t => {
  const expected = screen()
  const actual = scribble(screen(), 10, 150, 10)
  const n = (o: object): boolean => compareImages(expected, actual, o).match
  t.equal(n({}), false)
  t.equal(n({ maxDiffPixels: 10 }), true)
  t.equal(n({ maxDiffPixels: 9 }), false)
  const total = W * H
  t.equal(n({ maxDiffPixelRatio: 10 / total }), true)
  t.equal(n({ maxDiffPixelRatio: 9 / total }), false)
  t.equal(n({ maxDiffPixelRatio: 9.99 / total }), false, 'the ratio allowance rounds down')
  t.equal(n({ maxDiffPixels: 100, maxDiffPixelRatio: 9 / total }), false, 'the smaller allowance wins')
  t.equal(n({ maxDiffPixels: 9, maxDiffPixelRatio: 0.5 }), false, 'the smaller allowance wins')
  t.equal(n({ maxDiffPixels: 10, maxDiffPixelRatio: 0.5 }), true)

  // The ratio is of compared pixels: masking shrinks the base.
  const mask = [{ x: 0, y: 100, width: 100, height: 40 }]
  const compared = total - 4000
  t.equal(n({ mask, maxDiffPixelRatio: 10 / compared }), true)
  t.equal(n({ mask, maxDiffPixelRatio: 9 / compared }), false)

  const over = compareImages(expected, actual, { maxDiffPixels: 9 })
  t.equal(over.reason, `0.016% of pixels differ (10 of ${total}) in x=10..19, y=150..150; allowed: 9`)
  t.match(compareImages(expected, actual, { maxDiffPixelRatio: 0.0001 }).reason, /; allowed: 6 \(maxDiffPixelRatio 0\.0001\)$/)
  const pct = compareImages(expected, fillRect(screen(), { x: 0, y: 100, width: 320, height: 100 }, [0, 0, 0]), {})
  t.match(pct.reason, /^[0-9.]+% of pixels differ/)
  t.ok(pct.diffPixels > 0)
})

t.test('different sizes never match without a region', async t => {
  const r = compareImages(screen(), blankImage(300, 200), {})
  t.equal(r.match, false)
  t.equal(r.reason, 'size differs: expected 320x200, got 300x200')
  t.equal(r.diff.width, 320)
  t.equal(r.ratio, 1)
  // With a region, only the region has to fit.
  const bigger = blankImage(400, 300, [30, 60, 110])
  const s = screen()
  for (let y = 0; y < H; y++) s.data.copy(bigger.data, y * 400 * 4, y * W * 4, (y + 1) * W * 4)
  t.equal(compareImages(s, bigger, { region: DIALOG_REGION }).match, true)
  const small = compareImages(s, blankImage(150, 100), { region: DIALOG_REGION, margin: 2 })
  t.equal(small.match, false)
  t.equal(small.reason, 'the region 130x90 at (95,55) does not fit in the 150x100 screen even when moved by up to 2 px')
})

t.test('bad options are errors', async t => {
  t.throws(() => compareImages(screen(), screen(), { region: { x: 300, y: 0, width: 40, height: 10 } }), {
    name: 'BootcheckError',
    message: 'The region 40x10 at (300,0) lies outside the 320x200 reference image',
  })
  t.throws(() => compareImages(screen(), screen(), { threshold: 2 }), { message: 'screen comparison options: threshold must be a number from 0 to 1' })
  t.throws(() => compareImages(screen(), screen(), { margin: -1 }), BootcheckError)
  t.throws(() => compareImages(screen(), { width: 2, height: 2, data: Buffer.alloc(3) }), /Not a valid RGBA image/)
})

t.test('an unaligned buffer works', async t => {
  const s = screen()
  const backing = Buffer.alloc(s.data.length + 1)
  s.data.copy(backing, 1)
  const odd: Image = { width: W, height: H, data: backing.subarray(1) }
  t.equal(compareImages(s, odd, {}).match, true)
  t.equal(compareImages(odd, cloneImage(s), { region: DIALOG_REGION, margin: 2 }).match, true)
})

t.test('pixelmatch on the box around the differences counts as pixelmatch on the whole screen', async t => {
  // Anti-aliased-looking edges (a one-pixel ramp) near the changes exercise pixelmatch's
  // neighbour test, which must see the same neighbours in the box as in the whole screen.
  let seed = 7
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
  for (let round = 0; round < 25; round++) {
    const a = screen({ time: rand(10000) })
    for (let i = 0; i < 30; i++) fillRect(a, { x: rand(W - 8), y: rand(H - 8), width: 1 + rand(8), height: 1 + rand(8) }, [rand(256), rand(256), rand(256)])
    const b = cloneImage(a)
    for (let i = 0, n = 1 + rand(6); i < n; i++) {
      const x = rand(W - 6)
      const y = rand(H - 6)
      fillRect(b, { x, y, width: 1 + rand(5), height: 1 + rand(5) }, [rand(256), rand(256), rand(256)])
      fillRect(b, { x: x + 1, y, width: 1, height: 1 }, [128, 128, 128])
    }
    const threshold = [0, 0.05, 0.1, 0.3][round % 4]!
    const whole = pixelmatch(a.data, b.data, Buffer.alloc(W * H * 4), W, H, { threshold, includeAA: true })
    const r = compareImages(a, b, { threshold, maxDiffPixels: 1_000_000 })
    t.equal(r.diffPixels, whole, `round ${round}: ${whole} differing pixels at threshold ${threshold}`)
  }
})

t.test('identical screens skip pixelmatch and draw their diff only when asked', async t => {
  const r = compareImages(screen(), screen(), { mask: [CLOCK] })
  t.equal(r.diffPixels, 0)
  t.equal(r.bbox, undefined)
  t.equal(r.diff.width, W, 'the diff picture is still there when read')
  t.equal(r.diff, r.diff, 'and drawn once')
  const masked = compareImages(screen({ time: 1 }), screen({ time: 9999 }), { mask: [CLOCK] })
  t.ok(masked.match, 'a change under a mask is no difference')
})

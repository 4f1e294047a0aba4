import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { blankImage, fillRect } from '../../../src/screens/draw.js'
import { readPng } from '../../../src/screens/image.js'
import type { Image } from '../../../src/screens/image.js'
import { checkAgainstReference, referencePath, resolveUpdateMode, writeArtifacts } from '../../../src/screens/references.js'

/** A boot menu with a highlighted entry `selected` (0..2) and a countdown that changes. */
function menu(selected = 0, countdown = 5): Image {
  const img = blankImage(160, 100, [0, 0, 60])
  for (let i = 0; i < 3; i++) fillRect(img, { x: 20, y: 20 + i * 15, width: 120, height: 10 }, i === selected ? [200, 200, 200] : [60, 60, 120])
  fillRect(img, { x: 20, y: 80, width: countdown * 10, height: 5 }, [255, 255, 0])
  return img
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}

t.test('referencePath follows the test file', async t => {
  t.same(referencePath('/src/tests/boot.test.ts', 'menu'), {
    dir: '/src/tests/boot.test.screens',
    png: '/src/tests/boot.test.screens/menu.png',
    sidecar: '/src/tests/boot.test.screens/menu.json',
  })
  t.equal(referencePath('/src/tests/boot.test.js', 'menu.png').png, '/src/tests/boot.test.screens/menu.png')
  t.equal(referencePath('/src/tests/boot.mts', 'a-b_c.1').png, '/src/tests/boot.screens/a-b_c.1.png')
  t.equal(referencePath(pathToFileURL('/src/t/x y.test.ts').href, 'menu').png, '/src/t/x y.test.screens/menu.png', 'file: URLs work')
  for (const bad of ['', '../menu', 'a/b', 'has space', '.hidden']) {
    t.throws(() => referencePath('/t.test.ts', bad), { name: 'BootcheckError', message: /^Invalid screen name/ }, bad)
  }
})

t.test('resolveUpdateMode reads BOOTCHECK_UPDATE_SCREENS', async t => {
  const m = (v?: string): string => resolveUpdateMode(v === undefined ? {} : { BOOTCHECK_UPDATE_SCREENS: v })
  t.equal(m(), 'none')
  t.equal(m(''), 'none')
  t.equal(m('0'), 'none')
  t.equal(m('none'), 'none')
  t.equal(m('missing'), 'missing')
  t.equal(m(' Missing '), 'missing')
  t.equal(m('1'), 'all')
  t.equal(m('all'), 'all')
  t.throws(() => m('yes'), { name: 'BootcheckError', message: 'BOOTCHECK_UPDATE_SCREENS="yes" is not valid: use none (or 0), missing, or all (or 1)' })
})

t.test('writeArtifacts writes only the images given', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-screens-art-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'deep', 'er')
  const files = await writeArtifacts(out, 'menu', { actual: menu(), diff: menu(1) })
  t.same(files, { actual: join(out, 'menu-actual.png'), diff: join(out, 'menu-diff.png') })
  t.same((await readdir(out)).sort(), ['menu-actual.png', 'menu-diff.png'])
  t.same(await readPng(files.actual!), menu())
})

t.test('the reference workflow', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-screens-ref-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const testFile = join(dir, 'boot.test.ts')
  const artifactsDir = join(dir, 'artifacts')
  const ref = referencePath(testFile, 'menu')
  const check = (actual: Image, update: 'none' | 'missing' | 'all' = 'none', options = {}) =>
    checkAgainstReference({ actual, name: 'menu', testFile, artifactsDir, update, options })

  // 1. No reference: fails and saves the actual screen.
  const missing = await check(menu())
  t.equal(missing.status, 'missing')
  t.equal(missing.result, undefined)
  t.equal(missing.files.actual, join(artifactsDir, 'menu-actual.png'))
  t.same(await readPng(missing.files.actual!), menu())
  t.notOk(await exists(ref.png))
  t.match(missing.message, /has no reference .*menu\.png.*BOOTCHECK_UPDATE_SCREENS=missing/)
  await rm(artifactsDir, { recursive: true })

  // 2. Update mode writes it.
  const written = await check(menu(), 'missing')
  t.equal(written.status, 'written')
  t.same(await readPng(ref.png), menu())
  t.notOk(await exists(artifactsDir), 'no artifacts for a written reference')

  // 3. The next run matches.
  const matched = await check(menu())
  t.equal(matched.status, 'matched')
  t.equal(matched.result?.match, true)
  t.same(matched.files, { reference: ref.png })
  t.notOk(await exists(artifactsDir))

  // 4. A different screen: mismatch with expected, actual and diff artifacts.
  const mismatch = await check(menu(2))
  t.equal(mismatch.status, 'mismatch')
  t.equal(mismatch.result?.match, false)
  t.same((await readdir(artifactsDir)).sort(), ['menu-actual.png', 'menu-diff.png', 'menu-expected.png'])
  t.same(await readPng(mismatch.files.expected!), menu())
  t.same(await readPng(mismatch.files.actual!), menu(2))
  const diff = await readPng(mismatch.files.diff!)
  t.equal(diff.width, 160)
  t.match(mismatch.message, /does not match .*menu\.png: [0-9.]+% of pixels differ .*; allowed: 0\. See .*menu-expected\.png, .*menu-actual\.png and .*menu-diff\.png/)
  t.same(await readPng(ref.png), menu(), "'none' leaves the reference alone")
  t.equal((await check(menu(2), 'missing')).status, 'mismatch', "'missing' does not replace existing references")

  // 5. 'all' replaces a reference that no longer matches, and leaves matching ones alone.
  const replaced = await check(menu(2), 'all')
  t.equal(replaced.status, 'written')
  t.match(replaced.message, /Replaced it/)
  t.same(await readPng(ref.png), menu(2))
  const before = (await stat(ref.png)).mtimeMs
  t.equal((await check(menu(2), 'all')).status, 'matched')
  t.equal((await stat(ref.png)).mtimeMs, before)
})

t.test('sidecar options apply and merge with the call', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bootcheck-screens-sidecar-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const testFile = join(dir, 'boot.test.ts')
  const artifactsDir = join(dir, 'artifacts')
  const ref = referencePath(testFile, 'menu')
  const check = (actual: Image, options = {}) => checkAgainstReference({ actual, name: 'menu', testFile, artifactsDir, update: 'none', options })
  await checkAgainstReference({ actual: menu(0, 5), name: 'menu', testFile, artifactsDir, update: 'missing' })

  t.equal((await check(menu(0, 3))).status, 'mismatch', 'the countdown differs')
  await writeFile(ref.sidecar, JSON.stringify({ mask: [{ x: 0, y: 78, width: 160, height: 10 }] }))
  const r = await check(menu(0, 3))
  t.equal(r.status, 'matched')
  t.equal(r.files.sidecar, ref.sidecar)
  t.equal(r.result?.comparedPixels, 160 * 100 - 1600)
  t.equal((await check(menu(1, 3))).status, 'mismatch', 'the menu itself still counts')
  t.equal((await check(menu(1, 3), { mask: [{ x: 0, y: 0, width: 160, height: 60 }] })).status, 'matched', 'call masks add to sidecar masks')

  await writeFile(ref.sidecar, '{"mask": [{"x": 0, "y": 0, "width": -3, "height": 1}]}')
  await t.rejects(check(menu()), { name: 'BootcheckError', message: `${ref.sidecar}: mask[0].width must be a positive integer` })
  await writeFile(ref.sidecar, '{"region": {"x": 150, "y": 0, "width": 20, "height": 1}}')
  await t.rejects(check(menu()), { name: 'BootcheckError', message: /^Cannot compare screen 'menu' with .*menu\.png: The region 20x1 at \(150,0\) lies outside/ })
  await rm(ref.sidecar)

  await writeFile(ref.png, 'garbage')
  await t.rejects(check(menu()), { name: 'BootcheckError', message: /menu\.png is not a valid PNG/ })
  await rm(ref.png)
  await mkdir(ref.png)
  await t.rejects(check(menu()), { name: 'BootcheckError', message: /^Cannot read .*menu\.png: EISDIR/ })
})

// Screens of a real guest: the kernel's VGA text console (tty0, 720x400), drawn on with
// escape codes from the serial shell, the cursor hidden so the picture is stable.
import t from 'tap'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { boot, ScreenMismatchError, type Machine } from '../../src/index.js'
import { decodePng } from '../../src/screens/image.js'
import { demoMedia, params } from '../../vm-configs/demo.js'

const media = await demoMedia()
// VGA text mode: 9x16 pixel cells.
const cell = (col: number, row: number, cols: number, rows = 1) => ({ x: col * 9, y: row * 16, width: cols * 9, height: rows * 16 })
const draw = (vm: Machine, text: string) => vm.succeed(`printf '\\033[2J\\033[H\\033[?25l${text}' > /dev/tty0`)

t.test('screenshots, references, masks and margins on a real screen', async t => {
  const dir = t.testdir({})
  const vm = await boot(t, {
    name: 'screen',
    ...{ cdrom: media.iso, kernel: media.kernel, initrd: media.initrd },
    kernelParams: params(media),
    testFile: join(dir, 'menu.test.ts'),
  })
  await vm.succeed('dmesg -n 1')
  await draw(vm, 'bootcheck screen test\\n\\nline three')
  const png = decodePng(await vm.screenshot({ name: 'first' }))
  t.same([png.width, png.height], [720, 400], 'VGA text mode screenshot')
  t.ok(existsSync(join(vm.artifactsDir, 'first.png')), 'saved in the artifacts folder')

  // Missing reference: fails and saves the actual screen.
  const missing = await vm.expectScreen('hello').catch(e => e)
  t.type(missing, ScreenMismatchError)
  t.equal(missing.check.status, 'missing')
  t.ok(existsSync(missing.check.files.actual))
  // Update mode writes it; the next check passes.
  process.env.BOOTCHECK_UPDATE_SCREENS = 'missing'
  t.equal((await vm.expectScreen('hello')).status, 'written')
  delete process.env.BOOTCHECK_UPDATE_SCREENS
  t.ok(existsSync(join(dir, 'menu.test.screens', 'hello.png')), 'reference stored beside the test file')
  t.equal((await vm.expectScreen('hello')).status, 'matched')

  // A changing part (a counter) matches only with its mask.
  process.env.BOOTCHECK_UPDATE_SCREENS = 'missing'
  await draw(vm, 'uptime: 1111111')
  await vm.expectScreen('counter')
  delete process.env.BOOTCHECK_UPDATE_SCREENS
  await draw(vm, 'uptime: 2222222')
  const unmasked = await vm.expectScreen('counter').catch(e => e)
  t.type(unmasked, ScreenMismatchError, 'fails without the mask')
  const where = /of pixels differ \(\d+ of 288000\) in x=(\d+)\.\.(\d+), y=(\d+)\.\.(\d+)/.exec(unmasked.message)
  t.ok(where, unmasked.message)
  const [x0, x1, y0, y1] = where!.slice(1).map(Number) as [number, number, number, number]
  const counter = cell(8, 0, 7)
  t.ok(x0 >= counter.x && x1 < counter.x + counter.width && y0 >= 0 && y1 < 16, `the difference is inside the counter's cells: x=${x0}..${x1}, y=${y0}..${y1}`)
  for (const f of ['expected', 'actual', 'diff'] as const) t.ok(existsSync(unmasked.check.files[f]), `${f} image written`)
  t.equal((await vm.expectScreen('counter', { mask: [cell(8, 0, 7)] })).status, 'matched', 'matches with the mask')

  // Moved content: found within the margin, not without it.
  process.env.BOOTCHECK_UPDATE_SCREENS = 'missing'
  await draw(vm, 'dialog')
  await vm.expectScreen('dialog', { region: cell(0, 0, 10, 2) })
  delete process.env.BOOTCHECK_UPDATE_SCREENS
  await draw(vm, ' dialog')
  await t.rejects(vm.expectScreen('dialog', { region: cell(0, 0, 10, 2) }), ScreenMismatchError, 'fails without margin')
  const moved = await vm.expectScreen('dialog', { region: cell(0, 0, 10, 2), margin: 10 })
  t.same(moved.offset, { dx: 9, dy: 0 }, 'found 9 px (one cell) to the right')

  // Waiting for a screen that appears later.
  await draw(vm, '')
  await vm.succeed(`(sleep 3; printf '\\033[2J\\033[H\\033[?25lbootcheck screen test\\n\\nline three' > /dev/tty0) >/dev/null 2>&1 &`)
  const waited = await vm.waitForScreen('hello', { timeout: 60_000, interval: 500 })
  t.equal(waited.status, 'matched')
  const never = await vm.waitForScreen('counter', { timeout: 2000, interval: 500 }).catch(e => e)
  t.match(never.message, /Timed out after 2 s waiting for screen 'counter'; the closest screenshot/)
})

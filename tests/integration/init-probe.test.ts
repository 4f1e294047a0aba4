// `bootcheck init`'s probe on real images, through the CLI as users run it: the demo ISO's
// shell answers on its serial console, so the first test runs a command; GRUB's rescue CD
// (Debian's grub-rescue-pc, the VGA screen only) answers nothing, so the first test waits for
// a still screen — `bootcheck run --update-screens=missing` writes its reference and passes,
// the next run compares against it and passes. The probe leaves no machine and no folder.
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, readFile, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { demoMedia } from '../../vm-configs/demo.js'
import { buildPackage, cli, root } from './cli-helpers.js'
import { packEnv as env } from './pack-helpers.js'

const RESCUE_ISO = '/usr/lib/grub-rescue/grub-rescue-cdrom.iso' // scripts/setup.sh installs grub-rescue-pc
const media = await demoMedia()

/** A project folder whose `bootcheck` is this repository (its compiled dist/). */
async function project(t: Test): Promise<string> {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: 'p', private: true, type: 'module' }) })
  await mkdir(join(dir, 'node_modules'))
  await symlink(root, join(dir, 'node_modules', 'bootcheck'))
  return dir
}
const probeFolders = (): string[] => readdirSync(tmpdir()).filter(n => n.startsWith('bootcheck-init-probe-'))

t.before(buildPackage)

t.test('a shell answers on the serial console: the first test runs a command', async t => {
  const dir = await project(t)
  const before = probeFolders()
  const init = await execa(process.execPath, [cli, 'init', '--iso', media.iso, '--probe-timeout', '120'], { cwd: dir, env, reject: false })
  t.equal(init.exitCode, 0, 'init works', { stderr: init.stderr })
  t.match(init.stdout, /booting live to look for a shell on its serial console \(up to 120 s/)
  t.match(init.stdout, /its shell answered after \d+ s: the first test runs a command/)
  t.match(await readFile(join(dir, 'tests', 'live.test.ts'), 'utf8'), /vm\.succeed\('echo bootcheck-/)
  t.same(probeFolders(), before, "the probe's artifacts folder is gone")
})

t.test('no shell answers: a screen test, whose reference the first run writes and the next run matches', async t => {
  const dir = await project(t)
  const init = await execa(process.execPath, [cli, 'init', '--iso', RESCUE_ISO, '--probe-timeout', '25'], { cwd: dir, env, reject: false })
  t.equal(init.exitCode, 0, 'init works', { stderr: init.stderr })
  t.match(init.stdout, /no shell answered within 25 s: the first test watches the screen/)
  t.match(init.stdout, /Next:\n {2}npx bootcheck run --update-screens=missing /)
  const test = await readFile(join(dir, 'tests', 'grub-rescue-cdrom.test.ts'), 'utf8')
  t.match(test, /waitForStillScreen/)
  t.notMatch(test, /succeed/)

  const run = (...args: string[]) => execa(process.execPath, [cli, 'run', '--progress', 'plain', ...args], { cwd: dir, env, reject: false, all: true })
  const reference = join(dir, 'tests', 'grub-rescue-cdrom.test.screens', 'first-still-screen.png')
  const first = await run('--update-screens=missing')
  t.equal(first.exitCode, 0, 'the first run writes the reference and passes', { output: first.all?.slice(-3000) })
  t.ok(existsSync(reference), `wrote ${reference}`)
  const png = PNG.sync.read(await readFile(reference))
  const colours = new Set<number>()
  for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i))
  t.ok(colours.size > 1, `the reference shows something (GRUB's rescue prompt): ${png.width}×${png.height}, ${colours.size} colours`)
  const second = await run()
  t.equal(second.exitCode, 0, 'the next run matches the reference', { output: second.all?.slice(-3000) })
})

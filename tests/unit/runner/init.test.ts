// `bootcheck init` without booting (`--console` given, so no probe: the probe boots real
// images in tests/integration/init-probe.test.ts): what it writes for each kind of image and
// console, that it refuses to overwrite (writing nothing), and that it names an image it
// cannot recognise.
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { initCommand } from '../../../src/runner/init.js'
import { machineName } from '../../../src/runner/init-plan.js'

/** A file with `bytes` at `at` (the rest zeros). */
function image(file: string, at: number, bytes: Buffer | string, size = at + 64): void {
  const buf = Buffer.alloc(size)
  Buffer.from(bytes as string, 'latin1').copy(buf, at)
  writeFileSync(file, buf)
}

async function init(dir: string, ...args: string[]): Promise<string> {
  let text = ''
  const out = new Writable({ write(chunk, _enc, done) { text += String(chunk); done() } })
  t.equal(await initCommand(args.includes('--console') ? args : [...args, '--console', 'serial'], dir, out), 0)
  return text
}

t.test('machine names come from the image file', async t => {
  t.equal(machineName({ kind: 'iso', iso: '/x/Debian Live 12.5.iso' }), 'debian-live-12-5')
  t.equal(machineName({ kind: 'disk', disk: '/x/disk.qcow2', format: 'qcow2' }), 'disk')
  t.equal(machineName({ kind: 'kernel', kernel: '/x/bzImage' }), 'bzimage')
  t.equal(machineName({ kind: 'iso', iso: '/x/---.iso' }), 'machine')
})

t.test('--iso in an existing npm project: config, test, workflow, script; the next two commands', async t => {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: 'p', scripts: { test: 'tap' } }, null, 4), media: {} })
  image(join(dir, 'media', 'live.iso'), 0x8001, 'CD001')
  const out = await init(dir, '--iso', 'media/live.iso')
  const config = readFileSync(join(dir, 'bootcheck.config.ts'), 'utf8')
  t.match(config, /"live": \{ cdrom: "media\/live\.iso", memory: '2G' \}/, 'the machine is named after the image; the path is relative to the config')
  t.match(readFileSync(join(dir, 'tests', 'live.test.ts'), 'utf8'), /await boot\(t, "live"\)[^]*vm\.succeed\('echo bootcheck-\$\(\(6\*7\)\)'\), 'bootcheck-42\\n'\)/)
  t.match(readFileSync(join(dir, '.github', 'workflows', 'bootcheck.yml'), 'utf8'), /npx bootcheck run --retries 1 --forbid-only --junit reports\/junit\.xml/)
  const pkg = readFileSync(join(dir, 'package.json'), 'utf8')
  t.same(JSON.parse(pkg).scripts, { test: 'tap', bootcheck: 'bootcheck run' }, 'the script is added, the others kept')
  t.match(pkg, /^ {4}"name"/m, 'package.json keeps its indentation')
  t.match(out, /Next:\n {2}npx bootcheck run .*\n {2}npx bootcheck shell live .*\n$/)
})

t.test('--kernel/--initrd and --disk in an empty folder (package.json made)', async t => {
  const dir = t.testdir({})
  image(join(dir, 'bzImage'), 0x202, 'HdrS')
  writeFileSync(join(dir, 'initrd.img'), 'x')
  await init(dir, '--kernel', 'bzImage', '--initrd', 'initrd.img')
  t.match(readFileSync(join(dir, 'bootcheck.config.ts'), 'utf8'), /kernel: "bzImage", initrd: "initrd\.img", kernelParams: \['console=ttyS0'\]/)
  t.match(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), { type: 'module', scripts: { bootcheck: 'bootcheck run' } })

  const d2 = t.testdir({})
  image(join(d2, 'root.qcow2'), 0, 'QFI\xfb')
  await init(d2, '--disk', 'root.qcow2')
  t.match(readFileSync(join(d2, 'bootcheck.config.ts'), 'utf8'), /"root": \{ disks: \["root\.qcow2"\]/)
  const d3 = t.testdir({})
  image(join(d3, 'raw.img'), 510, Buffer.from([0x55, 0xaa]))
  await init(d3, '--disk', 'raw.img')
  t.ok(existsSync(join(d3, 'tests', 'raw.test.ts')), 'a raw disk with a partition table is recognised')
})

t.test('--console screen: the first test waits for a still screen and compares it; the next command writes the reference', async t => {
  const dir = t.testdir({})
  image(join(dir, 'rescue.iso'), 0x8001, 'CD001')
  const out = await init(dir, '--iso', 'rescue.iso', '--console', 'screen')
  const test = readFileSync(join(dir, 'tests', 'rescue.test.ts'), 'utf8')
  t.match(test, /await boot\(t, "rescue"\)\n {2}await vm\.waitForStillScreen\(\{ stillFor: 3000, maxDiffPixels: 64, timeout: 300_000 \}\)\n {2}await vm\.expectScreen\("first-still-screen", \{ maxDiffPixels: 64 \}\)/)
  t.notMatch(test, /succeed/, 'no command on a console nobody answers')
  t.match(out, /Next:\n {2}npx bootcheck run --update-screens=missing .*rescue\.test\.screens\/first-still-screen\.png\n/)
})

t.test('refuses to overwrite: names the files, writes nothing', async t => {
  const dir = t.testdir({ 'bootcheck.config.ts': '// mine\n' })
  image(join(dir, 'live.iso'), 0x8001, 'CD001')
  await t.rejects(initCommand(['--iso', 'live.iso'], dir), { name: 'UsageError', message: /^init: bootcheck\.config\.ts already exists; nothing was written/ })
  t.equal(readFileSync(join(dir, 'bootcheck.config.ts'), 'utf8'), '// mine\n')
  t.notOk(existsSync(join(dir, 'tests')), 'no test file')
  t.notOk(existsSync(join(dir, 'package.json')), 'no package.json')
})

t.test('bad input: named, one-line UsageErrors', async t => {
  const dir = t.testdir({ 'notes.txt': 'hello', 'package.json': '{ broken' })
  image(join(dir, 'live.iso'), 0x8001, 'CD001')
  const cases: Array<[string[], RegExp]> = [
    [[], /^init needs exactly one of --iso PATH, --kernel PATH \[--initrd PATH\] or --disk PATH$/],
    [['--iso', 'a.iso', '--disk', 'b.img'], /got --iso and --disk/],
    [['--initrd', 'i.img', '--disk', 'notes.txt'], /--initrd goes with --kernel/],
    [['--iso', 'missing.iso'], /--iso .*missing\.iso: no such file/],
    [['--iso', 'notes.txt'], /notes\.txt is not an ISO 9660 image \(no CD001 signature at byte 32769\)/],
    [['--disk', 'notes.txt'], /neither a qcow2 image nor a raw disk/],
    [['--kernel', 'notes.txt'], /not a Linux kernel QEMU can boot directly/],
    [['--iso', 'live.iso'], /package\.json is not valid JSON .*nothing was written/],
    [['--iso', 'live.iso', '--console', 'vga'], /--console takes serial or screen, got 'vga'/],
    [['--iso', 'live.iso', '--probe-timeout', '0'], /--probe-timeout takes a whole number of seconds, got '0'/],
  ]
  for (const [args, message] of cases) {
    await t.rejects(initCommand(args, dir), { name: 'UsageError', message }, args.join(' ') || '(no flags)')
  }
  t.notOk(existsSync(join(dir, 'bootcheck.config.ts')), 'nothing was written')
})

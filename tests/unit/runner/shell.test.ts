// `bootcheck shell` command lines: what spec each gives, and the errors of bad ones.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkShellFiles, parseShellArgs, shellCommand, shellSpecFromArgs } from '../../../src/runner/shell.js'
import { UsageError } from '../../../src/errors/errors.js'
import type { MachineSpec } from '../../../src/spec/spec.js'

t.test('an ISO with options', async t => {
  t.same(shellSpecFromArgs(['--iso', 'live.iso', '--memory', '2G', '--uefi', '--usb', 'stick.img', '--disk', 'a.img', '--disk', 'b.img']), {
    name: 'shell',
    cdrom: 'live.iso',
    usb: 'stick.img',
    disks: ['a.img', 'b.img'],
    memory: '2G',
    firmware: 'uefi',
  })
  t.same(shellSpecFromArgs(['--iso', 'live.iso', '--param', 'copytoram', '--param', 'quiet', '--entry', 'live', '--name', 'demo']), {
    name: 'demo',
    cdrom: 'live.iso',
    kernelParams: ['copytoram', 'quiet'],
    bootEntry: 'live',
  })
})

t.test('a kernel with initrd, command line and extra parameters', async t => {
  t.same(shellSpecFromArgs(['--kernel', 'bzImage', '--initrd', 'initrd.img', '--append', 'console=ttyS0  root=/dev/vda', '--param', 'debug', '--cpus', '2', '--accel', 'tcg']), {
    name: 'shell',
    kernel: 'bzImage',
    initrd: 'initrd.img',
    kernelParams: ['console=ttyS0', 'root=/dev/vda', 'debug'],
    cpus: 2,
    accel: 'tcg',
  })
  t.same(shellSpecFromArgs(['--kernel', 'bzImage', '--append', '']).kernelParams, [], 'an empty --append is an empty command line')
})

t.test('a machine name is kept apart from the flags, which override its fields', async t => {
  t.same(parseShellArgs(['live', '--memory', '2G']), { machine: 'live', spec: { memory: '2G' }, help: false })
  t.throws(() => shellSpecFromArgs(['live']), { name: 'UsageError', message: /'live' is a machine name/ })
  t.same(parseShellArgs(['--help']).help, true)
})

const bad: Array<[string[], RegExp]> = [
  [['--iso', 'a.iso', '--frobnicate'], /unknown option '--frobnicate'$/],
  [['--iso', 'a.iso', '--kernel', 'bzImage'], /--iso and --kernel exclude each other/],
  [['--initrd', 'i.img', '--iso', 'a.iso'], /--initrd needs --kernel/],
  [['--iso', 'a.iso', '--append', 'quiet'], /--append needs --kernel .*--param/],
  [['--disk', 'd.img', '--param', 'quiet'], /--param and --entry need --kernel or an ISO/],
  [[], /nothing to boot/],
  [['--memory', '1G'], /nothing to boot/],
  [['a', 'b'], /one machine name at most/],
  [['--iso', 'a.iso', '--memory', 'lots'], /--memory: cannot read "lots"/],
  [['--iso', 'a.iso', '--cpus', '0'], /--cpus needs a positive whole number/],
  [['--iso', 'a.iso', '--accel', 'hvf'], /--accel takes auto, kvm or tcg/],
  [['--iso', 'a.iso', '--name', 'my machine'], /--name may hold letters/],
  [['--iso'], /--iso.*argument missing/i],
]
for (const [argv, message] of bad) {
  t.test(`bad: ${argv.join(' ') || '(nothing)'}`, async t => {
    t.throws(() => shellSpecFromArgs(argv), { name: 'UsageError', message })
    t.throws(() => shellSpecFromArgs(argv), UsageError)
  })
}

t.test('missing and empty files are named with their flag before anything boots', async t => {
  const dir = t.testdir({ 'empty.img': '' })
  await t.rejects(checkShellFiles({ cdrom: join(dir, 'nope.iso') }), { name: 'UsageError', message: /the ISO \(--iso\) '.*nope\.iso' does not exist/ })
  await t.rejects(checkShellFiles({ kernel: join(dir, 'bz') }), /kernel \(--kernel\) '.*bz' does not exist/)
  await t.rejects(checkShellFiles({ disks: [join(dir, 'empty.img')] }), /disk image \(--disk\) '.*empty\.img' is empty/)
  writeFileSync(join(dir, 'ok.iso'), 'x')
  await t.resolves(checkShellFiles({ cdrom: join(dir, 'ok.iso') }))
})

t.test('shellCommand: exit status 2 and the message for a bad command line or a missing file', async t => {
  const dir = t.testdir({})
  const run = async (argv: string[], resolveMachine?: (n: string) => Promise<MachineSpec>): Promise<[number, string]> => {
    let text = ''
    const errors = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream
    const code = await shellCommand(argv, { errors, ...(resolveMachine ? { resolveMachine } : {}) })
    return [code, text]
  }
  const [code, text] = await run(['--iso', join(dir, 'missing.iso')])
  t.equal(code, 2)
  t.match(text, /bootcheck shell: the ISO \(--iso\) '.*missing\.iso' does not exist\.\nRun 'bootcheck shell --help'/)
  t.match(await run(['live']), [2, /no machine definitions here to find 'live'/])
  // A named definition goes through resolveMachine, and its files are checked the same way.
  const asked: string[] = []
  const resolved = await run(['live', '--memory', '2G'], async name => (asked.push(name), { cdrom: join(dir, 'def.iso') }))
  t.same(asked, ['live'])
  t.match(resolved, [2, /ISO \(--iso\) '.*def\.iso' does not exist/])
})

t.test('--ui asks for the live view; without it there is none', async t => {
  t.equal(parseShellArgs(['--iso', 'x.iso', '--ui']).ui, true)
  t.equal(parseShellArgs(['--iso', 'x.iso']).ui, undefined)
})

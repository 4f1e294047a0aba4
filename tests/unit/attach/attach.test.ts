// attachConsole against a stand-in machine (a real SerialConsole, a scripted QMP) and
// in-memory streams that act as a TTY: forwarding, escape commands, raw mode restored.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { SerialConsole } from '../../../src/console/console.js'
import { attachConsole, EscapeParser, keyName, powerOffGracefully, type AttachableMachine } from '../../../src/attach/attach.js'
import type { QemuExit } from '../../../src/qemu/process.js'
import { sleep } from '../../../src/util/sleep.js'

function rig(opts: { tty?: boolean; honoursAcpi?: boolean } = {}) {
  const sent: string[] = []
  const qmp: string[] = []
  const rawModes: boolean[] = []
  let finish: (e: QemuExit) => void = () => {}
  let running = true
  const exited = new Promise<QemuExit>(resolve => (finish = resolve))
  const exit = (code: number | null, signal: number | null = null): void => {
    running = false
    finish({ code, signal, stderr: '' })
  }
  const serial = new SerialConsole({ name: 'fake', write: d => void sent.push(d) })
  const machine = {
    name: 'fake',
    console: serial,
    exited,
    get running() {
      return running
    },
    qmp: {
      execute: async (cmd: string) => {
        qmp.push(cmd)
        if (cmd === 'system_powerdown' && opts.honoursAcpi !== false) setTimeout(() => exit(0), 20)
        if (cmd === 'quit') setTimeout(() => exit(0), 5)
      },
    },
    kill: async () => (exit(null, 9), exited),
  } as unknown as AttachableMachine
  const input = Object.assign(new PassThrough(), {
    isTTY: opts.tty ?? true,
    isRaw: false,
    setRawMode(mode: boolean) {
      rawModes.push(mode)
      this.isRaw = mode
    },
  })
  if (opts.tty === false) (input as { setRawMode?: unknown }).setRawMode = undefined
  const output = Object.assign(new PassThrough(), { columns: 100, rows: 30 })
  let shown = ''
  output.on('data', (d: Buffer) => (shown += d.toString()))
  return { machine, serial, input, output, sent, qmp, rawModes, exit, shown: () => shown }
}

t.test('EscapeParser: text passes unchanged, escape commands are split off', async t => {
  const p = new EscapeParser()
  t.same(p.feed('ls -l\r\x03\x1b[A'), [{ kind: 'send', data: 'ls -l\r\x03\x1b[A' }])
  t.same(p.feed('a\x1d\x1db\x1d?c\x1dr'), [{ kind: 'send', data: 'a\x1db' }, { kind: 'help' }, { kind: 'send', data: 'c' }, { kind: 'resize' }])
  t.same(p.feed('x\x1d'), [{ kind: 'send', data: 'x' }], 'an escape at the end of a chunk waits for the next')
  t.same(p.feed('.ignored'), [{ kind: 'leave' }])
  t.same(new EscapeParser('\x01').feed('\x1d\x01q'), [{ kind: 'send', data: '\x1d' }, { kind: 'leave' }])
  t.throws(() => new EscapeParser('ab'), /one character/)
  t.equal(keyName('\x1d'), 'Ctrl-]')
  t.equal(keyName('\x01'), 'Ctrl-A')
})

t.test('a session: keys in, raw output out, help, literal escape, stty, then q powers off', async t => {
  const r = rig()
  const done = attachConsole(r.machine, { input: r.input, output: r.output })
  await sleep(10)
  t.same(r.rawModes, [true], 'raw mode while attached')
  t.match(r.shown(), /\[bootcheck\] Serial console of fake\. Ctrl-\] q: power off, Ctrl-\] \?: help\./)
  r.serial.push('\x1b[1m/ # \x1b[0m')
  const euro = Buffer.from('echo €\r')
  r.input.write(euro.subarray(0, 6)) // the euro sign split between chunks
  r.input.write(euro.subarray(6))
  r.input.write('\x03\x1d\x1d')
  r.input.write('\x1d?')
  r.input.write('\x1dr')
  await sleep(10)
  t.same(r.sent.join(''), 'echo €\r\x03\x1dstty rows 30 cols 100\r')
  t.match(r.shown(), '\x1b[1m/ # \x1b[0m', 'guest output as sent, escape sequences kept')
  t.match(r.shown(), /q or \.\s+power off and leave/)
  r.input.write('\x1dq')
  r.input.write('not sent')
  t.equal(await done, 'escaped')
  t.same(r.qmp, ['system_powerdown'])
  t.match(r.shown(), /Powering off fake \(ACPI power button\)…[\s\S]*fake powered off\./)
  t.same(r.rawModes, [true, false], 'raw mode restored')
  t.notMatch(r.sent.join(''), /not sent/)
  t.equal(r.input.listenerCount('data'), 0, 'input released')
})

t.test('QEMU exiting ends the session', async t => {
  const r = rig()
  const done = attachConsole(r.machine, { input: r.input, output: r.output })
  await sleep(10)
  r.exit(1)
  t.equal(await done, 'exited')
  t.match(r.shown(), /QEMU of fake exited with code 1\./)
  t.same(r.rawModes, [true, false])
  t.same(r.qmp, [])
})

t.test('a guest ignoring the power button is stopped after the grace period', async t => {
  const r = rig({ honoursAcpi: false })
  const done = attachConsole(r.machine, { input: r.input, output: r.output, graceMs: 100 })
  r.input.write('\x1d.')
  t.equal(await done, 'escaped')
  t.same(r.qmp, ['system_powerdown', 'quit'])
  t.match(r.shown(), /did not power off within 100 ms; stopping QEMU/)
  t.equal(await powerOffGracefully(r.machine), 'already off')
})

t.test('piped input: no raw mode, and the end of input leaves', async t => {
  const r = rig({ tty: false })
  const done = attachConsole(r.machine, { input: r.input, output: r.output })
  r.input.end('uname -a\r')
  t.equal(await done, 'escaped')
  t.same(r.sent, ['uname -a\r'])
  t.match(r.shown(), /Input ended\.[\s\S]*powered off/)
  t.same(r.rawModes, [])
})

t.test('a custom onEscape, and raw mode is restored when it throws', async t => {
  const r = rig()
  const done = attachConsole(r.machine, {
    input: r.input,
    output: r.output,
    escape: '\x01',
    leaveLabel: 'detach',
    replay: 5,
    onEscape: () => {
      throw new Error('boom')
    },
  })
  await sleep(10)
  t.match(r.shown(), /Ctrl-A q: detach/)
  r.input.write('\x01q')
  await t.rejects(done, /boom/)
  t.same(r.rawModes, [true, false])
  t.same(r.qmp, [], 'the machine was left alone')
})

t.test('replay shows earlier console lines first', async t => {
  const r = rig()
  r.serial.push('line one\nline two\n/ # ')
  const done = attachConsole(r.machine, { input: r.input, output: r.output, replay: 2 })
  await sleep(10)
  t.match(r.shown(), /last console lines of fake:\r\nline two\r\n\/ # /)
  r.exit(0)
  t.equal(await done, 'exited')
  t.match(r.shown(), /fake powered off \(QEMU exited\)\./)
})

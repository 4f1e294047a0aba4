// The clean view of a transcript: commands as `# command` with what they printed, the
// protocol folded away, the guest's own lines kept. The transcripts are made by running
// the real helper functions in sh, with the console's echo of each typed line put back.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { commandLine, replayLine, SHELL_SETUP } from '../../../src/guest/protocol.js'
import { viewTranscript, type TranscriptPart } from '../../../src/guest/transcript-view.js'

/** What a serial console shows when `commands` are typed at `prompt` after the setup line. */
function transcript(commands: Array<[id: string, command: string]>, prompt = 'root@debian-live:~# '): string {
  let out = `Booting the kernel\n${prompt}${SHELL_SETUP}\n${prompt}`
  for (const [id, command] of commands) {
    const line = commandLine(id, command)
    const result = execFileSync('sh', ['-c', `${SHELL_SETUP}\n${line}`], { encoding: 'utf8' })
    out += `${line}\n${result}${prompt}`
  }
  return out
}

const commands = (parts: TranscriptPart[]) => parts.filter(p => p.kind === 'command')

t.test('commands with their output, stderr and status; plumbing folded; boot lines kept', async t => {
  const text = transcript([
    ['BC000000000001', 'true'],
    ['BC000000000002', "echo it\\'s; echo warn >&2; exit 3"],
    ['BC000000000003', `printf 'a\\nb\\n'`],
  ])
  const parts = viewTranscript(text)
  t.same(parts[0], { kind: 'text', text: 'Booting the kernel\n' })
  t.same(parts[1], { kind: 'plumbing', lines: 1 }, 'the helper functions are folded')
  t.same(commands(parts), [
    { kind: 'command', id: 'BC000000000001', command: 'true', stdout: '', stderr: '', status: 0, console: '' },
    { kind: 'command', id: 'BC000000000002', command: "echo it\\'s; echo warn >&2; exit 3", stdout: "it's\n", stderr: 'warn\n', status: 3, console: '' },
    { kind: 'command', id: 'BC000000000003', command: `printf 'a\\nb\\n'`, stdout: 'a\nb\n', stderr: '', status: 0, console: '' },
  ])
  t.same(parts.at(-1), { kind: 'text', text: 'root@debian-live:~# ' }, 'the last prompt stays')
  const shown = JSON.stringify(parts.filter(p => p.kind !== 'command'))
  t.notMatch(shown, /BC0000|__bc|base64|md5/, 'no marker, helper or checksum outside the commands')
})

t.test('a kernel message in the middle of a result is kept with its command; an echoed command line once', async t => {
  const text = transcript([['BC00000000000a', 'echo hello']])
  const withKernel = text.replace(/(BC00000000000aS\n)/, '[   12.345678] virtio_net virtio0 enp0s2: renamed from eth0\n$1')
  const echoedTwice = withKernel.replace(/(__bcx BC00000000000a '[^\n]*'\n)/, '$1root@debian-live:~# $1')
  const [cmd] = commands(viewTranscript(echoedTwice))
  t.match(cmd, { command: 'echo hello', stdout: 'hello\n', status: 0 })
  t.equal(cmd?.kind === 'command' && cmd.console, '[   12.345678] virtio_net virtio0 enp0s2: renamed from eth0\n')
  t.equal(commands(viewTranscript(echoedTwice)).length, 1)
})

t.test('probes and file-transfer readers are plumbing; a command cut off by the end has no status', async t => {
  const text = [
    "/ # printf '%s%s\\n' BCR BCabcdefabcdef",
    'BCRBCabcdefabcdef',
    "/ # stty -echo; printf '\\n%s%s\\n' BC0123456789ab R; head -n 3 > /tmp/x; stty echo",
    'BC0123456789abR',
    "/ # __bcx BCffffffffffff 'sleep 100'",
    '',
  ].join('\n')
  const parts = viewTranscript(text)
  t.same(parts[0], { kind: 'plumbing', lines: 4 })
  t.same(parts[1], { kind: 'command', id: 'BCffffffffffff', command: 'sleep 100', stdout: '', stderr: '', console: '' })
  t.equal(parts.length, 2)
})

t.test('text without any command is all text', async t => {
  t.same(viewTranscript('SeaBIOS\nLinux version 6.1\nlogin: '), [{ kind: 'text', text: 'SeaBIOS\nLinux version 6.1\nlogin: ' }])
  t.same(viewTranscript(''), [])
})

t.test('a command line the line editor wrapped and redrew takes its text from the step log; its redrawn pieces are dropped', async t => {
  // run for real by sh below: in a folder of the test's own, not the host's /tmp
  const dir = t.testdir({})
  const command = `mkdir -p '${dir}/folder-in' && : > '${dir}/folder-in/.bootcheck-folder-054a6ffea9bd.tar.bcpart-d15fd971af91'`
  const [line] = commandLine('BC1b36d31ff3fd', command).match(/.{1,80}/g)!
  const result = execFileSync('sh', ['-c', `${SHELL_SETUP}\n${commandLine('BC1b36d31ff3fd', command)}`], { encoding: 'utf8' })
  const text = `/ # ${line}\ntar.bcpart-d15fd971af91'\\''' \n[   42.000001] a kernel line\n${result}/ # `
  const [cmd] = commands(viewTranscript(text, new Map([['BC1b36d31ff3fd', command]])))
  t.match(cmd, { command, status: 0, stdout: '', console: '[   42.000001] a kernel line\n' }, 'the command from the step log, the kernel line kept')
  const [unknown] = commands(viewTranscript(text))
  t.match(unknown, { command: /^\(command BC1b36d31ff3fd: its line wrapped/ }, 'without the step log it says so')
})

t.test('a result fetched again under a new marker belongs to the same command', async t => {
  const first = execFileSync('sh', ['-c', `${SHELL_SETUP}\n${commandLine('BC0000000000aa', 'echo hello')}`], { encoding: 'utf8' })
  const damaged = first.replace('aGVsbG8K', 'aGVsbG9K')
  const again = execFileSync('sh', ['-c', `${SHELL_SETUP}\necho hello > "$__bco"; : > "$__bce"; ${replayLine('BC0000000000bb', 0)}`], { encoding: 'utf8' })
  const parts = viewTranscript(`/ # ${commandLine('BC0000000000aa', 'echo hello')}\n${damaged}/ # ${replayLine('BC0000000000bb', 0)}\n${again}/ # `)
  t.same(commands(parts).map(c => c.kind === 'command' && [c.command, c.stdout, c.status]), [['echo hello', 'hello\n', 0]], 'one command, with the good copy')
})

// The guest command protocol against a real POSIX shell (dash, then busybox if present) on
// a real pty, as on a serial console. Kernel messages are injected into the console stream
// to show that they cannot corrupt results.
import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import * as pty from 'node-pty'
import { SerialConsole } from '../../../src/console/console.js'
import { GuestShell } from '../../../src/guest/shell.js'
import { commandLine, decodeBase64Block } from '../../../src/guest/protocol.js'
import { CommandOutputDamagedError, TimeoutError } from '../../../src/errors/errors.js'

// The subtests are independent shells on their own ptys, and mostly wait (for the quiet
// the shell search needs, for back-offs): they run side by side, 73 s one after the other.
t.jobs = 6

interface Rig {
  console: SerialConsole
  shell: GuestShell
  /** Splices `text` into the middle of the next output chunk that matches `where`. */
  noise: (text: string, where?: RegExp) => void
  /** Everything typed into the guest, each with the console output received before it. */
  typed: Array<{ data: string; seen: string }>
}

function rig(
  t: Test,
  shellPath: string,
  args: string[],
  login?: { user: string; password?: string },
  options: { shellProbe?: 'quiet' | 'eager'; ps1?: string; silentProbeAfter?: number; prompt?: RegExp } = {},
): Rig {
  const term = pty.spawn(shellPath, args, { name: 'dumb', cols: 80, rows: 24, env: { PS1: options.ps1 ?? '# ', PATH: process.env.PATH ?? '', TERM: 'dumb' } })
  const typed: Array<{ data: string; seen: string }> = []
  let seen = ''
  const console = new SerialConsole({
    name: 'local-sh',
    write: d => {
      typed.push({ data: d, seen })
      term.write(d)
    },
    defaultTimeout: 10_000,
  })
  console.onText(x => {
    seen += x
  })
  let inject: string | null = null
  let where = /[\s\S]{5}/
  term.onData(d => {
    // Splice injected noise into the middle of a real chunk, as printk does.
    if (inject !== null && where.test(d)) {
      const mid = Math.floor(d.length / 2)
      console.push(d.slice(0, mid) + inject + d.slice(mid))
      inject = null
    } else console.push(d)
  })
  t.teardown(() => {
    try {
      process.kill(term.pid, 'SIGKILL')
    } catch {}
  })
  const { ps1: _, ...shellOptions } = options
  const shell = new GuestShell(console, { ...(login ? { login } : {}), ...shellOptions })
  return { console, shell, typed, noise: (text, w) => {
    inject = text
    if (w) where = w
  } }
}

for (const [label, path, args] of [
  ['dash', '/bin/sh', ['-i']],
  ['busybox ash', '/bin/busybox', ['sh', '-i']],
] as const) {
  t.test(`${label}: status, stdout and stderr`, { skip: existsSync(path) ? false : `${path} missing` }, async t => {
    const { shell } = rig(t, path, [...args])
    const r = await shell.run(`echo out; echo err >&2; printf 'no newline'; exit 3`, 10_000, 10_000)
    t.equal(r.status, 3)
    t.equal(r.output, 'out\nno newline')
    t.equal(r.stderr, 'err\n')
    const q = await shell.run(`printf '%s\\n' "it's \\"quoted\\"" '$HOME' && true`, 10_000, 10_000)
    t.equal(q.status, 0)
    t.equal(q.output, `it's "quoted"\n$HOME\n`)
    const bin = await shell.run(`printf '\\001\\377\\000x'`, 10_000, 10_000)
    t.equal(bin.output, Buffer.from([1, 0xff, 0, 0x78]).toString('utf8'), 'bytes survive the console')
  })
}

t.test('the echoed command line never matches a marker, even when the command prints the marker id', async t => {
  const { shell, console } = rig(t, '/bin/sh', ['-i'])
  // The command mentions markers of its own; the result is still framed correctly.
  const r = await shell.run(`echo BCdeadbeef0000B; echo BCdeadbeef0000E 0 x`, 10_000, 10_000)
  t.equal(r.output, 'BCdeadbeef0000B\nBCdeadbeef0000E 0 x\n')
  t.notMatch(console.unread(), /BC[0-9a-f]{12}E/, 'nothing left over after the result')
})

t.test('kernel messages printed in the middle of the output are cut out', async t => {
  const { shell, noise } = rig(t, '/bin/sh', ['-i'])
  noise('[   12.345678] usb 1-1: USB disconnect, device number 2\r\n', /^[A-Za-z0-9+/]{40,}$/m)
  const r = await shell.run('seq 1 2000', 10_000, 10_000)
  t.equal(r.status, 0)
  t.equal(r.output, Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join(''))
})

t.test('noise the filter cannot recognise is caught by the checksum and the result is fetched again', async t => {
  const { shell, noise, console } = rig(t, '/bin/sh', ['-i'])
  // Inside the base64 block, where only the checksum can tell it apart.
  noise('garbagewithoutatimestamp\n', /^[A-Za-z0-9+/]{40,}$/m)
  const seen: string[] = []
  console.onText(x => seen.push(x))
  const r = await shell.run('seq 1 3000', 10_000, 10_000)
  t.equal(r.output.split('\n').length, 3001)
  t.match(seen.join(''), /__bcp BC[0-9a-f]{12} 0/, 'the result was asked for again')
})

t.test('a command that outlives its timeout is interrupted and the shell stays usable', async t => {
  const { shell } = rig(t, '/bin/sh', ['-i'])
  const e = await shell.run('sleep 30', 500, 10_000).catch(x => x)
  t.type(e, TimeoutError)
  t.match(e.message, /did not finish within 500 ms/)
  const r = await shell.run('echo alive', 10_000, 10_000)
  t.equal(r.output, 'alive\n')
})

t.test('login at a getty-style prompt', async t => {
  // A tiny login prompt in front of a shell, standing in for getty + login.
  const script = `while :; do printf 'demo login: '; read u; printf 'Password: '; read p; if [ "$u" = root ] && [ "$p" = secret ]; then exec /bin/sh -i; fi; echo 'Login incorrect'; done`
  const { shell } = rig(t, '/bin/sh', ['-c', script], { user: 'root', password: 'secret' })
  const r = await shell.run('echo logged-in', 10_000, 15_000)
  t.equal(r.output, 'logged-in\n')
})

t.test('a login prompt without credentials is a clear error, within a few seconds', async t => {
  const { shell } = rig(t, '/bin/sh', ['-c', `printf 'demo login: '; read u; sleep 30`])
  const started = Date.now()
  await t.rejects(shell.run('true', 20_000, 20_000), /shows a login prompt; pass login/)
  t.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms, not at the timeout`)
})

// agetty --autologin prints its prompt, then a moment later the user name and
// "(automatic login)" on the same line, then login prints the motd and starts the shell.
const autologin = (pause: number) =>
  `printf '\\nDebian GNU/Linux 12 debian-live ttyS0\\n\\ndebian-live login: '; sleep ${pause}; ` +
  `printf 'root (automatic login)\\n\\n'; sleep 0.5; printf 'Linux debian-live 6.1.0-57-amd64 #1 SMP x86_64\\n\\n'; ` +
  `sleep 0.5; exec /bin/sh -i`

t.test('autologin: "login: " then "root (automatic login)" is no login prompt', async t => {
  const { shell, typed } = rig(t, '/bin/sh', ['-c', autologin(1)], undefined, { ps1: 'root@debian-live:~# ' })
  const r = await shell.run('echo autologged', 10_000, 15_000)
  t.equal(r.output, 'autologged\n')
  t.match(typed[0]?.seen ?? '', /\(automatic login\)[\s\S]*root@debian-live:~# $/, 'the first thing typed came after the shell prompt')
})

t.test('autologin: the same with login in the spec does not type the user name', async t => {
  const { shell, typed } = rig(t, '/bin/sh', ['-c', autologin(1)], { user: 'root' }, { ps1: 'root@debian-live:~# ' })
  t.equal((await shell.run('id -u', 10_000, 15_000)).output, String(process.getuid?.() ?? 0) + '\n')
  t.notOk(typed.some(x => x.data === 'root\r'), 'no user name typed')
})

// A guest that boots for a while (messages with pauses, none looking like a prompt), then
// starts a shell. As on a kernel console, Ctrl-C signals nothing while it boots.
const booting = `stty -isig; for i in 1 2 3 4; do echo "[    $i.000000] booting step $i"; sleep 0.6; done; ` +
  `printf 'Press any key to stop autoboot: '; sleep 2.5; echo; echo '[    9.000000] Run /init as init process'; sleep 0.5; stty isig; exec /bin/sh -i`

t.test('quiet mode types nothing before the first prompt-looking line', async t => {
  const { shell, typed } = rig(t, '/bin/sh', ['-c', booting], undefined, { ps1: 'live# ' })
  const r = await shell.run('echo quiet', 10_000, 20_000)
  t.equal(r.output, 'quiet\n')
  t.ok(typed.length > 0)
  for (const x of typed) t.match(x.seen, /live# /, `typed ${JSON.stringify(x.data.slice(0, 30))} after the prompt`)
  t.notMatch(typed[0]!.data, /\x03/, 'no Ctrl-C before the first probe')
})

t.test('a known prompt: one line (setup and probe) typed as soon as it shows, with no second of quiet first', async t => {
  // A line like the prompt comes first but does not match the known one; the real prompt
  // is followed 600 ms later by a message: quiet mode would wait for a second of quiet after it.
  const script = `echo 'fake# '; sleep 0.3; (sleep 0.6; echo '[   3.000000] late message') & exec /bin/sh -i`
  const { shell, typed } = rig(t, '/bin/sh', ['-c', script], undefined, { ps1: 'board# ', prompt: /^board# $/ })
  const started = Date.now()
  await shell.ensureReady(20_000)
  const took = Date.now() - started
  t.equal(typed.length, 1, 'one line typed to find and set up the shell')
  t.match(typed[0]!.data, /BCR/, 'the probe')
  t.match(typed[0]!.seen, /board# $/, 'typed once the known prompt showed')
  t.ok(took < 900, `ready after ${took} ms, before the late message (quiet mode waits for a second of quiet)`)
  t.equal((await shell.run('echo known', 10_000, 10_000)).output, 'known\n')
})

t.test('a known prompt that does not answer: the search goes on as without it', async t => {
  // The "prompt" is printed by a program that ignores input for a while, then a shell starts.
  const script = `printf 'board# '; sleep 5 </dev/null; echo; exec /bin/sh -i`
  const { shell, typed } = rig(t, '/bin/sh', ['-c', script], undefined, { ps1: 'board# ', prompt: /^board# $/, silentProbeAfter: 2000 })
  t.equal((await shell.run('echo later', 10_000, 30_000)).output, 'later\n')
  t.ok(typed.filter(x => x.data.includes('BCR')).length >= 2, 'probed again after the first went unanswered')
})

t.test('eager mode probes while the guest boots, as before', async t => {
  const { shell, typed } = rig(t, '/bin/sh', ['-c', booting], undefined, { ps1: 'live# ', shellProbe: 'eager' })
  const r = await shell.run('echo eager', 10_000, 30_000)
  t.equal(r.output, 'eager\n')
  const early = typed.filter(x => !x.seen.includes('live# '))
  t.ok(early.some(x => x.data.includes('BCR')), 'a probe was typed before the prompt')
})

t.test('quiet mode: a shell with no prompt at all is found after a long silence', async t => {
  // 30 s by default; shortened here
  const { shell } = rig(t, '/bin/sh', ['-c', `echo booted; exec /bin/sh -i`], undefined, { ps1: '', silentProbeAfter: 5000 })
  const started = Date.now()
  t.equal((await shell.run('echo found', 10_000, 30_000)).output, 'found\n')
  const took = Date.now() - started
  t.ok(took >= 4500 && took < 12_000, `found after ${took} ms`)
})

t.test('quiet mode: after a kernel message with no prompt anywhere, the long silence is three times as long', async t => {
  // A guest still booting: its last line a kernel message, then silence (seen for 45 s on a loaded host).
  const { shell, typed } = rig(t, '/bin/sh', ['-c', `echo '[   69.679728] clocksource: Long readout interval'; exec /bin/sh -i`], undefined, { ps1: '', silentProbeAfter: 2000 })
  const started = Date.now()
  t.equal((await shell.run('echo found', 10_000, 30_000)).output, 'found\n')
  const firstProbe = typed.find(x => x.data.includes('BCR'))
  t.ok(firstProbe, 'found by a probe')
  const took = Date.now() - started
  t.ok(took >= 5500 && took < 15_000, `found after ${took} ms (6 s: three times 2 s)`)
})

t.test('quiet mode: a prompt followed by kernel messages is still probed', async t => {
  const { shell } = rig(t, '/bin/sh', ['-c', `(sleep 0.7; echo '[   12.000000] random: crng init done') & exec /bin/sh -i`])
  const started = Date.now()
  t.equal((await shell.run('echo late', 10_000, 30_000)).output, 'late\n')
  t.ok(Date.now() - started < 8000, `found after ${Date.now() - started} ms`)
})

t.test('after invalidate (a reboot), the prompt of the earlier boot is not probed', async t => {
  const { shell, typed, console } = rig(t, '/bin/sh', ['-i'])
  await shell.run('true', 10_000, 10_000)
  // The shell prints its prompt after the result: let it arrive, so it belongs to the
  // earlier boot (a real reboot resets the machine, and nothing of the old boot comes later).
  for (const deadline = Date.now() + 10_000; Date.now() - console.lastOutputAt < 500 && Date.now() < deadline; ) await console.idle(50)
  shell.invalidate()
  const before = typed.length
  t.type(await shell.ensureReady(2500).catch(e => e), TimeoutError)
  t.equal(typed.length, before, 'nothing typed: the line on the console belongs to the earlier boot')
})

t.test('quiet mode: unanswered probes back off', async t => {
  // A prompt-looking line from something that is not a shell, which answers nothing.
  const { shell, typed } = rig(t, '/bin/sh', ['-c', `stty -echo; printf 'fake# '; sleep 30`])
  const e = await shell.run('true', 10_000, 12_000).catch(x => x)
  t.type(e, TimeoutError)
  const probes = typed.filter(x => x.data.includes('BCR')).length
  t.equal(probes, 2, 'two probes in 12 s: each waits 4 s for its answer, then 2 s, then 4 s of pause')
})

t.test('decoding: the base64 block and the command line', async t => {
  const id = 'BC000000000001'
  t.equal(decodeBase64Block('aGVs\n[  3.1] noise\nbG8K').toString(), 'hello\n')
  t.equal(commandLine(id, "echo 'x'"), `__bcx ${id} 'echo '\\''x'\\'''`)
})

t.test('a command that writes nothing comes back as one short line; a lost temp file is damage, not silence', async t => {
  const { shell, console } = rig(t, '/bin/sh', ['-i'])
  const seen: string[] = []
  console.onText(x => seen.push(x))
  t.same(await shell.run('exit 4', 10_000, 10_000), { status: 4, output: '', stderr: '' })
  t.match(seen.join(''), /\nBC[0-9a-f]{12}N 4\n/, 'the short form')
  t.notMatch(seen.join(''), /BC[0-9a-f]{12}[BE]/, 'no long form')
  const e = await shell.run('echo lost; rm -f "$__bco" "$__bce"', 20_000, 10_000).catch(x => x)
  t.type(e, CommandOutputDamagedError)
  t.match(e.message, /0 checksums arrived/)
})

for (const [label, path, args] of [
  ['dash', '/bin/sh', ['-i']],
  ['busybox ash', '/bin/busybox', ['sh', '-i']],
] as const) {
  t.test(`${label}: runBytes returns exact bytes; runFeeding types input for a reader with the echo off`, { skip: existsSync(path) ? false : `${path} missing` }, async t => {
    const { shell, console } = rig(t, path, [...args])
    const bytes = await shell.runBytes(`printf '\\001\\377\\000\\200x'`, 10_000, 10_000)
    t.ok(bytes.output.equals(Buffer.from([1, 0xff, 0, 0x80, 0x78])), 'invalid UTF-8 is kept as it is')
    const lines = Array.from({ length: 20 }, (_, i) => `line-${i}-${'x'.repeat(500)}`)
    const seen: string[] = []
    console.onText(x => seen.push(x))
    const r = await shell.runFeeding({ receive: `head -n 20 > /tmp/.bcfeed-${process.pid}`, data: lines.join('\n') + '\n', stuckAfter: 5000 }, `wc -l < /tmp/.bcfeed-${process.pid}; rm -f /tmp/.bcfeed-${process.pid}`, 10_000, 10_000)
    t.equal(r.status, 0)
    t.equal(r.output.trim(), '20', 'the reader got every line')
    t.notMatch(seen.join(''), /line-5-x/, 'the typed input was not echoed')
    t.equal((await shell.run('echo after', 10_000, 10_000)).output, 'after\n', 'the shell is usable after')
  })
}

t.test('runFeeding: a reader left waiting (a lost newline) is ended by typed newlines', async t => {
  const { shell } = rig(t, '/bin/sh', ['-i'])
  const started = Date.now()
  // The reader wants 3 lines, 2 are typed: after stuckAfter a newline is typed.
  const r = await shell.runFeeding({ receive: `head -n 3 > /tmp/.bcstuck-${process.pid}`, data: 'a\nb\n', stuckAfter: 1000 }, `cat /tmp/.bcstuck-${process.pid}; rm -f /tmp/.bcstuck-${process.pid}`, 10_000, 10_000)
  t.ok(Date.now() - started >= 1000)
  t.equal(r.output, 'a\nb\n\n')
})

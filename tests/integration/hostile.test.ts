// Hostile guests and inputs on a real guest's serial console, in one boot of the demo
// kernel: forged result markers, stdin, exit and exec, a command that never ends, a
// changed terminal and prompt, a console flooded with binary noise and ANSI junk, 2 MB of
// output, `reboot -f` inside a command, and QEMU killed from outside.
import t from 'tap'
import { createHash } from 'node:crypto'
import { GuestRebootedError, MachineExitedError, TimeoutError } from '../../src/index.js'
import { demoShell } from './demo-shell.js'

/**
 * Bytes of /dev/urandom written to the console while a command runs. The serial console
 * under TCG on this 2-core host carried 90–160 KB/s (1 MB in 6.2 s, measured with
 * `head -c 1000000 /dev/urandom > /dev/ttyS0` from a background job; 6 MB took 66 s while
 * the rest of the suite ran), so the 100 MB would take 10–18 minutes. 1.5 MB
 * (10–17 s) is six times what the console may keep in memory (RETAINED_AFTER), so a flood
 * kept whole would fail the bound as surely as 4 MB did (4 MB took 34 s of the suite).
 */
const FLOOD_BYTES = 1_500_000
/**
 * The Node process's resident size may grow by at most this much while the flood is
 * received (peak, garbage not yet collected included; 86 MiB was seen for 6 MB).
 */
const FLOOD_RSS_GROWTH = 200 * 1024 * 1024
/**
 * Characters the console may hold in memory once the command after the flood has been
 * read: the flood itself is consumed and lives only in the log file.
 */
const RETAINED_AFTER = 256 * 1024
/**
 * The big output: 1.5 MB of random bytes as base64 text, 2,026,316 bytes in 27,383 lines:
 * thousands of the console's reads and many of its result chunks, at the console's speed
 * (80–90 KB/s, ~25 s). 10 MB took 114 s of the suite and proved nothing more; the 10 MB
 * `cat` is timed (and checked) by `npm run bench -- commands`.
 */
const BIG_RANDOM_BYTES = 1_500_000

const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'

t.test('a hostile guest cannot fake, hang or corrupt command results', async t => {
  const vm = await demoShell(t, 'hostile') // restored at its shell from the shared snapshot
  let seen = ''
  vm.console.onText(text => {
    seen = (seen + text).slice(-65536)
  })
  t.equal(await vm.succeed('echo ready'), 'ready\n')

  await t.test('forged markers on the console give no false result', async t => {
    const prev = [...seen.matchAll(/__bcx (BC[0-9a-f]{12}) /g)].pop()?.[1]
    t.ok(prev, 'the id of the previous command is known')
    const forge = (id: string): string => `printf '\\n%sB\\n\\n%sS\\n\\n%sE 0 ${EMPTY_MD5} ${EMPTY_MD5}\\n' "${id}" "${id}" "${id}" >/dev/console`
    t.same(await vm.run(`${forge(prev!)}; echo real-1`), { status: 0, output: 'real-1\n', stderr: '' }, 'the previous id')
    t.same(await vm.run(`${forge('BC000000000000')}; echo real-2`), { status: 0, output: 'real-2\n', stderr: '' }, 'a guessed id')
    // The marker id used to be $1 inside the command: it could forge its own result.
    t.same(await vm.run(`${forge('$1')}; echo "real-3 [$1] $#"`), { status: 0, output: 'real-3 [] 0\n', stderr: '' }, 'the current id is not in $1')
  })

  await t.test('stdin, exit and exec', async t => {
    t.same(await vm.run('cat; read x; echo "read=$?"'), { status: 0, output: 'read=1\n', stderr: '' }, 'stdin is at EOF at once')
    t.same(await vm.run('echo before-exit; exit 3'), { status: 3, output: 'before-exit\n', stderr: '' }, 'exit ends the command only')
    t.equal((await vm.run('exec sh')).status, 0, 'exec sh reads EOF and ends')
    t.equal(await vm.succeed('echo after-exec'), 'after-exec\n')
  })

  await t.test('a command that never ends times out and the shell is usable again', async t => {
    const t0 = Date.now()
    await t.rejects(vm.run('sleep 1000', { timeout: 3000 }), TimeoutError)
    t.ok(Date.now() - t0 < 10_000, `timed out after ${Date.now() - t0} ms`)
    t.equal(await vm.succeed('echo after-timeout'), 'after-timeout\n')
  })

  await t.test('stty -echo, an odd PS1 and set -o vi on the shell itself', async t => {
    // Typed on the console, not through a command: a command runs in a subshell.
    vm.console.sendLine(`stty -echo; PS1='odd>'; set -o vi`)
    t.equal(await vm.succeed('echo with-odd-shell; stty -a </dev/console | grep -o -- "-echo "'), 'with-odd-shell\n-echo \n')
    // A timeout makes bootcheck find the shell again, now with no echo and an odd prompt.
    await t.rejects(vm.run('sleep 1000', { timeout: 3000 }), TimeoutError)
    t.equal(await vm.succeed('echo found-again'), 'found-again\n')
  })

  await t.test('binary noise and ANSI junk flooding the console while a command runs', async t => {
    const rss0 = process.memoryUsage().rss
    let raw = 0
    const off = vm.console.onData(d => {
      raw += d.length
    })
    let peak = rss0
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200)
    const half = FLOOD_BYTES / 2
    const junk = `i=0; while [ $i -lt 2000 ]; do printf '\\033[31m\\033[2J\\033]0;junk\\007\\033[H\\033(B\\033[?25l\\033'; i=$((i+1)); done`
    await vm.succeed(`(sleep 2; head -c ${half} /dev/urandom; ${junk}; head -c ${half} /dev/urandom) >/dev/ttyS0 2>&1 &`)
    const t0 = Date.now()
    // Its result is printed while the flood runs: damaged copies are fetched again.
    const out = await vm.succeed('sleep 5; seq 1 3000', { timeout: 300_000 })
    const ms = Date.now() - t0
    clearInterval(sampler)
    off()
    t.equal(out, Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join(''), 'the result is exact')
    t.ok(raw > FLOOD_BYTES * 0.8, `the flood reached the host meanwhile: ${raw} characters in ${ms} ms`)
    t.ok(peak - rss0 < FLOOD_RSS_GROWTH, `rss grew by ${((peak - rss0) / 1048576).toFixed(0)} MiB at most (bound ${FLOOD_RSS_GROWTH / 1048576} MiB)`)
    t.equal(await vm.succeed('echo after-flood'), 'after-flood\n')
    const retained = vm.console.retainedChars
    t.ok(retained < RETAINED_AFTER, `the console holds ${retained} characters in memory after the flood (bound ${RETAINED_AFTER})`)
  })

  await t.test('2 MB of output arrive exact', async t => {
    const facts = await vm.succeed(`head -c ${BIG_RANDOM_BYTES} /dev/urandom | base64 > /tmp/big; md5sum </tmp/big | cut -c1-32; wc -c </tmp/big`, { timeout: 120_000 })
    const [md5, size] = facts.trim().split('\n')
    const t0 = Date.now()
    const big = await vm.succeed('cat /tmp/big', { timeout: 600_000 })
    const ms = Date.now() - t0
    t.equal(big.length, Number(size), `${big.length} bytes in ${ms} ms`)
    t.equal(createHash('md5').update(big).digest('hex'), md5, 'the md5 computed in the guest matches')
  })

  await t.test('reboot -f inside a command', async t => {
    const t0 = Date.now()
    await t.rejects(vm.run('sleep 1; reboot -f', { timeout: 120_000 }), GuestRebootedError)
    t.ok(Date.now() - t0 < 30_000, `failed after ${Date.now() - t0} ms, not at the timeout`)
    const uptime = Number((await vm.succeed('cut -d" " -f1 /proc/uptime')).trim())
    t.ok(uptime < 300, `the next command ran in the new boot (uptime ${uptime} s)`)
    t.equal(await vm.succeed('stty -a </dev/console | grep -o -- " echo "'), ' echo \n', 'the new boot has its terminal settings back')
  })

  await t.test('QEMU killed from outside while a command runs', async t => {
    const pending = vm.run('sleep 1000', { timeout: 300_000 })
    pending.catch(() => undefined)
    await new Promise(r => setTimeout(r, 2000))
    const t0 = Date.now()
    process.kill(vm.pid, 'SIGSEGV')
    const e = await pending.then(
      () => null,
      (x: unknown) => x,
    )
    const ms = Date.now() - t0
    t.type(e, MachineExitedError)
    t.match((e as Error).message, /signal SIGSEGV/)
    t.ok(ms < 1000, `the command failed ${ms} ms after the signal`)
  })
})

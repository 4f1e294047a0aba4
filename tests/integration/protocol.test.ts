// The command protocol on two real guests, busybox ash (the demo media) and bash (a Debian
// live-boot ISO with systemd), while a background job prints critical kernel messages on
// the same console all along: commands that print nothing (the one-line answer), exact
// stdout, stderr and status, all 256 byte values, and 20,000 lines with kernel messages cut
// out of the middle of the transfer. One QEMU at a time. Both guests are restored at their
// shell from the snapshots the guest tests share (guests.ts): a cold boot of each proves
// nothing here that debian-live.test.ts and console.test.ts do not.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import type { Machine } from '../../src/index.js'
import { guests } from './guests.js'

const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
// Made in the guest, one byte at a time: a short command line (a 1 KB line typed while the
// kernel floods the console loses characters in busybox's line editor).
const PRINT_BYTES = `i=0; while [ $i -lt 256 ]; do printf "\\\\$(printf %o $i)"; i=$((i+1)); done`
const SEQ = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('')
// Critical messages (printed on the console whatever the log level), one every ~30 ms.
const NOISE = `(i=0; while [ $i -lt 1500 ]; do i=$((i+1)); echo "<2>bootcheck-noise $i" > /dev/kmsg; usleep 30000 2>/dev/null || sleep 0.03; done) >/dev/null 2>&1 &`

async function protocolCases(t: Test, vm: Machine, shell: 'busybox' | 'bash'): Promise<void> {
  let seen = ''
  vm.console.onText(text => {
    seen += text
  })
  t.equal(await vm.succeed('if [ -n "$BASH_VERSION" ]; then echo bash; else echo busybox; fi'), `${shell}\n`, `commands run in ${shell}`)
  await vm.succeed(NOISE)

  for (let i = 0; i < 40; i++) {
    const r = await vm.run(i % 2 ? 'true' : `exit ${i % 7}`)
    if (r.status !== (i % 2 ? 0 : i % 7) || r.output !== '' || r.stderr !== '') t.fail(`command ${i}: ${JSON.stringify(r)}`)
  }
  t.pass('40 commands that print nothing came back with their status')
  t.match(seen, /\nBC[0-9a-f]{12}N 0\n/, 'as the one-line answer')

  t.same(await vm.run('echo out; echo err >&2; printf "no newline"; exit 3'), { status: 3, output: 'out\nno newline', stderr: 'err\n' })
  t.same(await vm.run('echo only-stderr >&2'), { status: 0, output: '', stderr: 'only-stderr\n' })

  t.equal(await vm.succeed(PRINT_BYTES), BYTES.toString('utf8'), 'all 256 byte values as the API gives them (UTF-8 text)')
  t.equal(await vm.succeed(`${PRINT_BYTES} | md5sum | cut -c1-32`), createHash('md5').update(BYTES).digest('hex') + '\n', 'and the guest printed those bytes')

  const before = seen.length
  t.equal(await vm.succeed('seq 1 20000', { timeout: 300_000 }), SEQ, '20,000 lines arrive exact')
  const transfer = seen.slice(before)
  const inside = /BC[0-9a-f]{12}B\n[A-Za-z0-9+/=\n]*\[[^\n]*bootcheck-noise \d+/.test(transfer)
  t.ok(inside, 'a kernel message was printed in the middle of the base64 block and cut out')
  t.equal(await vm.succeed('echo after-noise'), 'after-noise\n')
}

const SHELLS = { demo: 'busybox', debian: 'bash' } as const
for (const guest of guests) {
  const label = guest.name === 'demo' ? 'busybox ash (demo media)' : 'bash (Debian live-boot ISO, systemd, autologin on ttyS0)'
  t.test(label, async t => {
    await protocolCases(t, await guest.shell(t, `protocol-${SHELLS[guest.name]}`), SHELLS[guest.name])
  })
}

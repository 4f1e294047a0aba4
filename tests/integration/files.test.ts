// Files in and out of the guest over the serial console (vm.copyTo, vm.copyFrom), on each
// guest of guests.ts (the demo system and a stock Debian live ISO), restored from its
// snapshot at the shell: a 256 KB random file (6 chunks) there and back byte-identical, a chunk
// damaged on its way in typed again (a guest shell function `head` that garbles its first read), a
// result damaged on its way out fetched again (a `base64` function that garbles its first
// encoding), a reader left waiting by a lost newline ended by typed newlines, a folder
// there and back (tar on both sides), and a missing guest path failing with
// CommandFailedError naming it.
// The 9p side is in files-9p.test.ts (it needs a cold boot: shares cannot be snapshotted).
// The speed of a 5 MB copy is measured by bench/files.ts.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommandFailedError, type Machine } from '../../src/index.js'
import { guests } from './guests.js'

const root = mkdtempSync(join(tmpdir(), 'bootcheck-files-test-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))

/**
 * Defines a shell function over a command in the guest's shell (functions come before
 * commands; `command` inside it runs the real one, busybox's applet or GNU's program):
 * its first call whose output is larger than `over` bytes has it garbled (every A turned
 * into B); other calls give the real command's output.
 */
async function garbleFirstCall(vm: Machine, applet: string, over: number): Promise<void> {
  const out = `/tmp/fake-${applet}.out`
  vm.console.sendLine(
    `${applet}() { command ${applet} "$@" > ${out} || return $?; ` +
      `if [ ! -e /tmp/garbled-${applet} ] && [ $(wc -c < ${out}) -gt ${over} ]; then : > /tmp/garbled-${applet}; tr A B < ${out}; else cat ${out}; fi; }`,
  )
  await vm.succeed('true')
}

for (const guest of guests) {
  // each guest's host files in a folder of its own
  const dir = join(root, guest.name)
  mkdirSync(dir)
  t.test(`${guest.name}: copyFrom of a missing path fails with CommandFailedError naming the path`, async t => {
    const vm = await guest.shell(t, 'files-missing')
    const started = Date.now()
    await t.rejects(vm.copyFrom('/no/such/file.bin', join(dir, 'never')), { name: 'CommandFailedError', message: /\/no\/such\/file\.bin/ })
    const e = await vm.copyFrom('/dev/null', join(dir, 'never')).catch(e => e)
    t.ok(e instanceof CommandFailedError && /'\/dev\/null'/.test(e.message), 'a device is no file either')
    t.ok(Date.now() - started < 10_000, 'within seconds')
    await t.rejects(vm.copyTo(join(dir, 'nope'), '/tmp/x'), { name: 'SpecError', message: /cannot read the host file/ })
    writeFileSync(join(dir, 'small'), 'hi\n')
    await t.rejects(vm.copyTo(join(dir, 'small'), '/no/such/dir/x'), { name: 'CommandFailedError', message: /\/no\/such\/dir\/x/ })
    await t.rejects(vm.copyTo(join(dir, 'small'), 'relative/x'), { name: 'SpecError' })
    await t.rejects(vm.copyTo(join(dir, 'small'), '/tmp/x', { stuckAfter: 0 }), { name: 'SpecError', message: /stuckAfter is a positive number/ })
  })

  t.test(`${guest.name}: a folder to the guest and back over serial: files, subfolders, a link, modes`, async t => {
    const vm = await guest.shell(t, 'files-folder')
    const src = join(dir, 'folder')
    mkdirSync(join(src, 'sub', 'deeper'), { recursive: true })
    writeFileSync(join(src, 'b.txt'), 'hello\n')
    writeFileSync(join(src, 'with space.txt'), 'spaced\n')
    const bin = randomBytes(3000)
    writeFileSync(join(src, 'sub', 'deeper', 'c.bin'), bin)
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 })
    symlinkSync('b.txt', join(src, 'link'))
    const sent = await vm.copyTo(src, '/tmp/folder-in')
    t.equal(sent.files, 5, 'five files (the link is one)')
    t.equal(sent.via, 'serial')
    t.equal(await vm.succeed('cat /tmp/folder-in/b.txt "/tmp/folder-in/with space.txt"'), 'hello\nspaced\n')
    t.equal((await vm.succeed('md5sum < /tmp/folder-in/sub/deeper/c.bin')).split(' ')[0], createHash('md5').update(bin).digest('hex'), 'the binary file arrived intact')
    t.equal(await vm.succeed('/tmp/folder-in/run.sh'), 'ran\n', 'its mode came along')
    t.equal(await vm.succeed('readlink /tmp/folder-in/link'), 'b.txt\n', 'the link is a link')
    t.equal(await vm.succeed('ls -a /tmp/folder-in | grep -c bootcheck || true'), '0\n', 'no archive left behind')
    // into an existing folder: same names replaced, other files left
    await vm.succeed('echo old > /tmp/folder-in/b.txt && echo mine > /tmp/folder-in/guest-only.txt')
    await vm.copyTo(src, '/tmp/folder-in')
    t.equal(await vm.succeed('cat /tmp/folder-in/b.txt /tmp/folder-in/guest-only.txt'), 'hello\nmine\n')
    const back = join(dir, 'folder-back')
    const got = await vm.copyFrom('/tmp/folder-in', back)
    t.equal(got.files, 6)
    t.equal(readFileSync(join(back, 'guest-only.txt'), 'utf8'), 'mine\n')
    t.same(readFileSync(join(back, 'sub', 'deeper', 'c.bin')), bin)
    t.equal(readlinkSync(join(back, 'link')), 'b.txt')
    t.ok(statSync(join(back, 'run.sh')).mode & 0o100, 'executable on the host too')
    t.equal(await vm.succeed('ls /tmp | grep -c bootcheck-folder || true'), '0\n', 'the guest\'s archive is removed')
    await t.rejects(vm.copyFrom('/', join(dir, 'never')), { name: 'SpecError', message: /root '\/' cannot be copied as a whole/ })
    await t.rejects(vm.copyTo(src, '/tmp/folder-in/b.txt/x'), { name: 'CommandFailedError', message: /folder-in\/b\.txt\/x/ })
  })

  t.test(`${guest.name}: a chunk damaged on its way in is typed again; a damaged result on its way out is fetched again`, async t => {
    const vm = await guest.shell(t, 'files-damage')
    const data = randomBytes(120_000) // 3 chunks
    writeFileSync(join(dir, 'in.bin'), data)
    // The first chunk's text is garbled as it is read (one letter changed everywhere).
    await garbleFirstCall(vm, 'head', 1000)
    const up = await vm.copyTo(join(dir, 'in.bin'), '/root/in.bin')
    t.equal(up.via, 'serial')
    t.equal(up.chunks, 3)
    t.equal(up.resent, 1, 'the damaged chunk was sent once more')
    t.equal(await vm.succeed('test -e /tmp/garbled-head && md5sum < /root/in.bin'), `${createMd5(data)}  -\n`, 'the guest has the exact bytes')
    const actions = readFileSync(join(vm.artifactsDir, 'actions.jsonl'), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as { action: string; result?: string })
    t.ok(actions.some(a => a.action === 'copyChunk' && a.result === 'arrived damaged, sent again'), 'the resend is in the trace')
    t.ok(actions.some(a => a.action === 'copyTo' && /over serial, 3 chunks, 1 sent again/.test(a.result ?? '')), 'the copy says how it went')

    // The first base64 encoding of a command's output is garbled: the protocol's checksum fails and the chunk is fetched again.
    await garbleFirstCall(vm, 'base64', 10_000)
    const down = await vm.copyFrom('/root/in.bin', join(dir, 'back.bin'))
    t.ok(readFileSync(join(dir, 'back.bin')).equals(data), 'byte-identical')
    t.equal(await vm.succeed('test -e /tmp/garbled-base64 && echo garbled'), 'garbled\n', 'an output was garbled on the way')
    t.equal(down.via, 'serial')
  })

  t.test(`${guest.name}: a chunk whose reader is left waiting (a lost newline) is ended by typed newlines`, async t => {
    const vm = await guest.shell(t, 'files-stuck')
    // The first `head` waits for one line more than the chunk has, as when a newline is lost.
    vm.console.sendLine('head() { if [ ! -e /tmp/stuck-head ]; then : > /tmp/stuck-head; command head -n $(($2 + 1)); else command head "$@"; fi; }')
    await vm.succeed('true')
    const data = randomBytes(1000)
    writeFileSync(join(dir, 'stuck.bin'), data)
    const started = Date.now()
    const up = await vm.copyTo(join(dir, 'stuck.bin'), '/root/stuck.bin', { stuckAfter: 3000 })
    t.ok(Date.now() - started >= 3000, 'the copy waited stuckAfter for the stuck reader, then went on')
    t.equal(up.chunks, 1)
    t.equal(await vm.succeed('test -e /tmp/stuck-head && md5sum < /root/stuck.bin'), `${createMd5(data)}  -\n`, 'the guest has the exact bytes')
  })

  // 256 KB, 6 chunks, on each guest: the same path as 1 MB (22 chunks) in a quarter of the
  // time (1 MB took 62 s of the suite on Debian); bench/files.ts
  // measures the rate on 5 MB.
  const size = 256 * 1024
  t.test(`${guest.name}: a ${size >> 10} KB random file to the guest and back over serial, byte-identical`, async t => {
    const vm = await guest.shell(t, 'files-serial')
    const data = randomBytes(size)
    writeFileSync(join(dir, 'big.bin'), data)
    const up = await vm.copyTo(join(dir, 'big.bin'), '/root/big.bin', { timeout: 120_000 })
    t.equal(up.via, 'serial')
    t.equal(up.bytes, data.length)
    t.equal(await vm.succeed('md5sum < /root/big.bin'), `${createMd5(data)}  -\n`)
    const down = await vm.copyFrom('/root/big.bin', join(dir, 'big-back.bin'))
    t.ok(readFileSync(join(dir, 'big-back.bin')).equals(data), 'byte-identical after the round trip')
    t.comment(`copyTo ${(up.durationMs / 1000).toFixed(1)} s (${(data.length / 1e6 / (up.durationMs / 1000)).toFixed(3)} MB/s), copyFrom ${(down.durationMs / 1000).toFixed(1)} s (${(data.length / 1e6 / (down.durationMs / 1000)).toFixed(3)} MB/s)`)
    t.equal(await vm.succeed('ls /root | grep -c bcpart || true'), '0\n', 'no partial file left')
  })
}

function createMd5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex')
}

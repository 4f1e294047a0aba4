// The pure half of copying files over the console: chunks, routes, and the guest commands,
// run here in a local sh on real files (with GNU coreutils standing in for busybox).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  chooseRoute,
  chunkRanges,
  downloadChunkCommand,
  md5Hex,
  parseStat,
  statCommand,
  statIsFolder,
  UPLOAD_CHUNK,
  UPLOAD_LINE,
  uploadChunk,
  uploadFinishCommand,
  uploadPaths,
  uploadStartCommand,
} from '../../../src/guest/transfer.js'

const dir = mkdtempSync(join(tmpdir(), 'bootcheck-transfer-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const sh = (cmd: string, input?: string): { status: number; out: Buffer } => {
  try {
    return { status: 0, out: execFileSync('sh', ['-c', cmd], { input: input ?? '', stdio: ['pipe', 'pipe', 'ignore'] }) }
  } catch (e) {
    return { status: (e as { status: number }).status, out: (e as { stdout: Buffer }).stdout }
  }
}

t.test('chunk ranges cover the file exactly', async t => {
  t.same(chunkRanges(0, 10), [])
  t.same(chunkRanges(25, 10), [
    { index: 0, start: 0, end: 10 },
    { index: 1, start: 10, end: 20 },
    { index: 2, start: 20, end: 25 },
  ])
  t.equal(UPLOAD_CHUNK % 3, 0, 'an upload chunk is whole base64 groups')
  t.ok(UPLOAD_LINE < 4095, "a typed line stays far below the tty's canonical limit")
})

t.test('routes: large files over a share (a writable one out of the guest), small ones and no share over serial', async t => {
  const ro = { readOnly: true, guest: '/ro' }
  const rw: { guest: string; readOnly?: boolean } = { guest: '/rw' }
  t.same(chooseRoute(10, [rw], 'to', 64), { via: 'serial' })
  t.same(chooseRoute(100, [], 'to', 64), { via: 'serial' })
  t.same(chooseRoute(100, [ro, rw], 'to', 64), { via: '9p', share: ro }, 'the host writes a read-only share')
  t.same(chooseRoute(100, [ro, rw], 'from', 64), { via: '9p', share: rw })
  t.same(chooseRoute(100, [ro], 'from', 64), { via: 'serial' })
})

t.test('upload commands: a good chunk is appended, a damaged one is refused, the finish checks the whole file', async t => {
  const data = randomBytes(UPLOAD_CHUNK + 1000)
  const dest = join(dir, 'dest.bin')
  const paths = { ...uploadPaths(dest, 'tok'), text: join(dir, 'up.b64'), bytes: join(dir, 'up.bin') }
  t.equal(sh(uploadStartCommand(paths)).status, 0)
  const ranges = chunkRanges(data.length, UPLOAD_CHUNK)
  for (const r of ranges) {
    const chunk = uploadChunk(data.subarray(r.start, r.end), paths)
    t.ok(chunk.text.split('\n').every(l => l.length <= UPLOAD_LINE))
    t.equal(chunk.text.split('\n').length - 1, chunk.lines)
    // damaged: one letter changed in the typed text
    const bad = chunk.text.replace(/[A-Z]/, c => (c === 'A' ? 'B' : 'A'))
    t.equal(sh(`${chunk.receive}; ( ${chunk.check} )`, bad).status, 1, 'a damaged chunk fails its check')
    t.equal(sh(`${chunk.receive}; ( ${chunk.check} )`, chunk.text).status, 0, 'sent again, it passes')
  }
  t.equal(readFileSync(paths.part).length, data.length, 'only good chunks were appended')
  t.notOk(existsSync(paths.text), 'the chunk files are removed')
  t.equal(sh(uploadFinishCommand(paths, dest, data.length + 1, md5Hex(data))).status, 1, 'a wrong size fails')
  t.notOk(existsSync(paths.part), 'and removes the partial file')
  t.equal(sh(uploadStartCommand(paths)).status, 0)
  writeFileSync(paths.part, data)
  t.equal(sh(uploadFinishCommand(paths, dest, data.length, md5Hex(data))).status, 0)
  t.ok(readFileSync(dest).equals(data))
  t.equal(sh(uploadStartCommand(uploadPaths(join(dir, 'missing', 'x'), 't'))).status !== 0, true, 'a missing folder fails at the start')
})

t.test('stat and download commands read the exact bytes', async t => {
  const data = randomBytes(200_000)
  const file = join(dir, "it's.bin")
  writeFileSync(file, data)
  const st = sh(statCommand(file))
  t.same(parseStat(st.out.toString()), { size: data.length, md5: md5Hex(data) })
  t.not(sh(statCommand(join(dir, 'nope'))).status, 0)
  const folder = sh(statCommand(dir))
  t.equal(folder.status, 0)
  t.ok(statIsFolder(folder.out.toString()), 'a folder says so (copyFrom copies it as a folder)')
  t.equal(parseStat(folder.out.toString()), null)
  t.notOk(statIsFolder(st.out.toString()))
  t.not(sh(statCommand('/dev/null')).status, 0, 'a device is neither')
  t.equal(parseStat('garbage'), null)
  const parts = chunkRanges(data.length, 128 * 1024).map(r => sh(downloadChunkCommand(file, r.index, 128 * 1024)).out)
  t.ok(Buffer.concat(parts).equals(data))
})

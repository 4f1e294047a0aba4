// Pcap files merged a chunk at a time (src/net/pcap-files.ts): the same frames in the same
// order as the in-memory merge, across chunk boundaries (frames of random sizes, 5 MB of
// them), big-endian nanosecond input, a file cut inside a frame, empty and missing inputs;
// tcpdump reads the result; odd link types refused.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CaptureError } from '../../../src/errors/errors.js'
import { mergePcapFiles, PcapFileReader } from '../../../src/net/pcap-files.js'
import { mergePcaps, readPcap, writePcap, type Pcap } from '../../../src/net/pcap.js'
import { bigEndianNanoPcap } from './pcap-fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'bootcheck-pcap-files-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** `n` frames of random sizes (60–1514 bytes) at random, increasing times. */
function capture(n: number, seed: number): Pcap {
  let time = 1_700_000_000_000_000 + seed
  const packets = Array.from({ length: n }, () => {
    time += Math.floor(Math.random() * 3000)
    const data = randomBytes(60 + Math.floor(Math.random() * 1455))
    return { timeUs: time, length: data.length, data }
  })
  return { linkType: 1, snapLen: 65535, packets }
}

t.test('the same frames in the same order as the in-memory merge, over many chunks', async t => {
  const caps = [capture(2500, 0), capture(1200, 1), capture(10, 2)]
  const files = caps.map((c, i) => join(dir, `m${i}.pcap`))
  caps.forEach((c, i) => writeFileSync(files[i]!, writePcap(c)))
  writeFileSync(join(dir, 'empty.pcap'), '')
  const out = join(dir, 'merged.pcap')
  const { frames } = await mergePcapFiles([...files, join(dir, 'empty.pcap'), join(dir, 'missing.pcap')], out)
  t.equal(frames, 3710)
  const expected = writePcap(mergePcaps(caps))
  const got = readFileSync(out)
  t.ok(got.length > 2 * (1 << 20), `several chunks written (${got.length} bytes)`)
  t.ok(got.equals(expected), 'byte for byte the in-memory merge')
  const text = execFileSync('tcpdump', ['-nn', '-r', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })
  // a frame's line starts with its time; some random frames print more lines after it
  t.equal(text.split('\n').filter(l => /^\d\d:\d\d:\d\d\.\d{6} /.test(l)).length, 3710, 'tcpdump reads every frame')
})

t.test('big-endian nanoseconds in, a cut frame ends its file, link types must agree', async t => {
  writeFileSync(join(dir, 'be.pcap'), bigEndianNanoPcap())
  const a = capture(3, 9)
  writeFileSync(join(dir, 'cut.pcap'), writePcap(a).subarray(0, 24 + 16 + a.packets[0]!.data.length + 10))
  const out = join(dir, 'mixed.pcap')
  t.same(await mergePcapFiles([join(dir, 'be.pcap'), join(dir, 'cut.pcap')], out), { frames: 2 })
  const merged = readPcap(readFileSync(out))
  t.equal(merged.packets[0]!.timeUs, 5_000_007, 'nanoseconds to microseconds, ordered first')
  t.same(merged.packets[1]!.data, a.packets[0]!.data, 'the whole frame before the cut')
  const r = await PcapFileReader.open(join(dir, 'be.pcap'))
  t.equal(r!.linkType, 1)
  await r!.close()
  writeFileSync(join(dir, 'raw.pcap'), writePcap({ linkType: 101, snapLen: 65535, packets: [] }))
  await t.rejects(mergePcapFiles([join(dir, 'be.pcap'), join(dir, 'raw.pcap')], join(dir, 'x.pcap')), { name: 'CaptureError', code: 'BOOTCHECK_CAPTURE', message: /link types 1 and 101/ })
  t.throws(() => mergePcaps([a, { linkType: 101, snapLen: 65535, packets: [] }]), CaptureError, 'in memory too')
  writeFileSync(join(dir, 'junk.pcap'), Buffer.alloc(40))
  await t.rejects(mergePcapFiles([join(dir, 'junk.pcap')], join(dir, 'y.pcap')), { code: 'BOOTCHECK_CAPTURE', message: /junk\.pcap: not a pcap file/ })
  t.throws(() => readPcap(Buffer.alloc(10)), { code: 'BOOTCHECK_CAPTURE', message: /the header alone is 24/ })
  t.same(await mergePcapFiles([], join(dir, 'none.pcap')), { frames: 0 }, 'no inputs: an empty capture')
  t.equal(readPcap(readFileSync(join(dir, 'none.pcap'))).packets.length, 0)
})

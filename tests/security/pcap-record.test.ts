// #26 Low: a pcap file with a damaged record length (a capture from a hostile or killed
// writer) must end in a named error, not in Node aborting while allocating gigabytes.
// The merge runs in a child process, since the unfixed code kills the process natively.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../../src/net/pcap-files.ts', import.meta.url))

t.test('a record claiming 4 GiB is a NetworkError naming the file', async t => {
  const dir = t.testdir()
  const head = Buffer.alloc(24)
  head.writeUInt32LE(0xa1b2c3d4, 0)
  head.writeUInt16LE(2, 4)
  head.writeUInt16LE(4, 6)
  head.writeUInt32LE(65535, 16)
  head.writeUInt32LE(1, 20)
  const rec = Buffer.alloc(16)
  rec.writeUInt32LE(0xfffffff0, 8)
  rec.writeUInt32LE(0xfffffff0, 12)
  const file = join(dir, 'bad.pcap')
  writeFileSync(file, Buffer.concat([head, rec, Buffer.alloc(64)]))
  const script = `import { mergePcapFiles } from ${JSON.stringify(src)}
try { await mergePcapFiles([${JSON.stringify(file)}], ${JSON.stringify(join(dir, 'out.pcap'))}); console.log('merged') }
catch (e) { console.log('error', e.name, e.message); process.exitCode = 3 }`
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 3, `a caught error, not a crash (status ${r.status}, signal ${r.signal}, stderr ${r.stderr.slice(0, 300)})`)
  t.match(r.stdout, /error NetworkError .*bad\.pcap.*damaged/)
})

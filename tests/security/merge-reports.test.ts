// Attacks on `bootcheck merge-reports` through a shard's folder or archive, which another CI
// job produced: host files pulled into the report (#26 item 1), setuid members (item 2),
// a shard index used as a path and values rendered as markup (item 4), sizes that fill
// memory (item 8) and records of the wrong shape (Low). Each was seen to fail before the fix.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mergeReports } from '../../src/runner/merge.js'
import { UsageError } from '../../src/errors/errors.js'
import { machineOf, shardRecord, writeShard } from './shard-fixture.js'

const quiet = { write: () => true } as unknown as NodeJS.WritableStream
const SECRET = 'TOKEN-do-not-leak-8f3a'

t.test('1: a screen or transcript path outside the shard is not read into the report', async t => {
  const dir = t.testdir({ secret: SECRET })
  const shard = join(dir, 'shard')
  const r = shardRecord(shard)
  const m = machineOf(r)
  m.transcript = join(dir, 'secret')
  m.screens = [{ name: 's', actual: join(dir, 'secret') }]
  writeShard(shard, r)
  await mergeReports({ inputs: [shard], out: join(dir, 'out'), stderr: quiet })
  const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8')
  t.notMatch(html, SECRET, 'the secret file is not inlined as text')
  t.notMatch(html, Buffer.from(SECRET).toString('base64').slice(0, 16), 'nor as a data: URI')
})

t.test('1: a symlink member artifacts/console.log -> a host file is not followed', async t => {
  const dir = t.testdir({ secret: SECRET })
  const shard = join(dir, 'shard')
  const r = shardRecord(shard)
  writeShard(shard, r)
  symlinkSync(join(dir, 'secret'), join(shard, 'artifacts', 'm', 'console.log'))
  machineOf(r).transcript = join(shard, 'artifacts', 'm', 'console.log')
  writeShard(shard, r)
  const archive = join(dir, 'shard.tar.gz')
  execFileSync('tar', ['-czf', archive, '-C', shard, '.'])
  await mergeReports({ inputs: [archive], out: join(dir, 'out'), stderr: quiet })
  t.notMatch(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), SECRET)
  const copied = join(dir, 'out', 'shards', '1', 'artifacts', 'm', 'console.log')
  t.notOk(existsSync(copied) && lstatSync(copied).isSymbolicLink(), 'no link left in the merged folder')
})

t.test('2: setuid members lose their special bits (archive and folder)', async t => {
  const dir = t.testdir()
  const shard = join(dir, 'shard')
  writeShard(shard, shardRecord(shard))
  const tool = join(shard, 'artifacts', 'm', 'tool')
  writeFileSync(tool, '#!/bin/sh\nid\n')
  chmodSync(tool, 0o6755)
  const archive = join(dir, 'shard.tar.gz')
  execFileSync('tar', ['-czf', archive, '-C', shard, '.'])
  for (const [input, out] of [[archive, 'out-a'], [shard, 'out-f']] as const) {
    await mergeReports({ inputs: [input], out: join(dir, out), stderr: quiet })
    const mode = lstatSync(join(dir, out, 'shards', '1', 'artifacts', 'm', 'tool')).mode
    t.equal(mode & 0o7000, 0, `${out}: no setuid/setgid/sticky (mode ${(mode & 0o7777).toString(8)})`)
  }
})

t.test('4: a shard index that climbs out of --out is refused before anything is written', async t => {
  const dir = t.testdir()
  const shard = join(dir, 'shard')
  const r = shardRecord(shard) as unknown as { shard: { index: unknown } }
  r.shard.index = '../../escaped'
  writeShard(shard, r)
  const out = join(dir, 'a', 'b', 'out')
  await t.rejects(mergeReports({ inputs: [shard], out, stderr: quiet }), UsageError)
  t.notOk(existsSync(join(dir, 'a', 'b', 'escaped')), 'nothing written outside --out')
  t.notOk(existsSync(out), 'no half output')
})

t.test('4: non-string counts, statuses and numbers are refused (no stored XSS), and the report has a CSP', async t => {
  const dir = t.testdir()
  const xss = '<img src=x onerror=alert(1)>'
  const cases: Array<[string, (r: ReturnType<typeof shardRecord>) => void]> = [
    ['counts', r => void ((r.counts as unknown as Record<string, unknown>).passed = xss)],
    ['status', r => void ((r as unknown as Record<string, unknown>).status = xss)],
    ['memoryMiB', r => void ((machineOf(r) as unknown as Record<string, unknown>).memoryMiB = xss)],
    ['offsetMs', r => void (machineOf(r).filmstrip = [{ file: join(r.dir, 'f.png'), offsetMs: xss as unknown as number, at: 'x', console: [] }])],
    ['outcome', r => void (machineOf(r).actions = [{ id: 1, action: 'a', args: {}, start: 'x', offsetMs: 0, durationMs: 0, outcome: xss as 'ok' }])],
  ]
  for (const [field, poison] of cases) {
    const shard = join(dir, field)
    const r = shardRecord(shard)
    poison(r)
    writeShard(shard, r)
    const out = join(dir, `out-${field}`)
    const merged = await mergeReports({ inputs: [shard], out, stderr: quiet }).then(() => 'merged', (e: Error) => e)
    const html = existsSync(join(out, 'report.html')) ? readFileSync(join(out, 'report.html'), 'utf8') : ''
    t.notMatch(html, xss, `${field}: no raw markup in the report`)
    t.type(merged, UsageError, `${field}: refused`)
    if (merged instanceof UsageError) t.match(merged.message, /results\.json/)
  }
  const shard = join(dir, 'good')
  writeShard(shard, shardRecord(shard))
  await mergeReports({ inputs: [shard], out: join(dir, 'out-good'), stderr: quiet })
  t.match(readFileSync(join(dir, 'out-good', 'report.html'), 'utf8'), /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/)
})

t.test('8: a huge shard total and a /dev/zero screen do not exhaust memory', async t => {
  const dir = t.testdir()
  const big = join(dir, 'big')
  const r = shardRecord(big, 1, 3_000_000)
  writeShard(big, r)
  await t.rejects(mergeReports({ inputs: [big], out: join(dir, 'out-big'), stderr: quiet }), UsageError, 'total refused')
  const zero = join(dir, 'zero')
  const z = shardRecord(zero)
  machineOf(z).screens = [{ name: 's', actual: '/dev/zero' }]
  machineOf(z).transcript = '/dev/zero'
  writeShard(zero, z)
  const before = process.memoryUsage().rss
  await mergeReports({ inputs: [zero], out: join(dir, 'out-zero'), stderr: quiet })
  t.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'memory stays bounded')
})

t.test('Low: malformed results.json is a UsageError naming file and field, with no half output', async t => {
  const dir = t.testdir()
  for (const [label, record] of [
    ['files-null', { ...shardRecord(join(dir, 'x')), files: [null] }],
    ['tests-string', { ...shardRecord(join(dir, 'x')), files: [{ file: 'a', status: 'passed', durationMs: 1, tap: '', machines: [], tests: 'x' }] }],
    ['host-hostname', { ...shardRecord(join(dir, 'x')), host: { hostname: 5, cpus: 1, memoryMiB: 1, budgetMiB: 1, jobs: 1 } }],
  ] as const) {
    const shard = join(dir, label)
    writeShard(shard, record)
    const out = join(dir, `out-${label}`)
    const e = await mergeReports({ inputs: [shard], out, stderr: quiet }).catch((x: Error) => x)
    t.type(e, UsageError, `${label}: UsageError (got ${(e as Error)?.name}: ${(e as Error)?.message})`)
    t.match((e as Error).message, /results\.json.*(files|host)/, `${label}: names the file and field`)
    t.notOk(existsSync(out) && readdirSync(out).length, `${label}: no half output`)
  }
  mkdirSync(join(dir, 'unused'))
})

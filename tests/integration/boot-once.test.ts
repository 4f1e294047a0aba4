// bootOnce under `bootcheck run`, as a suite uses it: two test files asking for the same
// state boot it once (one makes the snapshot, the other waits for it); the next run boots
// nothing (its consoles show no boot); --fresh makes it again; a changed medium makes a
// new one; `bootcheck snapshots list|prune` show and remove them.
import t from 'tap'
import { execa } from 'execa'
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunRecord } from '../../src/report/model.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { buildPackage, cli, root } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

/** A test file restoring the demo ISO booted to a shell with a file written by `until`. */
function bootOnceFile(name: string, iso: string): string {
  return [
    `import t from 'tap'`,
    `import { bootOnce } from ${JSON.stringify(join(root, 'src', 'index.js'))}`,
    `const made = async vm => { await vm.succeed('echo made-once > /root/made') }`,
    `t.test(${JSON.stringify(name)}, async t => {`,
    `  const vm = await bootOnce(t, { name: 'demo', cdrom: ${JSON.stringify(iso)} }, { until: made })`,
    `  t.equal(await vm.succeed('cat /root/made'), 'made-once\\n')`,
    `  await vm.succeed('echo ${name} > /root/mine')`,
    `  t.equal(await vm.succeed('cat /root/mine'), '${name}\\n')`,
    `})`,
  ].join('\n')
}

t.test('two files, three runs: booted once, then restored from the cache, --fresh, a changed medium', async t => {
  const dir = t.testdir({})
  const iso = join(dir, 'live.iso')
  copyFileSync(media.iso, iso)
  writeFileSync(join(dir, 'a.test.ts'), bootOnceFile('a', iso))
  writeFileSync(join(dir, 'b.test.ts'), bootOnceFile('b', iso))
  const env = { ...process.env, BOOTCHECK_SNAPSHOTS: join(dir, 'snapshots') }
  const run = async (...args: string[]) => {
    const r = await execa(process.execPath, [cli, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'plain', '--jobs', '2', '--memory', '4G', ...args], { cwd: dir, env, reject: false })
    const results = JSON.parse(await readFile(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
    const machines = results.files.flatMap(f => f.tests.flatMap(x => x.machines))
    return { ...r, results, booted: machines.filter(m => m.machine === 'demo.boot-once'), restored: machines.filter(m => m.machine === 'demo') }
  }
  const snapshots = (...args: string[]) => execa(process.execPath, [cli, 'snapshots', ...args], { cwd: dir, env, reject: false })
  const bootedIn = (transcript: string | undefined): boolean => transcript !== undefined && /Linux version|stage-1/.test(readFileSync(transcript, 'utf8'))

  const first = await run('a.test.ts', 'b.test.ts')
  t.equal(first.exitCode, 0, 'both files pass', { stderr: first.stderr })
  t.equal(first.booted.length, 1, 'one machine booted for both files')
  t.equal(first.restored.length, 2, 'each file got a restored machine')
  t.ok(bootedIn(first.booted[0]?.transcript), 'the one that booted shows its boot')

  const second = await run('a.test.ts', 'b.test.ts')
  t.equal(second.exitCode, 0, 'the second run passes', { stderr: second.stderr })
  t.equal(second.booted.length, 0, 'the second run boots nothing')
  t.notOk(second.restored.some(m => bootedIn(m.transcript)), 'no console of the second run shows a boot')

  const fresh = await run('--fresh', 'a.test.ts', 'b.test.ts')
  t.equal(fresh.exitCode, 0, { stderr: fresh.stderr })
  t.equal(fresh.booted.length, 1, '--fresh boots once again')

  appendFileSync(iso, Buffer.alloc(2048))
  const changed = await run('a.test.ts')
  t.equal(changed.exitCode, 0, { stderr: changed.stderr })
  t.equal(changed.booted.length, 1, 'a changed medium boots again')

  const list = await snapshots('list', '--json')
  t.equal(list.exitCode, 0, list.stderr)
  const entries = JSON.parse(list.stdout) as Array<{ key: string; name: string; bytes: number }>
  t.equal(entries.length, 2, 'two entries: one per ISO content')
  t.ok(entries.every(e => e.name === 'demo' && e.bytes > 10e6), 'named after the machine, with their sizes')
  t.match((await snapshots('list')).stdout, /2 snapshot\(s\)/)
  const pruned = await snapshots('prune')
  t.match(pruned.stdout, /removed 2 snapshot\(s\)/)
  t.notOk(entries.some(e => existsSync(join(dir, 'snapshots', e.key))), 'their folders are gone')
  t.match((await snapshots('list')).stdout, /no cached snapshots/)
  t.equal((await snapshots('nope')).exitCode, 2, 'an unknown subcommand is a usage error')
})

// Failure capsules on real QEMU: a test file run by `bootcheck run` fails by design after
// leaving a mark in its guest; its capsule is in the run folder; the run folder is moved,
// and `bootcheck resume` (in a pseudo-terminal) brings the machine back at the failing step
// with the mark there. A medium gone (found again with --media, as on another host) or
// changed is a named error before any QEMU starts. Two machines on a network fail together
// and are resumed together on a new switch: they still reach each other. A machine with a
// 9p share is saved (the share unmounted first) and resumed only with its folder given
// again (a missing one is a named error); a passing test leaves no capsule, and
// --no-capsule none at all.
import t from 'tap'
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { demoMedia, params } from '../../vm-configs/demo.js'
import { resume, SnapshotMismatchError, type CapsuleManifest } from '../../src/index.js'
import { alive } from './process.js'
import { sleep } from '../../src/util/sleep.js'
import { buildPackage, cli, root, spawnOnPty } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()
const importApi = `import { boot, bootAll, network } from ${JSON.stringify(join(root, 'src', 'index.js'))}`

/** Runs `bootcheck run` on one file in `dir`; returns its output and the run folder. */
async function run(dir: string, file: string, ...options: string[]): Promise<{ exitCode: number; output: string; runDir: string }> {
  const runsDir = join(dir, `runs${options.length ? '-options' : ''}`)
  const r = await execa(process.execPath, [cli, 'run', '--progress', 'plain', '--runs-dir', runsDir, ...options, file], { cwd: dir, reject: false, all: true })
  const runs = readdirSync(runsDir).filter(n => n !== 'latest')
  return { exitCode: r.exitCode ?? -1, output: r.all ?? '', runDir: join(runsDir, runs[0]!) }
}

/** The capsule folders under a run folder. */
function capsulesIn(dir: string, found: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue
    if (e.name === 'capsule' && existsSync(join(dir, e.name, 'capsule.json'))) found.push(join(dir, e.name))
    else capsulesIn(join(dir, e.name), found)
  }
  return found
}

t.test('a failed test leaves a capsule; bootcheck resume brings the machine back with its mark, from a moved run folder', async t => {
  const dir = t.testdir({})
  // The media are copies, so that this test may move and change them.
  mkdirSync(join(dir, 'media'))
  for (const f of ['iso', 'kernel', 'initrd'] as const) copyFileSync(media[f], join(dir, 'media', f))
  const mediaAt = (f: string): string => JSON.stringify(join(dir, 'media', f))
  const spec = `name: 'kept', memory: '512M', cdrom: ${mediaAt('iso')}, kernel: ${mediaAt('kernel')}, initrd: ${mediaAt('initrd')}, kernelParams: ${JSON.stringify(params(media))}`
  const file = [
    `import t from 'tap'`,
    importApi,
    `t.test('leaves a mark, then fails', async t => {`,
    `  const vm = await boot(t, { ${spec} })`,
    `  await vm.succeed('echo capsule-mark-$((6*7)) > /tmp/mark')`,
    `  await vm.succeed('cat /tmp/no-such-file')`,
    `})`,
  ].join('\n')
  await import('node:fs/promises').then(fs => fs.writeFile(join(dir, 'broken.test.ts'), file))
  const { exitCode, output, runDir } = await run(dir, 'broken.test.ts')
  t.equal(exitCode, 1, 'the run fails')
  const [capsule] = capsulesIn(runDir)
  t.ok(capsule, 'a capsule in the run folder')
  if (!capsule) return void t.comment(output.slice(-3000))
  const m = JSON.parse(readFileSync(join(capsule, 'capsule.json'), 'utf8')) as CapsuleManifest
  const kept = m.machines[0]!
  t.equal(kept.name, 'kept')
  t.match(kept.failingStep, { action: 'succeed', args: { command: 'cat /tmp/no-such-file' }, error: /CommandFailedError/ }, 'the failing step is recorded')
  t.ok(kept.stateBytes! > 1e6 && existsSync(join(capsule, kept.dir!, 'state.bin')), 'the state is saved')
  t.comment(`capsule of a 512 MiB demo machine: ${(kept.stateBytes! / 1e6).toFixed(1)} MB of state, saved in ${kept.saveMs} ms`)
  t.match(output, /capsule of kept \(\d+ MB, [\d.]+ s\): bootcheck resume /, 'the output says where the capsule is')

  // The run folder moves: the capsule's own paths are relative.
  const moved = join(dir, 'elsewhere')
  renameSync(runDir, moved)
  const { term, exited, waitFor, output: seen } = spawnOnPty(process.execPath, [cli, 'resume', moved, '--ui'], { cwd: dir })
  t.teardown(() => term.kill('SIGKILL'))
  let at = await waitFor(/kept: step \d+ succeed\("cat \/tmp\/no-such-file".*\) failed: CommandFailedError/, 30_000)
  at = await waitFor(/kept resumed from .* in ([\d.]+) s/, 60_000, at)
  t.comment(`resumed in ${/kept resumed from .* in ([\d.]+) s/.exec(seen())![1]} s`)
  at = await waitFor(/live view (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/, 10_000, at)
  const url = new URL(/live view (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(seen())![1]!)
  const state = (await (await fetch(new URL(`/api/state${url.search}`, url))).json()) as { machines: Array<{ machine: string; running: boolean }> }
  t.match(state.machines, [{ machine: 'kept', running: true }], 'the live view shows the resumed machine running')
  at = await waitFor(/serial console of kept/, 10_000, at)
  await sleep(300)
  term.write('cat /tmp/mark\r')
  at = await waitFor(/capsule-mark-42/, 30_000, at)
  t.pass('the resumed guest has the mark the test left before it failed')
  term.write('\x1dq')
  const exit = await exited
  t.equal(exit.exitCode, 0, 'leaving ends resume with 0')

  // A medium gone: a named error at once; found again with --media (another host's layout).
  const movedCapsule = capsulesIn(moved)[0]!
  renameSync(join(dir, 'media'), join(dir, 'media-here'))
  let started = Date.now()
  await t.rejects(resume(movedCapsule), { name: 'SnapshotMismatchError', message: /cdrom '.*\/media\/iso': gone/ })
  t.ok(Date.now() - started < 1000, `a gone medium is named in ${Date.now() - started} ms`)
  const r = await resume(movedCapsule, { mediaDirs: [join(dir, 'media-here')] })
  try {
    t.equal(await r.machines.kept!.succeed('cat /tmp/mark'), 'capsule-mark-42\n', 'with --media the capsule resumes from the media found there')
  } finally {
    await r.close()
  }
  t.notOk(alive(r.machines.kept!.pid), 'no QEMU left')

  // A medium changed: a named error naming the file, before any QEMU starts.
  appendFileSync(join(dir, 'media-here', 'kernel'), 'x')
  started = Date.now()
  const e = await resume(movedCapsule, { mediaDirs: [join(dir, 'media-here')] }).catch((x: unknown) => x)
  const took = Date.now() - started
  t.ok(e instanceof SnapshotMismatchError, 'SnapshotMismatchError')
  t.match((e as Error).message, /kernel '.*media-here\/kernel': changed since the capsule was saved/)
  t.ok(took < 1000, `a changed medium is named in ${took} ms`)
})

t.test('two machines on a network fail together and are resumed together: they still reach each other', async t => {
  const dir = t.testdir({})
  const live = `cdrom: ${JSON.stringify(media.iso)}, kernel: ${JSON.stringify(media.kernel)}, initrd: ${JSON.stringify(media.initrd)}, kernelParams: ${JSON.stringify(params(media))}, memory: '256M'`
  const file = [
    `import t from 'tap'`,
    importApi,
    `const up = async (vm, lan, address) => { const dev = await vm.interfaceName(lan); await vm.succeed('ip link set ' + dev + ' up && ip addr add ' + address + '/24 dev ' + dev) }`,
    `t.test('pings, then fails', async t => {`,
    `  const lan = await network(t, { name: 'lan' })`,
    `  const { a, b } = await bootAll(t, { a: { ${live}, nics: [lan] }, b: { ${live}, nics: [lan] } })`,
    `  await up(a, lan, '10.0.0.1'); await up(b, lan, '10.0.0.2')`,
    `  await a.waitUntilSucceeds('ping -c 1 -W 1 10.0.0.2', { timeout: 30_000 })`,
    `  await b.succeed('echo b-was-here > /tmp/mark')`,
    `  t.fail('fails by design')`,
    `})`,
  ].join('\n')
  await import('node:fs/promises').then(fs => fs.writeFile(join(dir, 'net.test.ts'), file))
  const { exitCode, output, runDir } = await run(dir, 'net.test.ts')
  t.equal(exitCode, 1, 'the run fails')
  const [capsule] = capsulesIn(runDir)
  t.ok(capsule, 'a capsule in the run folder')
  if (!capsule) return void t.comment(output.slice(-3000))
  const m = JSON.parse(readFileSync(join(capsule, 'capsule.json'), 'utf8')) as CapsuleManifest
  t.same(m.machines.map(x => x.name).sort(), ['a', 'b'], 'both machines are in the capsule')
  t.same(m.networks, [{ name: 'lan', machines: m.machines.map(x => x.name) }], 'with their network')
  t.match(m.failures, ['fails by design'])
  t.comment(`capsule of two 256 MiB machines: ${m.machines.map(x => `${x.name} ${(x.stateBytes! / 1e6).toFixed(1)} MB in ${x.saveMs} ms`).join(', ')}`)
  const r = await resume(capsule)
  try {
    t.same(r.networks.map(n => n.name), ['lan'])
    t.equal(await r.machines.b!.succeed('cat /tmp/mark'), 'b-was-here\n')
    await r.machines.a!.succeed('ping -c 1 -W 5 10.0.0.2')
    await r.machines.b!.succeed('ping -c 1 -W 5 10.0.0.1')
    t.pass('the resumed machines reach each other over the new switch')
  } finally {
    await r.close()
  }
  t.match(r.failure.join('\n'), /fails by design/)
})

t.test('a machine with a share is saved and resumed with its folder shared again only when asked; a passing test and --no-capsule leave no capsule', async t => {
  const dir = t.testdir({ shared: { 'hello.txt': 'hi\n' } })
  const live = `cdrom: ${JSON.stringify(media.iso)}, kernel: ${JSON.stringify(media.kernel)}, initrd: ${JSON.stringify(media.initrd)}, kernelParams: ${JSON.stringify(params(media))}, memory: '256M'`
  const file = [
    `import t from 'tap'`,
    importApi,
    `t.test('shares a folder, then fails', async t => {`,
    `  const vm = await boot(t, { name: 'sharer', ${live}, shares: [{ host: ${JSON.stringify(join(dir, 'shared'))}, guest: '/mnt/shared' }] })`,
    `  t.equal(await vm.succeed('cat /mnt/shared/hello.txt'), 'bye\\n')`,
    `})`,
    `t.test('passes', async t => {`,
    `  const vm = await boot(t, { name: 'fine', ${live} })`,
    `  await vm.succeed('true')`,
    `})`,
  ].join('\n')
  await import('node:fs/promises').then(fs => fs.writeFile(join(dir, 'others.test.ts'), file))
  const { exitCode, output, runDir } = await run(dir, 'others.test.ts')
  t.equal(exitCode, 1, 'the run fails')
  const capsules = capsulesIn(runDir)
  t.equal(capsules.length, 1, 'one capsule: the passing test has none')
  if (capsules.length !== 1) return void t.comment(output.slice(-3000))
  const m = JSON.parse(readFileSync(join(capsules[0]!, 'capsule.json'), 'utf8')) as CapsuleManifest
  t.match(m.machines, [{ name: 'sharer', dir: 'sharer', shares: [{ host: join(dir, 'shared'), guest: '/mnt/shared' }] }], 'the sharer is saved (its share unmounted first) and its share recorded')
  t.notOk(m.machines[0]!.notSaved)
  await t.rejects(resume(runDir), { name: 'CapsuleError', message: /sharer shared '.*shared' at \/mnt\/shared with 9p: resume it with the folders shared again/ }, 'a capsule shares no host folder unless asked')
  await t.rejects(resume(runDir, { shares: { '/mnt/shared': join(dir, 'gone') } }), { name: 'CapsuleError', message: /needs the folder it shared at \/mnt\/shared: '.*gone' does not exist/ }, 'a share folder that is not there is a named error')
  const r = await resume(runDir, { shares: 'recorded' })
  try {
    await import('node:fs/promises').then(fs => fs.writeFile(join(dir, 'shared', 'later.txt'), 'written after the failure\n'))
    t.equal(await r.machines.sharer!.succeed('cat /mnt/shared/later.txt'), 'written after the failure\n', 'resumed with its share mounted again')
  } finally {
    await r.close()
  }
  const off = await run(dir, 'others.test.ts', '--no-capsule', '--grep', 'shares')
  t.equal(off.exitCode, 1)
  t.same(capsulesIn(off.runDir), [], '--no-capsule: no capsule')
})

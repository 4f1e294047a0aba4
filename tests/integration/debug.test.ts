// `bootcheck run --debug` in a real pseudo-terminal: a failing test keeps its machine, the
// terminal attaches to its serial console, the guest answers typed commands, and Ctrl-] q
// powers it off so the run goes on and ends as failed, with no QEMU left.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoMedia } from '../../vm-configs/demo.js'
import { alive } from './process.js'
import { sleep } from '../../src/util/sleep.js'
import { buildPackage, cli, directBootFields, importBoot, spawnOnPty } from './cli-helpers.js'

const media = await demoMedia()
await buildPackage()

t.test('--debug attaches the terminal to the machine of a failing test', async t => {
  const dir = t.testdir({
    'broken.test.ts': [
      `import t from 'tap'`,
      importBoot,
      `t.test('expects too much', async t => {`,
      `  const vm = await boot(t, { name: 'kept', ${directBootFields(media)} })`,
      `  await vm.succeed('echo marker-file > /tmp/left-by-test')`,
      `  t.equal(await vm.succeed('echo 1'), '2\\n')`,
      `})`,
    ].join('\n'),
  })
  const { term, exited, waitFor, output } = spawnOnPty(process.execPath, [cli, 'run', '--debug', '--runs-dir', join(dir, 'runs'), 'broken.test.ts'], { cwd: dir })
  t.teardown(() => term.kill('SIGKILL'))

  let at = await waitFor(/'expects too much' failed; kept is kept running\. Artifacts: (\S+)/, 180_000)
  const artifacts = /Artifacts: (\S+)/.exec(output())![1]!
  const pid = (JSON.parse(readFileSync(join(artifacts, 'machine.json'), 'utf8')) as { pid: number }).pid
  t.ok(alive(pid), `QEMU ${pid} still runs after the failure`)
  at = await waitFor(/Serial console of kept\. Ctrl-\] q: power off and go on/, 10_000, at)
  term.write('cat /tmp/left-by-test\r')
  at = await waitFor(/^marker-file\r?$/m, 30_000, at)
  t.pass('the guest is the one the test left: its file is there')
  term.write('\x1dq')
  at = await waitFor(/powered off/, 60_000, at)
  const exit = await exited
  t.equal(exit.exitCode, 1, 'the run ends as failed')
  t.match(output().slice(at), /✗ broken\.test\.ts › expects too much/)
  await sleep(500)
  t.notOk(alive(pid), 'no QEMU left')
})

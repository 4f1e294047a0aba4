// `bootcheck run --debug` in a real pseudo-terminal: a failing test keeps its machine, the
// terminal attaches to its serial console, the guest answers typed commands, and Ctrl-] q
// powers it off so the run goes on and ends as failed, with no QEMU left.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as pty from 'node-pty'
import { demoMedia, params } from './media.js'
import { alive } from './process.js'
import { sleep } from '../../src/util/sleep.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = join(root, 'bin', 'bootcheck.js')
const media = await demoMedia()
const build = await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, reject: false })
if (build.exitCode !== 0) throw new Error(`the package does not compile: ${build.stdout}${build.stderr}`)

t.test('--debug attaches the terminal to the machine of a failing test', async t => {
  const dir = t.testdir({
    'broken.test.ts': [
      `import t from 'tap'`,
      `import { boot } from ${JSON.stringify(join(root, 'src', 'index.js'))}`,
      `t.test('expects too much', async t => {`,
      `  const vm = await boot(t, { name: 'kept', cdrom: ${JSON.stringify(media.iso)}, kernel: ${JSON.stringify(media.kernel)}, initrd: ${JSON.stringify(media.initrd)}, kernelParams: ${JSON.stringify(params(media))} })`,
      `  await vm.succeed('echo marker-file > /tmp/left-by-test')`,
      `  t.equal(await vm.succeed('echo 1'), '2\\n')`,
      `})`,
    ].join('\n'),
  })
  const term = pty.spawn(process.execPath, [cli, 'run', '--debug', '--runs-dir', join(dir, 'runs'), 'broken.test.ts'], { cwd: dir, cols: 120, rows: 40, env: process.env as Record<string, string> })
  let raw = ''
  term.onData(d => void (raw += d))
  const exited = new Promise<{ exitCode: number }>(resolve => term.onExit(resolve))
  const output = (): string => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
  async function waitFor(pattern: RegExp, timeout: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeout
    while (Date.now() < deadline) {
      const m = pattern.exec(output().slice(from))
      if (m) return from + m.index + m[0].length
      await sleep(100)
    }
    throw new Error(`timed out waiting for ${pattern}; output so far:\n${output().slice(-3000)}`)
  }
  t.teardown(() => term.kill('SIGKILL'))

  let at = await waitFor(/'expects too much' failed; kept is kept running\. Artifacts: (\S+)/, 180_000)
  const artifacts = /Artifacts: (\S+)/.exec(output())![1]!
  const pid = (JSON.parse((await import('node:fs')).readFileSync(join(artifacts, 'machine.json'), 'utf8')) as { pid: number }).pid
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

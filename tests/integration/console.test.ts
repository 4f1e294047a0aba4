// Commands on a real guest's serial console: getty login, and kernel messages printed on
// the same console while a result is being transferred. Tests that do not test booting
// start from the shared demo-shell snapshot.
import t from 'tap'
import { boot } from '../../src/index.js'
import { demoMedia, params } from '../../vm-configs/demo.js'
import { demoShell } from './demo-shell.js'

const media = await demoMedia()
const direct = { cdrom: media.iso, kernel: media.kernel, initrd: media.initrd }

t.test('logs in at a getty prompt, then runs commands', async t => {
  const vm = await boot(t, {
    name: 'getty',
    ...direct,
    kernelParams: params(media, 'bootcheck.login'),
    login: { user: 'root', password: 'bootcheck' },
  })
  await vm.console.waitFor(/login: $/)
  t.equal(await vm.succeed('id -u'), '0\n')
  t.equal(await vm.succeed('readlink /proc/$$/fd/0'), '/dev/ttyS0\n', 'the login shell is on the serial console')
})

t.test('kernel messages on the console do not corrupt results', async t => {
  const vm = await demoShell(t, 'noisy')
  // A background job writes critical kernel messages (printed on the console at once)
  // while the next command's output travels over the same console.
  await vm.succeed('(for i in $(seq 1 60); do echo "<2>bootcheck-noise $i" > /dev/kmsg; usleep 50000; done) >/dev/null 2>&1 &')
  const seen: string[] = []
  vm.console.onText(text => seen.push(text))
  // About 145 KB of base64 over a 115200-baud console: give it room when the host is busy.
  const out = await vm.succeed('seq 1 20000', { timeout: 300_000 })
  t.equal(out, Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(''), 'output is exact')
  t.match(seen.join(''), /bootcheck-noise \d+/, 'kernel messages really were printed meanwhile')
  const r = await vm.run('echo to-stderr >&2; exit 7')
  t.same(r, { status: 7, output: '', stderr: 'to-stderr\n' })
})

t.test('waitUntilSucceeds retries until the condition holds', async t => {
  const vm = await demoShell(t, 'retry')
  await vm.succeed('(sleep 3; touch /tmp/ready) >/dev/null 2>&1 &')
  await vm.fail('test -e /tmp/ready')
  await vm.waitUntilSucceeds('test -e /tmp/ready', { timeout: 30_000 })
  const e = await vm.waitUntilSucceeds('false', { timeout: 2000 }).catch(x => x)
  t.match(e.message, /Command "false" on retry did not succeed within 2 s\. Last status 1\./)
})

// A Debian live ISO made with live-boot (systemd, serial-getty@ttyS0 with --autologin root,
// toram), booted by its own isolinux: the guest of the reliability report. Autologin is
// not taken for a login prompt, nothing is typed into the console before the shell prompt,
// reboot works, and after a toram boot the CD can be ejected. Two boots of about 90 s each
// under TCG.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { boot } from '../../src/index.js'
import { debianLiveIso } from '../media/debian-live.js'

const live = await debianLiveIso()
const PROMPT = 'root@debian-live:~# '
// What a typed probe looks like (echoed or answered); plain "BCR" occurs in systemd's banner (+LIBCRYPTSETUP).
const PROBE = /BCR BC[0-9a-f]|BCRBC[0-9a-f]/

/** The part of the raw transcript from `from` up to the first shell prompt after it. */
function beforePrompt(transcript: string, from: number): string {
  const at = transcript.indexOf(PROMPT, from)
  return at === -1 ? transcript.slice(from) : transcript.slice(from, at)
}

t.test('live-boot ISO: autologin, no probes while booting, reboot, eject after toram', async t => {
  const started = Date.now()
  const vm = await boot(t, { name: 'debian-live', cdrom: live.iso, memory: '2G' })
  const cmdline = await vm.succeed('cat /proc/cmdline')
  t.comment(`boot to first command: ${((Date.now() - started) / 1000).toFixed(1)} s (${vm.accel})`)
  t.match(cmdline, /boot=live toram console=ttyS0,115200/, 'the ISO default entry booted')
  t.equal(await vm.succeed('hostname'), `${live.hostname}\n`)

  const log = join(vm.artifactsDir, 'console.log')
  let transcript = await readFile(log, 'utf8')
  t.match(transcript, /\(automatic login\)/, 'agetty logged root in')
  t.ok(transcript.includes(PROMPT), 'the shell prompt was shown')
  t.notMatch(beforePrompt(transcript, 0), PROBE, 'no probe typed before the first prompt')
  t.notMatch(beforePrompt(transcript, 0), /\^C/, 'no Ctrl-C typed before the first prompt')

  const bootId = await vm.succeed('cat /proc/sys/kernel/random/boot_id')
  const mark = transcript.length
  const rebooted = Date.now()
  await vm.reboot()
  t.comment(`reboot to shell: ${((Date.now() - rebooted) / 1000).toFixed(1)} s`)
  t.not(await vm.succeed('cat /proc/sys/kernel/random/boot_id'), bootId, 'a new boot')
  transcript = await readFile(log, 'utf8')
  // The second boot: from its kernel's first line on.
  const second = transcript.indexOf('Linux version', mark)
  t.ok(second > 0, 'the second boot is in the transcript')
  t.notMatch(beforePrompt(transcript, second), PROBE, 'no probe typed before the prompt after the reboot')

  // toram: the live medium was copied to RAM and released, so the CD can go.
  t.match(await vm.succeed('cat /proc/cmdline'), /toram/)
  t.notMatch(await vm.succeed('cat /proc/mounts'), /\/dev\/sr0/, 'the CD is not mounted')
  const sum = await vm.succeed('md5sum /usr/bin/md5sum /usr/lib/systemd/systemd')
  await vm.eject('cdrom')
  t.notMatch(JSON.stringify(await vm.qmp.execute('query-block')), /live\.iso/, 'QEMU has no medium in the drive')
  t.equal(await vm.succeed('md5sum /usr/bin/md5sum /usr/lib/systemd/systemd'), sum, 'files from the squashfs still read')
  t.equal(await vm.succeed('sh -c "echo still running"'), 'still running\n')
  await vm.succeed('echo 3 > /proc/sys/vm/drop_caches; find /usr/lib -type f | head -200 | xargs cat > /dev/null')
  t.pass('reading files after dropping caches works without the CD')
})

// switch-root on real QEMU: the live system unpacks a second root into a tmpfs and busybox
// init, asked to restart, execs busybox switch_root as PID 1. The handover is a
// switch-root (the same kernel boot id, no RESET), PID 1 is the new root's init, and the
// old root's files are gone.
import t from 'tap'
import { demoShell } from './demo-shell.js'

/** The new root's init: mounts the API file systems and keeps a shell on the console. */
const NEW_INIT = [
  '#!/bin/busybox sh',
  '/bin/busybox --install -s /bin',
  'export PATH=/bin',
  'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev',
  'echo "newroot: up (PID $$)"',
  "export PS1='newroot # ' HOME=/",
  'while :; do setsid cttyhack sh; done', // PID 1 stays; the shell is its child
].join('\n')

t.test('switch_root from the live system into a root in a tmpfs', async t => {
  const vm = await demoShell(t, 'switch-root')
  t.match(await vm.succeed('stat -f -c %T /'), /tmpfs|ramfs/, 'the live root is a tmpfs, as switch_root requires')
  await vm.succeed('echo old > /root/old-root-mark; touch /init') // switch_root checks for /init before it empties the old root
  await vm.succeed(
    [
      'mkdir -p /newroot && mount -t tmpfs -o size=64M newroot /newroot',
      'mkdir -p /newroot/bin /newroot/proc /newroot/sys /newroot/dev /newroot/etc /newroot/tmp',
      'cp -L /bin/busybox /newroot/bin/busybox',
      `printf '%s\\n' ${NEW_INIT.split('\n').map(l => `'${l.replace(/'/g, `'\\''`)}'`).join(' ')} > /newroot/init`,
      'chmod 755 /newroot/init',
      'echo new > /newroot/etc/newroot-mark',
      // busybox init execs the restart action as PID 1 on SIGQUIT, after killing everything
      'printf "::restart:/bin/busybox switch_root /newroot /init\\n" > /etc/inittab',
    ].join(' && '),
  )
  const r = await vm.handover(() => vm.console.sendLine('kill -HUP 1; sleep 1; kill -QUIT 1'), { expect: 'newroot: up (PID 1)', timeout: 60_000 })
  t.equal(r.kind, 'switch-root', 'no reset and the same kernel')
  t.equal(r.after.bootId, r.before.bootId, 'the same kernel boot id')
  t.not(r.after.init, r.before.init, `PID 1 is the new root's (${r.after.init})`)
  t.not(r.after.root, r.before.root, 'a new root')
  t.equal(await vm.succeed('cat /etc/newroot-mark'), 'new\n', 'the new root')
  await vm.fail('test -e /root/old-root-mark || test -e /run/current-system')
  t.match(await vm.succeed('cat /proc/1/cmdline | tr "\\0" " "'), /\/init/, 'PID 1 runs /init of the new root')
})

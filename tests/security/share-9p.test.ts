// #26 (the 9p security_model check): what a guest, as root, can plant on the host through
// a writable 9p share when QEMU runs as root: a setuid-root shell, a world-writable device
// node (c 1,3), a symlink to /etc/shadow, files owned by another user. One cold boot of the
// demo system (a machine with shares cannot be snapshotted). On the host, nothing in the
// share may be setuid, a device, a link, or owned by anyone but QEMU's user.
import t from 'tap'
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boot } from '../../src/index.js'
import { DEMO_SHELL_SPEC } from '../integration/demo-shell.js'

const dir = mkdtempSync(join(tmpdir(), 'bootcheck-share-9p-security-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const { tablet: _tablet, ...spec } = DEMO_SHELL_SPEC

t.test('a root guest plants setuid files, devices, links and owners in a writable share', async t => {
  const vm = await boot(t, { ...spec, name: 'share-plant', shares: [{ host: dir, guest: '/mnt/rw' }] })
  await vm.succeed(
    [
      'cp /bin/sh /mnt/rw/rootsh && chmod 4755 /mnt/rw/rootsh',
      'mknod -m 0666 /mnt/rw/mem c 1 3',
      'ln -s /etc/shadow /mnt/rw/shadow',
      'echo x > /mnt/rw/owned && chown 1234:1234 /mnt/rw/owned',
      'ls -ln /mnt/rw',
      'true',
    ].join('; '),
  )
  t.comment(await vm.succeed('ls -ln /mnt/rw'))
  const me = process.getuid!()
  const seen = readdirSync(dir)
  t.ok(seen.includes('rootsh') && seen.includes('owned') && seen.includes('shadow'), `the guest's files are on the host (${seen.join(', ')})`)
  for (const name of seen) {
    const st = lstatSync(join(dir, name))
    t.ok(st.isFile(), `${name}: a plain file on the host (not a device, FIFO or link)`)
    t.equal(st.mode & 0o7000, 0, `${name}: no setuid/setgid/sticky bit on the host (mode ${(st.mode & 0o7777).toString(8)})`)
    t.equal(st.uid, me, `${name}: owned by QEMU's user, not by the guest's choice (uid ${st.uid})`)
  }
  // The guest still sees what it made (kept in extended attributes).
  t.match(await vm.succeed('stat -c %A /mnt/rw/rootsh'), /^-rwsr-xr-x/)
})

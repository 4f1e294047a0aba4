// The pure and host-side parts of network boots: overlays over a read-only root, the
// HTTP server a machine serves its iPXE root with, and the chain script.
import t, { type Test } from 'tap'
import { chmod, lstat, readFile, readdir, readlink, stat, symlink } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { layOverlay, overlayPathSegments, resolveServedPath } from '../../../src/net/tree.js'
import { NetbootHttpServer } from '../../../src/net/http.js'
import { ipxeChainScript } from '../../../src/net/ipxe.js'
import { MediumError } from '../../../src/errors/errors.js'

/** A Debian-installer-like root: links to folders and files, read-only. */
async function readOnlyRoot(t: Test, extra: Record<string, string> = {}): Promise<{ root: string; dir: string }> {
  const dir = t.testdir({
    ...extra,
    root: {
      di: { amd64: { 'pxelinux.0': 'PXELINUX', linux: 'KERNEL', cfg: { 'syslinux.cfg': 'original menu\n' }, 'pxelinux.cfg': { default: 'original default\n', other: 'other\n' } } },
      'version.info': 'v1\n',
    },
  })
  const root = join(dir, 'root')
  await symlink('di/amd64/pxelinux.0', join(root, 'pxelinux.0'))
  await symlink('di/amd64/pxelinux.cfg', join(root, 'pxelinux.cfg'))
  await symlink('../nowhere', join(root, 'dangling'))
  return { root, dir }
}

async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const n of (await readdir(d)).sort()) {
      const p = join(d, n)
      const st = await lstat(p)
      if (st.isSymbolicLink()) out.push(`${rel}${n} -> ${await readlink(p)}`)
      else if (st.isDirectory()) {
        out.push(`${rel}${n}/ ${st.mode.toString(8)}`)
        await walk(p, `${rel}${n}/`)
      } else out.push(`${rel}${n} ${st.mode.toString(8)} ${st.mtimeMs} ${await readFile(p, 'utf8')}`)
    }
  }
  await walk(dir, '')
  return out
}

t.test('an overlay replaces and adds files, through links to folders, and leaves the original alone', async t => {
  const { root, dir: work } = await readOnlyRoot(t, { 'my-ldlinux.c32': 'LDLINUX' })
  const before = await snapshot(root)
  const dest = await layOverlay(
    root,
    {
      'pxelinux.cfg/default': 'serial 0 115200\n',
      'ldlinux.c32': { path: join(work, 'my-ldlinux.c32') },
      'extra/deep/file.txt': Buffer.from('bytes'),
    },
    join(work, 'served'),
  )
  const r = (p: string): Promise<string> => readFile(join(dest, p), 'utf8')
  t.equal(await r('pxelinux.cfg/default'), 'serial 0 115200\n', 'overlaid file')
  t.equal(await r('pxelinux.cfg/other'), 'other\n', 'its neighbours in the linked folder are still served')
  t.equal(await r('pxelinux.0'), 'PXELINUX', 'links in the original are followed')
  t.equal(await r('di/amd64/linux'), 'KERNEL')
  t.equal(await r('ldlinux.c32'), 'LDLINUX', 'a host file laid in by path')
  t.equal(await r('extra/deep/file.txt'), 'bytes', 'new folders are made')
  t.equal(await r('version.info'), 'v1\n')
  t.ok((await lstat(join(dest, 'di'))).isSymbolicLink(), 'untouched folders are linked, not copied')
  t.ok((await lstat(join(dest, 'pxelinux.cfg'))).isDirectory(), 'the folder holding an overlay file is mirrored')
  await t.rejects(stat(join(dest, 'dangling')), 'dangling links of the original are left out')
  t.same(await snapshot(root), before, 'the original root is unchanged')
  t.equal(await readFile(join(root, 'pxelinux.cfg', 'default'), 'utf8'), 'original default\n')
})

t.test('overlays work on a root nobody may write to', { skip: process.getuid?.() === 0 ? 'root can write anywhere' : false }, async t => {
  const { root, dir } = await readOnlyRoot(t)
  await chmod(root, 0o555)
  t.teardown(() => chmod(root, 0o755))
  const dest = await layOverlay(root, { 'a.txt': 'a' }, join(dir, 'served'))
  t.equal(await readFile(join(dest, 'a.txt'), 'utf8'), 'a')
})

t.test('bad overlay paths and roots are refused with the reason', async t => {
  for (const [p, why] of [
    ['/abs', /relative/],
    ['a/../b', /\.\. are not allowed/],
    ['a//b', /empty folder name/],
    ['a/', /empty folder name/],
    ['', /empty/],
  ] as const) t.throws(() => overlayPathSegments(p), why, JSON.stringify(p))
  const { root, dir: out } = await readOnlyRoot(t)
  await t.rejects(layOverlay(root, { 'version.info/x': 'x' }, join(out, 'a')), /'version.info' is a file in/)
  await t.rejects(layOverlay(root, { a: 'x', 'a/b': 'y' }, join(out, 'b')), /also used as a folder|is a file in the overlay/)
  await t.rejects(layOverlay(root, { x: { path: join(out, 'missing') } }, join(out, 'c')), MediumError)
  await t.rejects(layOverlay(join(out, 'no-such-root'), {}, join(out, 'd')), { name: 'MediumError', message: /does not exist/ })
})

t.test('served paths never leave the root', async t => {
  t.equal(resolveServedPath('/srv', '/a/b'), '/srv/a/b')
  t.equal(resolveServedPath('/srv', 'a/./b'), '/srv/a/b')
  t.equal(resolveServedPath('/srv', '/../etc/passwd'), undefined)
  t.equal(resolveServedPath('/srv', 'a/../../x'), undefined)
})

t.test('the HTTP server serves a folder on a free port, logs requests, and closes', async t => {
  const dir = t.testdir({ root: { 'netboot.ipxe': '#!ipxe\n', sub: { 'b.bin': Buffer.alloc(100_000, 7) } }, secret: 'no' })
  const log = join(dir, 'http.log')
  const server = await NetbootHttpServer.start({ root: join(dir, 'root'), logFile: log })
  t.teardown(() => server.close())
  t.ok(server.port > 0)
  t.equal(server.guestUrl, `http://10.0.2.2:${server.port}/`)
  const get = (p: string, method = 'GET') => fetch(server.hostUrl + p, { method })
  const a = await get('netboot.ipxe')
  t.equal(a.status, 200)
  t.equal(await a.text(), '#!ipxe\n')
  const b = await get('sub/b.bin')
  t.equal(b.headers.get('content-length'), '100000')
  t.equal((await b.arrayBuffer()).byteLength, 100_000)
  t.equal((await get('nope')).status, 404)
  t.equal((await get('sub')).status, 404, 'folders are not listed')
  // fetch() would remove the dot segments itself: send the raw path
  const raw = await new Promise<number>((resolve, reject) =>
    request({ host: '127.0.0.1', port: server.port, path: '/../secret' }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
      .on('error', reject)
      .end(),
  )
  t.equal(raw, 403, 'no way out of the root')
  t.equal((await get('netboot.ipxe', 'POST')).status, 405)
  const h = await get('sub/b.bin', 'HEAD')
  t.equal(h.headers.get('content-length'), '100000')
  t.same(
    server.requests.map(r => [r.method, r.path, r.status]),
    [['GET', '/netboot.ipxe', 200], ['GET', '/sub/b.bin', 200], ['GET', '/nope', 404], ['GET', '/sub', 404], ['GET', '/../secret', 403], ['POST', '/netboot.ipxe', 405], ['HEAD', '/sub/b.bin', 200]],
  )
  t.equal(server.served('sub/b.bin')[0]?.bytes, 100_000)
  // The log line is written when the answer has gone out; give a busy host a moment.
  let logged = ''
  for (let i = 0; i < 100 && !/GET \/sub\/b\.bin 200 100000/.test(logged); i++) {
    await new Promise(r => setTimeout(r, 50))
    logged = await readFile(log, 'utf8').catch(() => '')
  }
  t.match(logged, /GET \/sub\/b\.bin 200 100000 \d+ms\n/)
  await server.close()
  await t.rejects(fetch(server.hostUrl + 'netboot.ipxe'), 'nothing listens after close')
  await server.close()
})

t.test('the chain script passes kernel parameters in ${cmdline}', async t => {
  t.equal(
    ipxeChainScript('netboot.ipxe', ['console=ttyS0,115200', 'copytoram']),
    '#!ipxe\n# written by bootcheck: extra kernel parameters for a script that reads ${cmdline}\nset cmdline console=ttyS0,115200 copytoram\nchain netboot.ipxe\n',
  )
  t.notMatch(ipxeChainScript('boot/x.ipxe', []), /set cmdline/)
  t.throws(() => ipxeChainScript('a.ipxe', ['x\nshell']), /line break/)
  t.throws(() => ipxeChainScript('a.ipxe', ['${net0/ip}']), /expand/)
  t.throws(() => ipxeChainScript('a b.ipxe', []), /blanks/)
})

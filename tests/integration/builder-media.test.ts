/**
 * Builds the Debian-based live media for real (downloads .debs on first use,
 * kept in .bootcheck/cache/debs) and checks the outputs; ends with one short
 * QEMU (TCG) boot. Needs apt-get/dpkg-deb, xorriso, mksquashfs, mke2fs,
 * dumpe2fs; the boot needs qemu-system-x86_64.
 */
import t from 'tap'
import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { buildLiveMedia, type LiveMedia } from '../../vm-configs/debian/build.js'
import { ISO_LABEL, PERSIST_LABEL, repoRoot } from '../../vm-configs/debian/contract.js'

const has = async (cmd: string) => (await execa('sh', ['-c', `command -v ${cmd}`], { reject: false })).exitCode === 0
const missing: string[] = []
for (const c of ['apt-get', 'dpkg-deb', 'xorriso', 'osirrox', 'mksquashfs', 'mke2fs', 'dumpe2fs', 'openssl']) {
  if (!(await has(c))) missing.push(c)
}
const skip = missing.length ? `tools missing: ${missing.join(' ')} (apt-get install xorriso squashfs-tools e2fsprogs)` : false

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
const cacheDir = t.testdir()
const lines: string[] = []
const log = (l: string) => {
  lines.push(l)
  t.comment(l)
}

let media: LiveMedia

t.test('builds the media', { skip }, async (t) => {
  const t0 = Date.now()
  media = await buildLiveMedia({ cacheDir, log })
  t.comment(`first call: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  t.ok(lines.some((l) => l.startsWith('done in')), 'a fresh build ran')
  t.equal(media.dir.startsWith(cacheDir), true, 'entry inside the cache dir')
  for (const f of [media.iso, media.kernel, media.initrd, media.persistDisk]) t.ok(existsSync(f), `${f} exists`)
  t.equal(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-')).length, 0, 'no temp folder left')
  t.match(media.squashfsSha256, /^[0-9a-f]{64}$/)
  t.same(media.persistedPaths, ['/var/lib/persisted'])
  const consoles = media.kernelParams.filter((p) => p.startsWith('console='))
  t.match(consoles.at(-1), /^console=ttyS0,115200$/, 'ttyS0 is the last console=')
  t.ok(media.kernelParams.some((p) => /^init=\/nix\/store\/[0-9a-z]{32}-system\/init$/.test(p)), 'init= points into the store')
  t.ok(statSync(media.initrd).size < 8 * 1024 * 1024, 'initrd stays small')
})

t.test('second call is a cache hit', { skip }, async (t) => {
  const before = lines.length
  const outputs = [media.iso, media.kernel, media.initrd, media.persistDisk]
  const mtimes = outputs.map((f) => statSync(f).mtimeMs)
  const t0 = Date.now()
  const again = await buildLiveMedia({ cacheDir, log })
  t.comment(`second call: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  t.same(again, media)
  t.ok(lines.slice(before).some((l) => l.startsWith('cache hit')))
  // what makes a hit fast, without a clock in the test (timings belong in npm run bench)
  t.notOk(lines.slice(before).some((l) => l.startsWith('done in')), 'nothing was built again')
  t.same(outputs.map((f) => statSync(f).mtimeMs), mtimes, 'no output was written again')
})

t.test('the ISO holds nix-store.squashfs at its root, with the advertised sha256', { skip }, async (t) => {
  const find = await execa('xorriso', ['-indev', media.iso, '-find', '/', '-maxdepth', '1', '-name', 'nix-store.squashfs'])
  t.match(find.stdout, /^'\/nix-store\.squashfs'$/m)
  const out = join(t.testdir(), 'nix-store.squashfs')
  await execa('osirrox', ['-indev', media.iso, '-extract', '/nix-store.squashfs', out])
  t.equal(sha256(out), media.squashfsSha256)
  if (await has('unsquashfs')) {
    const ls = (await execa('unsquashfs', ['-l', '-d', '', out])).stdout
    t.match(ls, /\/[0-9a-z]{32}-hello-[^/\s]+\/bin\/hello$/m, 'hello in the store')
    t.match(ls, /\/[0-9a-z]{32}-glibc-[^/\s]+\/lib\/libc\.so\.6$/m, 'glibc in the store')
    t.match(ls, /\/[0-9a-z]{32}-stage-2-init\/init$/m, 'stage 2 in the store')
    t.match(ls, /\/[0-9a-z]{32}-system\/sw\/bin\/hello$/m, 'system profile')
  }
})

t.test('ISO: label, boot records, hybrid MBR', { skip }, async (t) => {
  const pvd = await execa('xorriso', ['-indev', media.iso, '-pvd_info'])
  t.match(pvd.stdout, new RegExp(`Volume Id\\s*:\\s*${ISO_LABEL}`))
  const report = await execa('xorriso', ['-indev', media.iso, '-report_el_torito', 'plain'])
  t.match(report.stdout, /El Torito boot img :\s+1\s+BIOS/, 'BIOS El Torito image')
  if (media.uefi) t.match(report.stdout, /El Torito boot img :\s+2\s+UEFI/, 'UEFI El Torito image')
  const head = readFileSync(media.iso).subarray(0, 512)
  t.equal(head.readUInt16LE(510), 0xaa55, 'MBR signature: bootable as a USB stick')
  const files = (await execa('xorriso', ['-indev', media.iso, '-find', '/', '-type', 'f'])).stdout
  for (const f of ['/boot/bzImage', '/boot/initrd', '/isolinux/isolinux.bin', '/isolinux/ldlinux.c32', '/isolinux/isolinux.cfg']) {
    t.match(files, new RegExp(`^'${f}'$`, 'm'), f)
  }
  const cfgFile = join(t.testdir(), 'isolinux.cfg')
  await execa('osirrox', ['-indev', media.iso, '-extract', '/isolinux/isolinux.cfg', cfgFile])
  const cfg = readFileSync(cfgFile, 'utf8')
  t.match(cfg, /^SERIAL 0 115200$/m)
  t.match(cfg, /^DEFAULT live$/m)
  t.match(cfg, /^TIMEOUT 10$/m)
  t.ok(cfg.includes(`APPEND ${media.kernelParams.join(' ')}\n`), 'live entry uses kernelParams')
  t.ok(cfg.includes(`APPEND ${media.kernelParams.join(' ')} copytoram\n`), 'live-copytoram entry')
})

t.test('persist disk: 64 MiB ext4 labelled persist, with the persisted paths', { skip }, async (t) => {
  t.equal(statSync(media.persistDisk).size, 64 * 1024 * 1024)
  const info = await execa('dumpe2fs', ['-h', media.persistDisk])
  t.match(info.stdout, new RegExp(`^Filesystem volume name:\\s+${PERSIST_LABEL}$`, 'm'))
  const ls = await execa('debugfs', ['-R', 'ls -p /var/lib', media.persistDisk], { reject: false })
  if (ls.exitCode === 0) t.match(ls.stdout, /\/persisted\//, '/var/lib/persisted exists on the disk')
})

t.test('an interrupted build leaves no entry, and its temp folder is cleaned up', { skip }, async (t) => {
  // a build in another cache dir, killed while it runs, must not leave an entry behind
  const dir = t.testdir()
  const child = execa('node', ['--import', 'tsx', join(repoRoot(), 'vm-configs', 'debian', 'build.ts'), '--cache-dir', dir], {
    reject: false,
    cwd: repoRoot(),
  })
  await new Promise<void>((resolve) => {
    child.stderr?.on('data', (d: Buffer) => {
      if (/unpacking|reading module info/.test(d.toString())) resolve()
    })
    void child.then(() => resolve())
  })
  child.kill('SIGKILL')
  await child
  const names = readdirSync(dir)
  t.equal(names.filter((n) => /^[0-9a-f]{32}$/.test(n)).length, 0, `no entry after the kill (${names.join(' ')})`)
  const again = await buildLiveMedia({ cacheDir: dir, log: () => undefined })
  t.equal(readdirSync(dir).filter((n) => n.startsWith('.tmp-')).length, 0, 'the leftover temp folder was removed')
  t.equal(again.squashfsSha256, media.squashfsSha256, 'reproducible squashfs')
})

const bootSkip = skip || ((await has('qemu-system-x86_64')) ? false : 'qemu-system-x86_64 not installed')
t.test('boots under QEMU TCG: direct kernel boot with the ISO as CD', { skip: bootSkip }, async (t) => {
  const q = execa(
    'qemu-system-x86_64',
    [
      '-accel', 'tcg', '-m', '1G', '-nodefaults', '-display', 'none', '-no-reboot',
      '-serial', 'stdio',
      '-cdrom', media.iso,
      '-kernel', media.kernel, '-initrd', media.initrd,
      '-append', media.kernelParams.join(' '),
    ],
    { reject: false, stdin: 'pipe', timeout: 150_000 },
  )
  let out = ''
  const waiters: (() => void)[] = []
  q.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8')
    for (const w of [...waiters]) w()
  })
  const waitFor = (re: RegExp, ms = 90_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1)
        reject(new Error(`timeout waiting for ${re}; output:\n${out.slice(-2000)}`))
      }, ms)
      const check = () => {
        const m = re.exec(out)
        if (!m) return
        clearTimeout(timer)
        waiters.splice(waiters.indexOf(check), 1)
        resolve(m[0])
      }
      waiters.push(check)
      check()
    })
  try {
    const t0 = Date.now()
    await waitFor(/stage-2: system ready/)
    await waitFor(/# (\x1b\[6n)?$/)
    t.comment(`shell after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    q.stdin?.write('hello; sha256sum /iso/nix-store.squashfs; echo END-$((6*7))\n')
    await waitFor(/END-42/)
    t.match(out, /Hello, world!/)
    t.ok(out.includes(`${media.squashfsSha256}  /iso/nix-store.squashfs`), 'the booted squashfs is the one built')
    q.stdin?.write('poweroff\n')
    const r = await q
    t.equal(r.exitCode, 0, 'QEMU exited after poweroff')
  } finally {
    q.kill('SIGKILL')
  }
})

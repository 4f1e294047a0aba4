// ISO 9660 reader: tiny ISOs made with xorriso in three flavours (plain level-1 names,
// Joliet, Rock Ridge), read back byte-exactly, plus Rock Ridge extras (symbolic links,
// continuation areas, deep directory relocation), a hand-patched multi-extent file and
// the error cases.
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IsoImage, cleanIsoName } from '../../../src/media/iso9660.js'
import { MediumError } from '../../../src/errors/errors.js'

const hasXorriso = (await execa('sh', ['-c', 'command -v xorriso'], { reject: false })).exitCode === 0
const skip = hasXorriso ? false : 'xorriso missing (apt-get install xorriso)'

const LONG = 'A rather long file name, longer than 8.3 allows.txt'
const HUGE_NAME = `${'n'.repeat(200)}.txt` // Rock Ridge NM too big for the record: continuation area
const MANY = 150

const dir = t.testdir()
const root = join(dir, 'root')
const big = randomBytes(10_000)
const content = {
  'hello.txt': Buffer.from('hello world\n'),
  'big.bin': big,
  'a/b/c/deep.txt': Buffer.from('deep inside\n'),
  [LONG]: Buffer.from('long name\n'),
  'Mixed.Txt': Buffer.from('mixed\n'),
  noext: Buffer.from('no extension\n'),
  'boot/initrd.gz': Buffer.from('not an initrd\n'),
}
function writeTree(): void {
  for (const [p, data] of Object.entries(content)) {
    mkdirSync(join(root, p, '..'), { recursive: true })
    writeFileSync(join(root, p), data)
  }
  mkdirSync(join(root, 'many'))
  for (let i = 0; i < MANY; i++) writeFileSync(join(root, 'many', `file-number-${String(i).padStart(3, '0')}.txt`), `${i}\n`)
}

async function mkisofs(out: string, args: string[], src = root): Promise<string> {
  const iso = join(dir, out)
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'TESTVOL', '-o', iso, ...args, src])
  return iso
}

const isos: Record<'plain' | 'joliet' | 'rockridge', string> = { plain: '', joliet: '', rockridge: '' }
if (hasXorriso) {
  writeTree()
  isos.plain = await mkisofs('plain.iso', ['--norock', '-iso-level', '1'])
  isos.joliet = await mkisofs('joliet.iso', ['--norock', '-J'])
  // Rock Ridge only: symbolic links and the huge name (Joliet and level 1 cannot hold them)
  symlinkSync('a/b', join(root, 'link'))
  symlinkSync('/a/b/c/deep.txt', join(root, 'abs-link'))
  symlinkSync('nowhere', join(root, 'dangling'))
  writeFileSync(join(root, HUGE_NAME), 'huge name\n')
  isos.rockridge = await mkisofs('rr.iso', ['-R'])
}

const rejectsMedium = async (t: Test, p: Promise<unknown>, re: RegExp, msg: string) => {
  await t.rejects(p, MediumError, msg)
  await p.catch((e: Error) => t.match(e.message, re, `${msg}: message`))
}

t.test('cleanIsoName', async t => {
  t.equal(cleanIsoName('HELLO.TXT;1'), 'HELLO.TXT')
  t.equal(cleanIsoName('NOEXT.;1'), 'NOEXT')
  t.equal(cleanIsoName('NOEXT.'), 'NOEXT')
  t.equal(cleanIsoName('A;B'), 'A;B', 'a ; not followed by a version stays')
})

for (const flavour of ['plain', 'joliet', 'rockridge'] as const) {
  t.test(`${flavour} names`, { skip }, async t => {
    const iso = await IsoImage.open(isos[flavour])
    t.teardown(() => iso.close())
    t.equal(iso.volumeId, 'TESTVOL')
    t.equal(iso.names, flavour)

    // byte-exact reads; lookups ignore case when the exact name is not there
    t.same(await iso.readFile('/hello.txt'), content['hello.txt'])
    t.same(await iso.readFile('hello.txt'), content['hello.txt'], 'relative to the root')
    t.same(await iso.readFile('/HELLO.TXT'), content['hello.txt'], 'case-insensitive fallback')
    const b = await iso.readFile('/big.bin')
    t.equal(b.length, 10_000)
    t.ok(b.equals(big), 'a file over one sector is read byte-exactly')
    const chunks: Buffer[] = []
    for await (const c of iso.readChunks('/big.bin', 3000)) chunks.push(c)
    t.same(chunks.map(c => c.length), [3000, 3000, 3000, 1000], 'readChunks splits')
    t.ok(Buffer.concat(chunks).equals(big), 'readChunks gives the same bytes')
    t.same(await iso.readFile('/a/b/c/deep.txt'), content['a/b/c/deep.txt'], 'nested folders')
    t.same(await iso.readFile('/a/./b/../b/c//deep.txt'), content['a/b/c/deep.txt'], '. and .. in paths')
    t.same(await iso.readFile('/noext'), content.noext, "plain names lose the trailing '.'")
    t.same(await iso.readFile('/mixed.txt'), content['Mixed.Txt'])
    t.same(await iso.readFile('/boot/initrd.gz'), content['boot/initrd.gz'])

    const top = await iso.list('/')
    const names = top.map(e => e.name)
    for (const n of ['hello.txt', 'big.bin', 'a', 'many', 'noext', 'boot']) {
      t.ok(names.some(x => x.toLowerCase() === n), `root lists ${n}`)
    }
    if (flavour === 'plain') {
      t.ok(names.every(n => n === n.toUpperCase()), 'plain level-1 names are upper case')
      t.ok(names.every(n => !n.includes(';')), 'no ;1 versions')
      const long = top.find(e => e.name.startsWith('A_RATHER') || e.name.startsWith('A RATHER'))
      t.ok(long, 'the long name is there, shortened')
      t.ok(long!.name.length <= 12, `shortened to 8.3: ${long!.name}`)
      t.same(await iso.readFile(long!.path), content[LONG], 'and readable under its short name')
    } else {
      t.ok(names.includes(LONG), 'the long name is kept')
      t.ok(names.includes('Mixed.Txt'), 'case is kept')
      t.same(await iso.readFile(`/${LONG}`), content[LONG])
      t.same(await iso.readFile(`/${LONG.toUpperCase()}`), content[LONG], 'case-insensitive fallback')
    }
    const a = top.find(e => e.name.toLowerCase() === 'a')!
    t.equal(a.type, 'directory')
    t.equal(a.path.toLowerCase(), '/a')
    const h = top.find(e => e.name.toLowerCase() === 'hello.txt')!
    t.match(h, { type: 'file', size: 12 })
    t.same((await iso.stat('/a/b/c/deep.txt')).size, 12)

    // a folder with enough entries for several sectors
    const many = top.find(e => e.name.toLowerCase() === 'many')!
    t.ok(many.size > 2 * 2048, `the 'many' directory spans several sectors (${many.size} bytes)`)
    const files = await iso.list('/many')
    t.equal(files.length, MANY, 'every entry listed')
    t.equal(new Set(files.map(f => f.name)).size, MANY, 'no duplicates')
    const texts = new Set<string>()
    for (const f of files) texts.add((await iso.readFile(f.path)).toString())
    t.equal(texts.size, MANY, 'every entry has its own content')
    if (flavour !== 'plain') {
      t.same(await iso.readFile('/many/file-number-149.txt'), Buffer.from('149\n'), 'last entry')
      t.same(await iso.readFile('/many/file-number-000.txt'), Buffer.from('0\n'), 'first entry')
    }

    t.equal(await iso.exists('/a/b/c/deep.txt'), true)
    t.equal(await iso.exists('/a/b'), true)
    t.equal(await iso.exists('/'), true)
    t.equal(await iso.exists('/a/nope'), false)
    t.equal(await iso.exists('/hello.txt/x'), false, 'below a file')

    await rejectsMedium(t, iso.readFile('/boot/vmlinuz'), /^'\/boot\/vmlinuz' not found in ISO '.*\.iso'/, 'missing file')
    await rejectsMedium(t, iso.list('/nope'), /'\/nope' not found in ISO/, 'missing folder')
    await rejectsMedium(t, iso.readFile('/a'), /is a directory/, 'reading a folder')
    await rejectsMedium(t, iso.list('/hello.txt'), /is not a directory/, 'listing a file')
  })
}

t.test('Rock Ridge: symbolic links, continuation areas', { skip }, async t => {
  const iso = await IsoImage.open(isos.rockridge)
  t.teardown(() => iso.close())
  const top = await iso.list('/')
  t.match(top.find(e => e.name === 'link'), { type: 'symlink', target: 'a/b', size: 0 })
  t.match(top.find(e => e.name === 'abs-link'), { type: 'symlink', target: '/a/b/c/deep.txt' })
  t.same(await iso.readFile('/link/c/deep.txt'), content['a/b/c/deep.txt'], 'through a relative link')
  t.same(await iso.readFile('/abs-link'), content['a/b/c/deep.txt'], 'an absolute link')
  t.equal((await iso.stat('/link/c/deep.txt')).path, '/a/b/c/deep.txt', 'stat gives the real path')
  t.same((await iso.list('/link')).map(e => e.path), ['/a/b/c'])
  t.equal(await iso.exists('/dangling'), false, 'a dangling link does not exist')
  t.ok(top.some(e => e.name === HUGE_NAME), 'a 204-byte name from a continuation (CE) area')
  t.same(await iso.readFile(`/${HUGE_NAME}`), Buffer.from('huge name\n'))
})

t.test('Rock Ridge: deep directory relocation (CL/RE) is undone', { skip }, async t => {
  const src = join(dir, 'deep')
  const deepDir = join(src, 'd1/d2/d3/d4/d5/d6/d7/d8/d9/d10')
  mkdirSync(deepDir, { recursive: true })
  writeFileSync(join(deepDir, 'bottom.txt'), 'bottom\n')
  const out = join(dir, 'reloc.iso')
  await execa('xorriso', ['-outdev', out, '-compliance', 'deep_paths_off', '-rr_reloc_dir', 'rr_moved', '-map', src, '/', '-commit'])
  t.ok(readFileSync(out).includes(Buffer.from('CL\x0c\x01', 'latin1')), 'the image does relocate (has a CL entry)')
  const iso = await IsoImage.open(out)
  t.teardown(() => iso.close())
  t.same(await iso.readFile('/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/bottom.txt'), Buffer.from('bottom\n'))
  t.same((await iso.list('/d1/d2/d3/d4/d5/d6/d7/d8')).map(e => [e.name, e.type]), [['d9', 'directory']])
  t.same((await iso.list('/')).map(e => e.name), ['d1'], 'the relocation folder is hidden')
})

t.test('multi-extent files are read extent by extent', { skip }, async t => {
  // xorriso only splits files over 4 GiB; patch a small image instead: A1 (4096 bytes)
  // becomes the first extent of a file whose second extent is A2.
  const src = join(dir, 'mx')
  mkdirSync(src)
  const a1 = randomBytes(4096)
  const a2 = randomBytes(1000)
  writeFileSync(join(src, 'a1'), a1)
  writeFileSync(join(src, 'a2'), a2)
  const out = await mkisofs('mx.iso', ['--norock'], src)
  const img = readFileSync(out)
  const rec = (name: string) => {
    const at = img.indexOf(Buffer.from(name, 'latin1'))
    t.ok(at > 33 && img[at - 1] === name.length, `found the record of ${name}`)
    return at - 33
  }
  const r1 = rec('A1.;1')
  const r2 = rec('A2.;1')
  t.equal(r2, r1 + img[r1]!, 'A2 follows A1')
  img[r1 + 25] = img[r1 + 25]! | 0x80
  img.write('A1.;1', r2 + 33, 'latin1')
  const patched = join(dir, 'mx-patched.iso')
  writeFileSync(patched, img)

  const iso = await IsoImage.open(patched)
  t.teardown(() => iso.close())
  t.match(await iso.list('/'), [{ name: 'A1', size: 5096, type: 'file' }], 'one file, both extents counted')
  t.equal((await iso.list('/')).length, 1)
  t.ok((await iso.readFile('/a1')).equals(Buffer.concat([a1, a2])), 'readFile joins the extents')
  const chunks: Buffer[] = []
  for await (const c of iso.readChunks('/a1')) chunks.push(c)
  t.ok(Buffer.concat(chunks).equals(Buffer.concat([a1, a2])), 'readChunks too')
})

t.test('not an ISO', async t => {
  const d = t.testdir({
    'junk.iso': randomBytes(64 * 1024),
    'tiny.iso': Buffer.from('CD001'),
    folder: {},
  })
  await rejectsMedium(t, IsoImage.open(join(d, 'junk.iso')), /^'.*junk\.iso' is not an ISO 9660 image \(no 'CD001'/, 'random bytes')
  await rejectsMedium(t, IsoImage.open(join(d, 'tiny.iso')), /^'.*tiny\.iso' is not an ISO 9660 image \(only 5 bytes\)/, 'too small')
  await rejectsMedium(t, IsoImage.open(join(d, 'folder')), /^'.*folder' is not a regular file/, 'a folder')
  await rejectsMedium(t, IsoImage.open(join(d, 'missing.iso')), /'.*missing\.iso' does not exist/, 'a missing file')
})

t.test('truncated image and closed handle', { skip }, async t => {
  const src = join(dir, 'cut')
  mkdirSync(src)
  writeFileSync(join(src, 'data.bin'), randomBytes(100 * 1024))
  const whole = readFileSync(await mkisofs('whole.iso', ['-no-pad'], src))
  const cut = join(dir, 'cut.iso')
  writeFileSync(cut, whole.subarray(0, whole.length - 10 * 1024)) // the file's data is last
  const iso = await IsoImage.open(cut)
  t.equal(await iso.exists('/data.bin'), true, 'the folder is intact')
  await rejectsMedium(t, iso.readFile('/data.bin'), /'\/data\.bin' lies beyond the end of ISO .*truncated or damaged/, 'reading past the end')
  await iso.close()
  await iso.close()
  await rejectsMedium(t, iso.readFile('/data.bin'), /is closed/, 'after close')
})

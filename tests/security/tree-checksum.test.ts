// #26 item 7: a served tree (TFTP/HTTP root) with link loops: treeChecksum, which bootOnce
// and vm.snapshot() run over it, must finish, stay in the tree, and still see changes.
import t from 'tap'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { treeChecksum } from '../../src/media/checksum.js'

/** The checksum, or 'hung' when it has not finished after `ms` (the unfixed walk never does). */
const within = (p: Promise<string>, ms: number): Promise<string> =>
  Promise.race([p, new Promise<string>(r => setTimeout(() => r('hung'), ms).unref())])

t.test('two x -> . links and a link out of the tree: finishes, still sees changes', async t => {
  const dir = t.testdir({ root: { 'pxelinux.0': 'boot', sub: { 'vmlinuz': 'k' } }, outside: { big: 'x' } })
  const root = join(dir, 'root')
  symlinkSync('.', join(root, 'x'))
  symlinkSync('.', join(root, 'sub', 'y'))
  symlinkSync('..', join(root, 'sub', 'up'))
  symlinkSync(join(dir, 'outside'), join(root, 'out'))
  const first = await within(treeChecksum(root, null), 20_000)
  t.not(first, 'hung', 'the walk finishes')
  t.match(first, /^[0-9a-f]{64}$/)
  writeFileSync(join(root, 'sub', 'vmlinuz'), 'changed')
  t.not(await within(treeChecksum(root, null), 20_000), first, 'a changed file changes the checksum')
  mkdirSync(join(root, 'new'))
  writeFileSync(join(root, 'new', 'f'), 'x')
  const third = await within(treeChecksum(root, null), 20_000)
  writeFileSync(join(dir, 'outside', 'big'), 'y')
  t.equal(await within(treeChecksum(root, null), 20_000), third, 'a folder outside the tree is not walked')
})

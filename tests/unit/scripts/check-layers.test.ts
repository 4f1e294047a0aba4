// The layer rules of scripts/check-layers.ts: the repository keeps them, and each kind of
// upward import is caught.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkLayers, importsOf, judge } from '../../../scripts/check-layers.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

t.test('every import of the repository points down', async t => {
  t.same(checkLayers(root), [])
})

t.test('imports are found: static, type-only, re-exports, dynamic', async t => {
  const text = [
    "import { a } from './a.js'",
    "import type { B } from '../b/b.js'",
    "export { c } from './c.js'",
    "export type * from './d.js'",
    "const e = await import('../e/e.js')",
    "import { execa } from 'execa'",
    "// a comment saying import { x } from 'y'",
  ].join('\n')
  t.same(importsOf(text), ['./a.js', '../b/b.js', './c.js', './d.js', '../e/e.js'])
})

t.test('what is allowed and what is not', async t => {
  t.equal(judge('src/machine/start.ts', 'src/qmp/client.ts'), undefined, 'down')
  t.equal(judge('src/machine/start.ts', 'src/machine/plan.ts'), undefined, 'own folder')
  t.match(judge('src/machine/start.ts', 'src/lease/client.ts'), /higher layer/, 'machine → lease points up')
  t.match(judge('src/machine/start.ts', 'src/runner/run.ts'), /higher layer/)
  t.match(judge('src/console/console.ts', 'src/media/image.ts'), /one layer/, 'siblings')
  t.match(judge('src/runner/cli.ts', 'vm-configs/debian/build.ts'), /demo\.ts/)
  t.equal(judge('src/runner/cli.ts', 'vm-configs/demo.ts'), undefined)
  t.match(judge('src/machine/start.ts', 'vm-configs/demo.ts'), /demo\.ts, from the CLI/)
  t.match(judge('src/guest/shell.ts', 'tests/unit/x.ts'), /must not import tests/)
  t.match(judge('bench/boot.ts', 'tests/integration/media.ts'), /bench\/ must not import tests/)
  t.match(judge('src/newthing/x.ts', 'src/errors/errors.ts'), /in no layer/)
})

t.test('a tree with an upward import is reported with both files', async t => {
  const dir = t.testdir({})
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  write('src/qmp/client.ts', "import { boot } from '../api/boot.js'\n")
  write('src/api/boot.ts', "import { QmpClient } from '../qmp/client.js'\n")
  const found = checkLayers(dir)
  t.equal(found.length, 1)
  t.match(found[0], { file: 'src/qmp/client.ts', target: 'src/api/boot.ts', why: /qmp \(layer 1\) imports api \(layer 7\)/ })
})

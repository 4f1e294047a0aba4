// How `bootcheck run` starts tap: NODE_OPTIONS preloads bin/tap-preload.mjs, so tap's test
// processes load TypeScript with tsx and never start ts-node (with BOOTCHECK_TS_LOADER=ts-node
// they do, as with plain tap); tap's runner and tap's own variables are left as they were.
import t from 'tap'
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { tapNodeOptions, tapPreload, topLevelEnv } from '../../../src/runner/tap.js'

const cliModule = fileURLToPath(new URL('../../../src/runner/cli.ts', import.meta.url))
const cli = (dir: string, env: Record<string, string>, ...args: string[]) =>
  execa(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(cliModule)}).then(m => m.main(process.argv.slice(1))).then(c => process.exit(c))`, ...args], { cwd: dir, reject: false, env })

t.test('tapNodeOptions adds the preload once, after what is there', async t => {
  t.ok(existsSync(tapPreload()), tapPreload())
  const option = `--import="${pathToFileURL(tapPreload()).href}"`
  t.equal(tapNodeOptions(undefined), option)
  t.equal(tapNodeOptions('  --max-old-space-size=512 '), `--max-old-space-size=512 ${option}`)
  t.equal(tapNodeOptions(`--trace-warnings ${option}`), `--trace-warnings ${option}`, 'not twice (a run inside a run)')
  t.equal(tapNodeOptions(undefined, '/a b/p.mjs'), '--import="file:///a%20b/p.mjs"', 'a path with a blank stays one option')
})

t.test("topLevelEnv drops tap's variables and a NODE_OPTIONS of tap's, keeps the rest", async t => {
  t.same(topLevelEnv({ TAP: '1', TAP_CHILD_ID: '3', _TAPJS_X: 'y', NODE_OPTIONS: '--import=file:///x/@tapjs/processinfo/import.mjs', HOME: '/root' }), { HOME: '/root' })
  t.same(topLevelEnv({ NODE_OPTIONS: '--max-old-space-size=512' }), { NODE_OPTIONS: '--max-old-space-size=512' })
})

const probe = `import t from 'tap'
import { createRequire } from 'node:module'
const loaded = Object.keys(createRequire(import.meta.url).cache).some(k => k.includes('ts-node'))
const typed: number = 1
t.comment('ts-node loaded: ' + loaded + ', typed ' + typed)
t.pass('ran')
`

t.test('a run loads TypeScript test files with tsx, never ts-node; BOOTCHECK_TS_LOADER=ts-node keeps tap\'s default', async t => {
  const dir = t.testdir({ 'probe.test.ts': probe })
  const run = (env: Record<string, string>) => cli(dir, env, 'run', '--runs-dir', join(dir, 'runs'), '--progress', 'off', 'probe.test.ts')
  const tsx = await run({})
  t.equal(tsx.exitCode, 0, tsx.stderr)
  t.match(tsx.stdout, /# ts-node loaded: false, typed 1/)
  const tsNode = await run({ BOOTCHECK_TS_LOADER: 'ts-node' })
  t.equal(tsNode.exitCode, 0, tsNode.stderr)
  t.match(tsNode.stdout, /# ts-node loaded: true, typed 1/)
})

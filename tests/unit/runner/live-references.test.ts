// The live view's references on a real server (a stand-in QMP socket answering screendump
// with a PPM, no QEMU: tests/integration/live-references.test.ts boots one): the screen is
// taken and held, a rectangle on it saved as the reference of the machine's test file with
// its region, a mask added; writes need the token in a header; names with path parts,
// rectangles off the screen, a screen no longer held and machines of no test file of the
// run are refused, and nothing is written anywhere else.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { JsonLineDecoder } from '../../../src/qmp/index.js'
import { startLiveView } from '../../../src/runner/live/server.js'
import { decodePng } from '../../../src/screens/image.js'
import { referencePath } from '../../../src/screens/references.js'

/** A QMP socket whose screendump writes a `width`x`height` PPM, grey `value` (counted in `dumps`). */
async function standInQmp(t: Test, path: string, width: number, height: number, value: () => number): Promise<{ dumps: number }> {
  const seen = { dumps: 0 }
  const server = net.createServer(socket => {
    const decoder = new JsonLineDecoder()
    socket.on('error', () => undefined)
    socket.write(JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: [] } }) + '\n')
    socket.on('data', chunk => {
      for (const cmd of decoder.push(chunk) as Array<{ execute: string; arguments?: { filename: string }; id?: string }>) {
        if (cmd.execute === 'screendump') {
          seen.dumps++
          writeFileSync(cmd.arguments!.filename, Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), Buffer.alloc(width * height * 3, value())]))
        }
        socket.write(JSON.stringify({ return: {}, id: cmd.id }) + '\n')
      }
    })
  })
  await new Promise<void>(ok => server.listen(path, ok))
  t.teardown(() => new Promise<void>(ok => server.close(() => ok())))
  return seen
}

function files(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk(join(d, e.name)) : out.push(relative(dir, join(d, e.name))))
  }
  walk(dir)
  return out.sort()
}

/** A run's artifacts folder with one live machine of `menu.test.ts` (project/), and one of a file not in the run. */
async function setup(t: Test) {
  const dir = t.testdir({ project: { 'menu.test.ts': '// test\n', 'other.test.ts': '// other\n' }, artifacts: {} })
  const scratch = mkdtempSync(join(tmpdir(), 'live-refs-')) // a Unix socket's path is short
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
  const testFile = join(dir, 'project', 'menu.test.ts')
  let grey = 100
  const machine = (name: string, file: string): void => {
    const folder = join(dir, 'artifacts', name, 't', 'demo')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'live.json'), JSON.stringify({ vnc: join(scratch, `${name}-vnc.sock`), qmp: join(scratch, `${name}.sock`) }))
    writeFileSync(join(folder, 'machine.json'), JSON.stringify({ machine: 'demo', test: 't', file, startedAt: new Date().toISOString() }))
  }
  machine('menu', testFile)
  machine('other', join(dir, 'project', 'other.test.ts'))
  const qmp = await standInQmp(t, join(scratch, 'menu.sock'), 40, 20, () => grey)
  const view = await startLiveView({ root: join(dir, 'artifacts'), references: { testFiles: [testFile] } })
  t.teardown(() => view.close())
  const token = new URL(view.url).searchParams.get('token')!
  const base = `http://127.0.0.1:${view.port}`
  const state = (await (await fetch(`${base}/api/state?token=${token}`)).json()) as { machines: Array<{ id: string; file: string; references: { file?: string; unavailable?: string } }> }
  const id = (f: string): string => state.machines.find(m => m.file.endsWith(f))!.id
  const post = async (path: string, body?: object, headers: Record<string, string> = { 'x-bootcheck-token': token }) => {
    const r = await fetch(`${base}${path}?token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body ?? {}) })
    return { status: r.status, body: (r.headers.get('content-type') === 'application/json' ? await r.json() : { text: await r.text() }) as Record<string, any> }
  }
  return { dir, testFile, qmp, state, menu: id('menu.test.ts'), other: id('other.test.ts'), post, base, token, setGrey: (v: number) => void (grey = v) }
}

t.test('take the screen, save a region reference of the test file, add a mask', async t => {
  const s = await setup(t)
  t.match(s.state.machines.find(m => m.id === s.menu)!.references, { file: /menu\.test\.ts$/ }, 'the state names the test file')
  const shot = await s.post(`/api/screen/${s.menu}`)
  t.equal(shot.status, 200, JSON.stringify(shot.body))
  t.match(shot.body, { shot: 1, width: 40, height: 20, src: `/api/screen/${s.menu}/1.png` })
  t.equal(s.qmp.dumps, 1, "QEMU's screendump, once")
  const png = await fetch(`${s.base}${(shot.body as { src: string }).src}?token=${s.token}`)
  t.equal(png.headers.get('content-type'), 'image/png')
  t.equal(decodePng(Buffer.from(await png.arrayBuffer())).data[0], 100, 'the held screen is served')
  s.setGrey(7) // the screen changes: what is saved is what was held
  const ref = referencePath(s.testFile, 'menu')
  const saved = await s.post(`/api/reference/${s.menu}`, { op: 'reference', name: 'menu', shot: 1, rect: { x: 2, y: 3, width: 10, height: 5 } })
  t.equal(saved.status, 200, JSON.stringify(saved.body))
  t.same(saved.body, { written: [ref.png, ref.sidecar], code: "await vm.waitForScreen('menu', { region: { x: 2, y: 3, width: 10, height: 5 } })" })
  const written = decodePng(readFileSync(ref.png))
  t.same([written.width, written.height, written.data[0]], [40, 20, 100], 'the whole screen as it was held')
  t.same(JSON.parse(readFileSync(ref.sidecar, 'utf8')), { region: { x: 2, y: 3, width: 10, height: 5 } })
  const again = await s.post(`/api/reference/${s.menu}`, { op: 'reference', name: 'menu', shot: 1, rect: { x: 0, y: 0, width: 4, height: 4 } })
  t.equal(again.status, 409, 'not replaced unasked')
  t.match(again.body, { error: { code: 'BOOTCHECK_USAGE', message: /exists already/ } })
  const masked = await s.post(`/api/reference/${s.menu}`, { op: 'mask', name: 'menu', rect: { x: 30, y: 0, width: 10, height: 4 } })
  t.equal(masked.status, 200)
  t.equal(masked.body.code, "await vm.expectScreen('menu', { mask: [{ x: 30, y: 0, width: 10, height: 4 }] })")
  t.same(JSON.parse(readFileSync(ref.sidecar, 'utf8')), { region: { x: 2, y: 3, width: 10, height: 5 }, mask: [{ x: 30, y: 0, width: 10, height: 4 }] }, 'the mask added, the region kept')
  t.equal((await s.post(`/api/screen/${s.menu}`)).status, 200)
  const replaced = await s.post(`/api/reference/${s.menu}`, { op: 'reference', name: 'menu', shot: 2, rect: { x: 0, y: 0, width: 40, height: 20 }, replace: true })
  t.same(replaced.body, { written: [ref.png, ref.sidecar], code: "await vm.waitForScreen('menu')" }, 'replaced when asked; the whole screen: no region')
  t.same(JSON.parse(readFileSync(ref.sidecar, 'utf8')), { mask: [{ x: 30, y: 0, width: 10, height: 4 }] }, 'its mask kept')
  t.equal(decodePng(readFileSync(ref.png)).data[0], 7)
})

t.test('refused: no token header, other machines, bad names and rectangles, a screen no longer held; nothing written', async t => {
  const s = await setup(t)
  const before = files(s.dir)
  t.match(s.state.machines.find(m => m.id === s.other)!.references, { unavailable: /not one of this run's test files/ })
  const rect = { x: 0, y: 0, width: 4, height: 4 }
  t.equal((await s.post(`/api/screen/${s.menu}`, {}, {})).status, 403, 'taking the screen without the token header (the cookie or URL is not enough)')
  t.equal((await s.post(`/api/reference/${s.menu}`, { op: 'reference', name: 'x', shot: 1, rect }, { 'x-bootcheck-token': 'A'.repeat(32) })).status, 403, 'a wrong token header')
  const noToken = await fetch(`${s.base}/api/reference/${s.menu}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'mask', name: 'x', rect }) })
  t.equal(noToken.status, 403, 'no token at all')
  t.equal(s.qmp.dumps, 0, 'no screendump for them')
  t.equal((await s.post(`/api/screen/${s.menu}`)).status, 200)
  const cases: Array<[string, string, object, number, string, RegExp]> = [
    ['a machine of another file', s.other, { op: 'mask', name: 'x', rect }, 409, 'BOOTCHECK_USAGE', /not one of this run's test files/],
    ['a name with ..', s.menu, { op: 'reference', name: '../../evil', shot: 1, rect }, 400, 'BOOTCHECK_SPEC', /invalid reference name/],
    ['a name with a slash', s.menu, { op: 'mask', name: 'a/b', rect }, 400, 'BOOTCHECK_SPEC', /invalid reference name/],
    ['an absolute name', s.menu, { op: 'reference', name: '/tmp/x', shot: 1, rect }, 400, 'BOOTCHECK_SPEC', /invalid reference name/],
    ['a rectangle off the screen', s.menu, { op: 'reference', name: 'x', shot: 1, rect: { x: 38, y: 0, width: 4, height: 4 } }, 400, 'BOOTCHECK_SPEC', /not inside the 40x20 screen/],
    ['a screen not held', s.menu, { op: 'reference', name: 'x', shot: 9, rect }, 409, 'BOOTCHECK_USAGE', /no longer held/],
    ['a mask of no reference', s.menu, { op: 'mask', name: 'nothing', rect }, 409, 'BOOTCHECK_USAGE', /no reference/],
    ['an unknown field', s.menu, { op: 'mask', name: 'x', rect, testFile: '/etc/passwd' }, 400, 'BOOTCHECK_USAGE', /unknown field 'testFile'/],
    ['an unknown op', s.menu, { op: 'accept', name: 'x' }, 400, 'BOOTCHECK_USAGE', /op must be/],
  ]
  for (const [what, id, body, status, code, message] of cases) {
    const r = await s.post(`/api/reference/${id}`, body)
    t.equal(r.status, status, what)
    t.match(r.body, { error: { code, message } }, what)
  }
  const other = await s.post(`/api/screen/${s.other}`)
  t.equal(other.status, 409, 'no screen taken of a machine of another file')
  t.equal((await s.post('/api/screen/0123456789ab')).status, 404, 'an unknown machine')
  t.same(files(s.dir), before, 'nothing was written')
})

t.test('without owners (bootcheck shell): every machine says why it has no references', async t => {
  const dir = t.testdir({ m: { 'live.json': JSON.stringify({ vnc: '/nonexistent' }), 'machine.json': JSON.stringify({ machine: 'demo', test: 'shell', file: '/usr/bin/bootcheck' }) } })
  const view = await startLiveView({ root: dir, references: { unavailable: 'bootcheck shell boots no test file' } })
  t.teardown(() => view.close())
  const token = new URL(view.url).searchParams.get('token')!
  const state = (await (await fetch(`http://127.0.0.1:${view.port}/api/state?token=${token}`)).json()) as { machines: Array<{ references: unknown }> }
  t.same(state.machines.map(m => m.references), [{ unavailable: 'bootcheck shell boots no test file' }])
  const page = await (await fetch(`http://127.0.0.1:${view.port}/?token=${token}`)).text()
  t.match(page, '<script type="module" src="/assets/references.js"></script>')
  for (const asset of ['/assets/references.js', '/assets/drag.js']) t.equal((await fetch(`http://127.0.0.1:${view.port}${asset}?token=${token}`)).status, 200, asset)
})

// The references `bootcheck show-trace` writes for a trace page: a new reference with its
// region, a mask added to a sidecar, an accepted actual screen; only at the test file's
// reference paths, and nothing at all for a bad name, image or trace.
import t, { type Test } from 'tap'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { startTraceServer } from '../../../src/runner/show-trace.js'
import { referencePath } from '../../../src/screens/references.js'
import { decodePng, encodePng, type Image } from '../../../src/screens/image.js'
import { renderTracePage } from '../../../src/report/trace/page.js'
import type { TraceData } from '../../../src/report/trace/data.js'

function image(width: number, height: number, value: number): Image {
  return { width, height, data: Buffer.alloc(width * height * 4, value) }
}

/** Every file under `dir` with its size and modification time. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out[relative(dir, p)] = `${statSync(p).size}:${statSync(p).mtimeMs}`
    }
  }
  walk(dir)
  return out
}

/** A run folder with one trace of `menu.test.ts` (beside it): an expectScreen('menu') step with its actual screen, a screenshot, and a filmstrip frame. */
function setup(t: Test) {
  const dir = t.testdir({ project: { 'menu.test.ts': '// test\n' }, run: { 'results.json': '{}', artifacts: { t: { demo: { filmstrip: {} } } } } })
  const testDir = join(dir, 'run', 'artifacts', 't')
  writeFileSync(join(testDir, 'demo', 'menu-actual.png'), encodePng(image(40, 20, 200)))
  writeFileSync(join(testDir, 'demo', 'shot.png'), encodePng(image(40, 20, 90)))
  writeFileSync(join(testDir, 'demo', 'filmstrip', '001.png'), encodePng(image(20, 10, 50)))
  const testFile = join(dir, 'project', 'menu.test.ts')
  const step = { machine: 0, depth: 0, args: 'menu', start: 1, end: 2, outcome: 'error' as const, markers: [] }
  const data: TraceData = {
    test: 'menu',
    file: 'menu.test.ts',
    testFile,
    screens: ['menu'],
    status: 'failed',
    machines: [{ name: 'demo', lines: [], omitted: 0, commands: {}, frames: [{ at: 1, src: 'demo/filmstrip/001.png' }], events: [], packets: [] }],
    steps: [
      { ...step, key: '0:1', action: 'expectScreen', screen: 'menu', attachments: [{ name: 'actual', src: 'demo/menu-actual.png', href: 'demo/menu-actual.png' }] },
      { ...step, key: '0:2', action: 'screenshot', outcome: 'ok', attachments: [{ name: 'screenshot', src: 'demo/shot.png', href: 'demo/shot.png' }] },
    ],
  }
  writeFileSync(join(testDir, 'trace.html'), renderTracePage(data))
  return { dir, testFile, run: join(dir, 'run'), trace: '/artifacts/t/trace.html' }
}

t.test('save a reference with its region, add masks, accept the actual: only the reference files are written', async t => {
  const { dir, testFile, run, trace } = setup(t)
  const s = await startTraceServer(run)
  t.teardown(() => s.close())
  const post = async (body: object) => {
    const r = await fetch(`${s.url}__bootcheck/reference`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-bootcheck-token': s.token! }, body: JSON.stringify({ trace, ...body }) })
    return { status: r.status, body: (await r.json()) as { written?: string[]; code?: string; error?: { code: string; message: string } } }
  }
  const ref = referencePath(testFile, 'menu')
  const before = files(dir)

  const saved = await post({ op: 'reference', name: 'menu', image: 'demo/shot.png', rect: { x: 2, y: 3, width: 10, height: 5 } })
  t.equal(saved.status, 200, JSON.stringify(saved.body))
  t.same(saved.body.written, [ref.png, ref.sidecar])
  t.equal(saved.body.code, "await vm.waitForScreen('menu', { region: { x: 2, y: 3, width: 10, height: 5 } })")
  t.ok(readFileSync(ref.png).equals(readFileSync(join(run, 'artifacts/t/demo/shot.png'))), 'the whole screen, as it was')
  t.same(JSON.parse(readFileSync(ref.sidecar, 'utf8')), { region: { x: 2, y: 3, width: 10, height: 5 } })
  const after = files(dir)
  t.same(Object.keys(after).filter(f => !(f in before)).sort(), ['project/menu.test.screens/menu.json', 'project/menu.test.screens/menu.png'], 'exactly the two files')

  const again = await post({ op: 'reference', name: 'menu', image: 'demo/shot.png', rect: { x: 0, y: 0, width: 4, height: 4 } })
  t.equal(again.status, 409, 'an existing reference is not replaced unasked')
  t.match(again.body.error, { code: 'BOOTCHECK_USAGE', message: /exists/ })

  const masked = await post({ op: 'mask', name: 'menu', rect: { x: 30, y: 0, width: 10, height: 4 } })
  t.equal(masked.status, 200)
  t.equal(masked.body.code, "await vm.expectScreen('menu', { mask: [{ x: 30, y: 0, width: 10, height: 4 }] })")
  await post({ op: 'mask', name: 'menu', rect: { x: 0, y: 16, width: 5, height: 4 } })
  t.same(JSON.parse(readFileSync(ref.sidecar, 'utf8')), { region: { x: 2, y: 3, width: 10, height: 5 }, mask: [{ x: 30, y: 0, width: 10, height: 4 }, { x: 0, y: 16, width: 5, height: 4 }] }, 'masks added, the region kept')

  const accepted = await post({ op: 'accept', name: 'menu', image: 'demo/menu-actual.png' })
  t.equal(accepted.status, 200)
  t.same(accepted.body.written, [ref.png])
  t.same(decodePng(readFileSync(ref.png)).data[0], 200, 'the actual screen is the reference now')
  t.equal(JSON.parse(readFileSync(ref.sidecar, 'utf8')).mask.length, 2, 'its sidecar kept')

  const whole = await post({ op: 'reference', name: 'whole', image: 'demo/shot.png', rect: { x: 0, y: 0, width: 40, height: 20 } })
  t.same(whole.body.written, [referencePath(testFile, 'whole').png], 'the whole screen: no sidecar')
  t.equal(whole.body.code, "await vm.waitForScreen('whole')")
})

t.test('refused: bad names, images outside the trace, frames, rectangles off the screen, other traces; nothing written', async t => {
  const { dir, run, trace } = setup(t)
  const s = await startTraceServer(run)
  t.teardown(() => s.close())
  const post = async (body: object) => {
    const r = await fetch(`${s.url}__bootcheck/reference`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-bootcheck-token': s.token! }, body: JSON.stringify(body) })
    return { status: r.status, body: (await r.json()) as { error: { code: string; message: string } } }
  }
  const before = files(dir)
  const rect = { x: 0, y: 0, width: 4, height: 4 }
  const cases: Array<[string, object, number, string, RegExp]> = [
    ['a name with ..', { trace, op: 'reference', name: '../../evil', image: 'demo/shot.png', rect }, 400, 'BOOTCHECK_SPEC', /invalid reference name/],
    ['a name with a slash', { trace, op: 'mask', name: 'a/b', rect }, 400, 'BOOTCHECK_SPEC', /invalid reference name/],
    ['an empty name', { trace, op: 'reference', name: '', image: 'demo/shot.png', rect }, 400, 'BOOTCHECK_SPEC', /invalid reference name/],
    ['an image outside the trace', { trace, op: 'reference', name: 'x', image: '../../../../project/menu.test.ts', rect }, 404, 'BOOTCHECK_USAGE', /not an image of this trace/],
    ['a filmstrip frame (half size)', { trace, op: 'reference', name: 'x', image: 'demo/filmstrip/001.png', rect }, 400, 'BOOTCHECK_SPEC', /half size/],
    ['a rectangle off the screen', { trace, op: 'reference', name: 'x', image: 'demo/shot.png', rect: { x: 38, y: 0, width: 4, height: 4 } }, 400, 'BOOTCHECK_SPEC', /not inside the 40x20 screen/],
    ['a rectangle that is not one', { trace, op: 'reference', name: 'x', image: 'demo/shot.png', rect: { x: -1, y: 0, width: 4, height: 4 } }, 400, 'BOOTCHECK_SPEC', /non-negative/],
    ['a mask of no reference', { trace, op: 'mask', name: 'nothing', rect }, 409, 'BOOTCHECK_USAGE', /no reference/],
    ['accepting a screenshot', { trace, op: 'accept', name: 'menu', image: 'demo/shot.png' }, 400, 'BOOTCHECK_SPEC', /only the actual screen/],
    ['accepting under another name', { trace, op: 'accept', name: 'other', image: 'demo/menu-actual.png' }, 400, 'BOOTCHECK_SPEC', /only the actual screen/],
    ['another path as the trace', { trace: '/../project/trace.html', op: 'mask', name: 'menu', rect }, 404, 'BOOTCHECK_USAGE', /not a trace served here/],
    ['an unknown field', { trace, op: 'mask', name: 'menu', rect, testFile: '/etc/passwd' }, 400, 'BOOTCHECK_USAGE', /unknown field 'testFile'/],
    ['an unknown op', { trace, op: 'delete', name: 'menu' }, 400, 'BOOTCHECK_USAGE', /op must be/],
  ]
  for (const [what, body, status, code, message] of cases) {
    const r = await post(body)
    t.equal(r.status, status, what)
    t.match(r.body.error, { code, message }, what)
  }
  t.same(files(dir), before, 'nothing was written')
})

t.test('a trace whose test file is not here: refused with a reason', async t => {
  const { dir, run, trace } = setup(t)
  const page = join(run, 'artifacts/t/trace.html')
  writeFileSync(page, readFileSync(page, 'utf8').replace(join(dir, 'project', 'menu.test.ts'), '/nonexistent/menu.test.ts'))
  const s = await startTraceServer(run)
  t.teardown(() => s.close())
  const r = await fetch(`${s.url}__bootcheck/reference`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bootcheck-token': s.token! },
    body: JSON.stringify({ trace, op: 'reference', name: 'menu', image: 'demo/shot.png', rect: { x: 0, y: 0, width: 4, height: 4 } }),
  })
  t.equal(r.status, 409)
  t.match(await r.json(), { error: { message: /not on this computer/ } })
})

// The recorder's answers to the page: marks pause the guest until the next key or click; a
// screen mark writes the reference and its region where waitForScreen looks; a text mark
// must be on the screen now; bad marks are refused with the reason, nothing written.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { blankImage, fillRect } from '../../../../src/screens/draw.js'
import { decodePng } from '../../../../src/screens/image.js'
import type { ScreenText } from '../../../../src/screens/ocr-tsv.js'
import { referencePath } from '../../../../src/screens/references.js'
import { RecordSession } from '../../../../src/runner/record/session.js'

const ID = '0123456789ab'
const screenText: ScreenText = {
  lines: [{ text: 'boot: live', words: [], box: { x: 0, y: 0, width: 80, height: 16 } } as unknown as ScreenText['lines'][number]],
  words: [],
  text: 'boot: live',
} as unknown as ScreenText

function session(dir: string) {
  const calls: string[] = []
  const image = blankImage(720, 400)
  fillRect(image, { x: 0, y: 48, width: 100, height: 16 }, [255, 255, 255])
  const testFile = join(dir, 'menu.test.ts')
  const s = new RecordSession(
    {
      pause: async () => void calls.push('pause'),
      resume: async () => void calls.push('resume'),
      screen: async () => image,
      text: async () => screenText,
    },
    ID,
    testFile,
    async () => (calls.push('stop'), testFile),
  )
  return { s, calls, testFile }
}

t.test('a screen region: the guest paused, the reference and its region written, the step recorded', async t => {
  const { s, calls, testFile } = session(t.testdir())
  t.same((await s.request('pause', ID, {})).body, { paused: true })
  const region = { x: 0, y: 48, width: 100, height: 16 }
  const a = await s.request('screen', ID, { name: 'prompt', region })
  t.equal(a.status, 200)
  t.same(calls, ['pause'], 'still paused after the mark')
  t.match(s.state(), { paused: true })
  s.input(ID, Buffer.from([5, 0, 0, 10, 0, 10]))
  s.input(ID, Buffer.from([4, 0, 0, 0, 0, 0, 0, 0x61]))
  t.same(calls, ['pause'], 'a pointer move or a key release does not resume it')
  t.equal(s.ready(ID), undefined, 'input passes at once while nothing resumes')
  s.input(ID, Buffer.from([255, 0, 0, 1, 0, 0, 0xff, 0x09, 0, 0, 0, 0x0f]))
  const ready = s.ready(ID)
  t.ok(ready instanceof Promise, 'the key waits for the guest to run (QEMU drops input while paused)')
  await ready
  await new Promise(r => setImmediate(r))
  t.equal(s.ready(ID), undefined)
  t.same(calls, ['pause', 'resume'], 'the next key pressed does')
  t.match(s.state(), { paused: false })
  const ref = referencePath(testFile, 'prompt')
  t.same(JSON.parse(readFileSync(ref.sidecar, 'utf8')), { region })
  t.equal(decodePng(readFileSync(ref.png)).width, 720)
  t.equal((a.body as { code: string }).code, "await vm.waitForScreen('prompt', { region: { x: 0, y: 48, width: 100, height: 16 }, interval: 200 })")
  t.match(s.recording.steps, [{ kind: 'screen', name: 'prompt', region }, { kind: 'key', combo: 'tab' }])
  const again = await s.request('screen', ID, { name: 'prompt', region })
  t.equal(again.status, 400, 'a name used twice is refused')
})

t.test('bad regions and names, and existing files, are refused', async t => {
  const dir = t.testdir({ 'menu.test.screens': { 'taken.png': 'mine' } })
  const { s } = session(dir)
  const bad = async (body: unknown, status: number, message: RegExp): Promise<void> => {
    const a = await s.request('screen', ID, body)
    t.equal(a.status, status, message.source)
    t.match((a.body as { error: string }).error, message)
  }
  await bad({ name: 'x', region: { x: 700, y: 0, width: 40, height: 10 } }, 400, /not inside the 720x400 screen/)
  await bad({ name: 'x', region: { x: 0, y: 0, width: 0, height: 10 } }, 400, /region\.width/)
  await bad({ name: '../escape', region: { x: 0, y: 0, width: 1, height: 1 } }, 400, /reference name/)
  await bad({ name: 'taken', region: { x: 0, y: 0, width: 1, height: 1 } }, 409, /exists already/)
  t.equal(readFileSync(join(dir, 'menu.test.screens', 'taken.png'), 'utf8'), 'mine', 'never replaced')
  t.notOk(existsSync(join(dir, 'menu.test.screens', 'taken.json')))
  t.equal(s.recording.steps.length, 0)
  t.equal((await s.request('screen', 'ffffffffffff', {})).status, 404, 'another machine')
})

t.test('a text: checked on the screen now', async t => {
  const { s, calls } = session(t.testdir())
  t.equal((await s.request('text', ID, { pattern: 'live', regex: false })).status, 200)
  t.equal((await s.request('text', ID, { pattern: 'boot:\\s+l', regex: true })).status, 200)
  const missing = await s.request('text', ID, { pattern: 'login:', regex: false })
  t.equal(missing.status, 400)
  t.match((missing.body as { error: string }).error, /not in the screen's text as OCR reads it now[^]*boot: live/)
  t.equal((await s.request('text', ID, { pattern: '(', regex: true })).status, 400, 'not a regular expression')
  t.equal((await s.request('text', ID, { pattern: ' ', regex: false })).status, 400, 'empty')
  t.match(s.recording.steps, [{ kind: 'text', pattern: 'live', regex: false }, { kind: 'text', pattern: 'boot:\\s+l', regex: true }])
  t.same((await s.request('read', ID, {})).body, { lines: ['boot: live'] })
  t.same(calls, [], 'not paused, so not resumed')
})

t.test('stop: the file written once; then marks are refused; input of the machine recorded until then', async t => {
  const { s, calls, testFile } = session(t.testdir())
  s.input(ID, Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]))
  s.input('ffffffffffff', Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x62]))
  t.same((await s.request('stop', ID, {})).body, { written: testFile })
  t.same((await s.request('stop', ID, {})).body, { written: testFile })
  t.same(calls, ['stop'])
  t.equal((await s.request('text', ID, { pattern: 'live' })).status, 409)
  s.input(ID, Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x63]))
  t.match(s.recording.steps, [{ kind: 'type', text: 'a' }])
  t.match(s.state(), { machine: ID, file: testFile, paused: false, code: ["await vm.type('a')"], written: testFile })
})

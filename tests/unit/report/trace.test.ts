// The trace of a test, from a real run folder's transcript and step log (the demo ISO
// under TCG: three commands, the last failing): steps, console lines with byte offsets,
// the failing step it opens at, the clean view's commands; QMP events and frame lines.
import t from 'tap'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRecord, TestRecord } from '../../../src/report/model.js'
import { traceOf } from '../../../src/report/trace/data.js'
import { describeFrame, qmpEvents } from '../../../src/report/trace/events.js'
import { renderTracePage } from '../../../src/report/trace/page.js'
import { summarizeFrame } from '../../../src/net/pcap.js'
import { ocrRecordOf } from '../../../src/screens/ocr-record.js'

const fixtures = new URL('../fixtures/transcripts/', import.meta.url)

function realTest(dir: string, actions: ActionRecord[]): TestRecord {
  const machine = join(dir, 'demo')
  cpSync(new URL('demo-failing.console.log', fixtures), join(machine, 'console.log'))
  return {
    name: 'the shell prints colours then fails',
    status: 'failed',
    message: 'line one\nline two',
    machines: [{ machine: 'demo', test: 'x', dir: machine, transcript: join(machine, 'console.log'), screens: [], actions }],
  }
}

const actions = readFileSync(new URL('demo-failing.actions.jsonl', fixtures), 'utf8').trim().split('\n').map(l => JSON.parse(l) as ActionRecord)

t.test('steps, the failing step to open at, console lines by offset and the commands', async t => {
  const dir = t.testdir({ demo: {} })
  const raw = readFileSync(new URL('demo-failing.console.log', fixtures))
  const trace = traceOf(realTest(dir, actions), 'fail.test.ts', dir)
  t.same(trace.steps.map(s => [s.key, s.action, s.outcome]), [['0:1', 'succeed', 'ok'], ['0:2', 'succeed', 'ok'], ['0:3', 'succeed', 'error']])
  t.equal(trace.focus, '0:3', 'opens at the failing step')
  const lines = trace.machines[0]!.lines
  t.equal(lines.reduce((n, l) => n + l.n, 0), raw.length, 'the lines cover every byte')
  for (const l of lines.slice(0, 40)) t.equal(raw.subarray(l.o, l.o + l.n).toString('utf8').includes('\n') || l.o + l.n === raw.length, true)
  // No offsets in this older step log: found by the command's marker.
  const failing = trace.steps[2]!
  const text = raw.subarray(failing.console!.from, failing.console!.to).toString('utf8')
  t.match(text, /__bcx BCa30c8be79e7e 'echo about to fail; false'/)
  t.match(text, /BCa30c8be79e7eE 1/)
  t.notMatch(text, /echo ready/, 'not an earlier command')
  t.same(trace.machines[0]!.commands['BCa30c8be79e7e'], { c: 'echo about to fail; false', h: 'about to fail\n', s: 1 })
  t.match(trace.machines[0]!.commands['BC43b7aac2eedf']!.h, '<span class="ansi-bold ansi-fg2">green</span> plain')
})

t.test('recorded offsets win over markers; the page embeds the data safely', async t => {
  const dir = t.testdir({ demo: {} })
  const withOffsets = actions.map(a => ({ ...a, console: { from: 100, to: 200 } }))
  withOffsets[0]!.args = { command: '</script><script>alert(1)</script>' }
  const trace = traceOf(realTest(dir, withOffsets), 'fail.test.ts', dir)
  t.same(trace.steps[0]!.console, { from: 100, to: 200 })
  const html = renderTracePage(trace)
  t.notMatch(html, '</script><script>alert', 'no markup breaks out of the JSON')
  t.match(html, '<pre class="failure-message">line one\nline two</pre>', 'the message keeps its lines')
})

t.test('QMP events with their own timestamps; frames in one line', async t => {
  const dir = t.testdir({
    'qmp.log': [
      '> {"execute":"system_reset","id":"bc-3"}',
      '< {"timestamp": {"seconds": 1796447610, "microseconds": 620663}, "event": "RESET", "data": {"guest": false, "reason": "host-qmp-system-reset"}}',
      '< {"return": {}, "id": "bc-3"}',
      '< {"timestamp": {"seconds": 1796447611, "microseco',
    ].join('\n'),
  })
  t.same(qmpEvents(join(dir, 'qmp.log')), [{ at: 1796447610620, event: 'RESET', data: '{"guest":false,"reason":"host-qmp-system-reset"}' }])
  t.same(qmpEvents(join(dir, 'missing.log')), [])
  const frame = Buffer.alloc(42)
  frame.writeUInt16BE(0x0800, 12)
  Buffer.from([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2, 0, 68, 0, 67, 0, 8, 0, 0]).copy(frame, 14)
  t.equal(describeFrame(summarizeFrame(frame), 42), '10.0.2.15:68 → 10.0.2.2:67 UDP 42 B')
})

t.test("a step's attachments: images by a path relative to the page, expected and actual side by side for the slider", async t => {
  const dir = t.testdir({ demo: { 'expected.png': 'x', 'actual.png': 'y', 'notes.txt': 'z' } })
  const withFiles = actions.map((a, i) => (i === 2 ? { ...a, attachments: [{ name: 'expected', path: join(dir, 'demo', 'expected.png') }, { name: 'actual', path: join(dir, 'demo', 'actual.png') }, { name: 'log', path: join(dir, 'demo', 'notes.txt') }] } : a))
  const trace = traceOf(realTest(dir, withFiles), 'fail.test.ts', dir)
  t.same(trace.steps[2]!.attachments, [
    { name: 'expected', src: 'demo/expected.png', href: 'demo/expected.png' },
    { name: 'actual', src: 'demo/actual.png', href: 'demo/actual.png' },
    { name: 'log', href: 'demo/notes.txt' },
  ])
})

t.test('a test that failed after its steps (an assertion on a result) opens at its last step; a passed one at none', async t => {
  const dir = t.testdir({ demo: {} })
  const ok = actions.slice(0, 2)
  t.equal(traceOf(realTest(dir, ok), 'f.test.ts', dir).focus, '0:2')
  t.equal(traceOf({ ...realTest(dir, ok), status: 'passed' }, 'f.test.ts', dir).focus, undefined)
})

t.test('what the reference editor and the OCR layer need: the test file, the screens checked, the words an OCR pass read', async t => {
  const dir = t.testdir({ demo: { 'ocr-1.json': '', 'ocr-2.json': '{"width": 10, "height": 4, "words": [{"t": "x", "x": "bad"}]}' } })
  const text = { lines: [], words: [{ text: 'Install', box: { x: 10, y: 20, width: 50, height: 12 }, confidence: 95 }, { text: 'Rescue', box: { x: 80, y: 20, width: 40, height: 12 }, confidence: 90 }], text: 'Install Rescue' }
  writeFileSync(join(dir, 'demo', 'ocr-1.json'), JSON.stringify(ocrRecordOf(720, 400, text)))
  const screenSteps: ActionRecord[] = [
    { ...actions[0]!, id: 1, action: 'expectScreen', args: { name: 'menu.png' } },
    { ...actions[1]!, id: 2, action: 'waitForText', args: { pattern: 'Install' }, attachments: [{ name: 'ocr', path: join(dir, 'demo', 'ocr-1.json') }] },
    { ...actions[2]!, id: 3, action: 'waitForScreen', args: { name: 'menu', timeout: 5 }, attachments: [{ name: 'ocr', path: join(dir, 'demo', 'ocr-2.json') }] },
  ]
  const trace = traceOf(realTest(dir, screenSteps), 'menu.test.ts', dir, '/project/menu.test.ts')
  t.equal(trace.testFile, '/project/menu.test.ts')
  t.same(trace.screens, ['menu'], 'each reference once, without .png')
  t.same(trace.steps.map(s => s.screen), ['menu', undefined, 'menu'])
  t.same(trace.steps[1]!.ocr, { width: 720, height: 400, words: [{ t: 'Install', x: 10, y: 20, w: 50, h: 12 }, { t: 'Rescue', x: 80, y: 20, w: 40, h: 12 }] })
  t.equal(trace.steps[2]!.ocr, undefined, 'a damaged record is left out')
  t.equal(traceOf(realTest(dir, screenSteps), 'menu.test.ts', dir).testFile, undefined)
})

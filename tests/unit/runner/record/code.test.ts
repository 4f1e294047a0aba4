// The test file bootcheck record writes, from recorded steps.
import t from 'tap'
import { recordedTestSource, regexLiteral, stepLine, stepLines } from '../../../../src/runner/record/code.js'
import type { RecordedStep } from '../../../../src/runner/record/steps.js'

const steps: RecordedStep[] = [
  { kind: 'screen', name: 'boot-prompt', region: { x: 0, y: 64, width: 560, height: 16 }, at: 4000 },
  { kind: 'key', combo: 'tab', at: 4300 },
  { kind: 'type', text: "it's\\here", at: 4800 },
  { kind: 'click', x: 10, y: 20, button: 'left', at: 5000 },
  { kind: 'click', x: 1, y: 2, button: 'right', at: 5100 },
  { kind: 'text', pattern: 'live-copytoram', regex: false, at: 7000 },
  { kind: 'text', pattern: 'a/b\\d+', regex: true, at: 7100 },
  { kind: 'note', text: 'a key the recorder cannot name (keysym 0xe9) was pressed here', at: 7200 },
]

t.test('each step as the machine API replays it', async t => {
  t.same(stepLines(steps), [
    "await vm.waitForScreen('boot-prompt', { region: { x: 0, y: 64, width: 560, height: 16 }, interval: 200 })",
    "await vm.sendKey('tab')",
    "await vm.type('it\\'s\\\\here')",
    'await vm.click(10, 20)',
    "await vm.click(1, 2, 'right')",
    "await vm.waitForText('live-copytoram')",
    'await vm.waitForText(/a\\/b\\d+/)',
    '// a key the recorder cannot name (keysym 0xe9) was pressed here',
  ])
})

t.test('a long wait gets a timeout of three times it; a long unmarked pause a comment', async t => {
  t.equal(stepLine({ kind: 'text', pattern: 'login:', regex: false, at: 0 }, 45_000), "await vm.waitForText('login:', { timeout: 140000 })")
  t.equal(stepLine({ kind: 'screen', name: 'x', region: { x: 0, y: 0, width: 1, height: 1 }, at: 0 }, 10_000), "await vm.waitForScreen('x', { region: { x: 0, y: 0, width: 1, height: 1 }, interval: 200 })")
  t.same(stepLines([{ kind: 'type', text: 'a', at: 100 }, { kind: 'key', combo: 'ret', at: 5100 }]), [
    "await vm.type('a')",
    '// the user waited 5.0 s here: if the replay is too quick, mark what was waited for',
    "await vm.sendKey('ret')",
  ])
  t.same(stepLines([{ kind: 'text', pattern: 'x', regex: false, at: 100 }, { kind: 'key', combo: 'ret', at: 5100 }]), ["await vm.waitForText('x')", "await vm.sendKey('ret')"], 'no comment after a mark')
})

t.test('a regular expression literal is the same expression', async t => {
  const probes = ['a/b', 'x/y', '/', 'live  7', '', 'ab', 'x\\/y']
  for (const source of ['a/b', 'x\\/y', '[/]', 'live\\s+\\d', '']) {
    const literal = regexLiteral(source)
    const re = new Function(`return ${literal}`)() as RegExp
    t.same(probes.map(p => re.test(p)), probes.map(p => new RegExp(source).test(p)), `${source} → ${literal}`)
  }
  t.throws(() => regexLiteral('('), SyntaxError)
})

t.test('the file: imports, the machine from a spec or the config, the steps', async t => {
  const src = recordedTestSource({ machine: { spec: { name: 'menu', cdrom: '/media/live.iso', tablet: true } }, steps: steps.slice(0, 2), testName: "recorded: menu's", source: 'menu.json' })
  t.equal(
    src,
    [
      '// Recorded by `bootcheck record menu.json`: it boots the machine and replays what was',
      '// typed, clicked and marked in the live view. Screen references are in the .screens folder',
      '// beside this file. Edit freely.',
      "import t from 'tap'",
      "import { boot } from 'bootcheck'",
      '',
      "t.test('recorded: menu\\'s', async t => {",
      '  const vm = await boot(t, {',
      '    "name": "menu",',
      '    "cdrom": "/media/live.iso",',
      '    "tablet": true',
      '  })',
      "  await vm.waitForScreen('boot-prompt', { region: { x: 0, y: 64, width: 560, height: 16 }, interval: 200 })",
      "  await vm.sendKey('tab')",
      '})',
      '',
    ].join('\n'),
  )
  const named = recordedTestSource({ machine: { config: 'live', overrides: { tablet: true } }, steps: [], testName: 'r', source: 'live', importFrom: '../src/index.js' })
  t.match(named, "import { boot } from '../src/index.js'")
  t.match(named, `const vm = await boot(t, 'live', {"tablet":true})`)
  t.match(recordedTestSource({ machine: { config: 'live', overrides: {} }, steps: [], testName: 'r', source: 'live' }), "const vm = await boot(t, 'live')\n")
})

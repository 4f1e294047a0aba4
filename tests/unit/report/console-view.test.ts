// The report's console view: colours rendered as spans (systemd's [  OK  ], ls --color),
// other escape sequences gone, commands from the transcript with their decoded output.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { commandLine, SHELL_SETUP } from '../../../src/guest/protocol.js'
import { colourSpans, dropColours, keepColours } from '../../../src/report/html/ansi-html.js'
import { knownCommands, renderConsoleView } from '../../../src/report/html/console-view.js'
import type { ActionRecord } from '../../../src/report/model.js'
import { escapeMarkup } from '../../../src/report/text.js'

t.test('colour sequences become spans, every other sequence and CR goes, every span is closed', async t => {
  const systemd = '[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mJournal Service\x1b[0m.\r\n'
  t.equal(colourSpans(escapeMarkup(keepColours(systemd))), '[<span class="ansi-fg2">  OK  </span>] Started <span class="ansi-bold">Journal Service</span>.\n')
  t.equal(colourSpans(escapeMarkup(keepColours('\x1b[?2004hroot# \x1b]0;title\x07<b>\x1b[1;31mred'))), 'root# &lt;b&gt;<span class="ansi-bold ansi-fg1">red</span>', 'open span closed at the end; markup escaped')
  t.equal(dropColours(keepColours('\x1b[92mbright\x1b[m')), 'bright')
  t.equal(colourSpans(keepColours('\x1b[92mbright\x1b[m')), '<span class="ansi-fg10">bright</span>')
  t.equal(keepColours('a\uE000b\uE001c'), 'abc', "the marks' own characters in guest text are dropped, never taken for marks")
})

t.test('a command with coloured output, shown as # command with spans; the protocol folded', async t => {
  const id = 'BC0000000000c1'
  const command = "printf '\\033[1;34mdir\\033[0m\\n'"
  // The protocol keeps its output files in $TMPDIR: a folder of this test, not the host's /tmp.
  const result = execFileSync('sh', ['-c', `${SHELL_SETUP}\n${commandLine(id, command)}`], { encoding: 'utf8', env: { ...process.env, TMPDIR: t.testdir() } })
  const raw = `\x1b[?2004hroot@debian-live:~# ${SHELL_SETUP}\r\n\x1b[?2004hroot@debian-live:~# ${commandLine(id, command)}\r\n${result.replaceAll('\n', '\r\n')}root@debian-live:~# `
  const html = renderConsoleView(raw, new Map())
  t.match(html, `<span class="console-command" data-marker="${id}"># ${escapeMarkup(command)}</span>\n<span class="ansi-bold ansi-fg4">dir</span>\n`)
  t.match(html, /1 lines of bootcheck's command protocol folded away/)
  t.notMatch(html, /__bc|BC0000000000c1[NBSME]/, 'no helper or marker line shown')
})

t.test('a real transcript (the demo ISO under TCG, from a run folder): the wrapped helper definition folded whole', async t => {
  const dir = new URL('../fixtures/transcripts/', import.meta.url)
  const raw = readFileSync(new URL('demo-failing.console.log', dir), 'utf8')
  const actions = readFileSync(new URL('demo-failing.actions.jsonl', dir), 'utf8').trim().split('\n').map(l => JSON.parse(l) as ActionRecord)
  const html = renderConsoleView(raw, knownCommands(actions))
  t.match(html, /stage-2: system ready\n/, "the guest's boot lines are kept")
  t.match(html, /<span class="console-command" data-marker="BCd929ab22dd02"># echo ready<\/span>\nready\n/)
  t.match(html, `# ${escapeMarkup("printf '\\033[1;32mgreen\\033[0m plain\\n'; ls /")}</span>\n<span class="ansi-bold ansi-fg2">green</span> plain\nbin\n`, 'colours of a command rendered')
  t.match(html, /# echo about to fail; false<\/span>\nabout to fail\n<span class="console-status">exit status 1<\/span>/)
  t.notMatch(html, /__bc|BC[0-9a-f]{12}[RNBSME]\b|BCR|base64|md5sum|\.bc\d+\.out/, 'no helper, probe, marker or checksum line shown')
  t.notMatch(html, /\x1b|\r/, 'no escape sequence or carriage return left')
})

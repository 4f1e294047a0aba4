import { rm } from 'node:fs/promises'
import t from 'tap'
import { writeHtmlReport } from '../../src/report/index.js'
import { checkReportInBrowser, chromiumMissing } from './report-browser.js'
import { FIXTURE, makeFixtureRun, removeFixtureRun } from './report-fixture.js'

const missing = chromiumMissing()
if (missing && process.env.CI) t.fail(`the browser test must run in CI: ${missing}`)

t.test('the HTML report in a real browser', { skip: missing ?? false }, async t => {
  const run = await makeFixtureRun({ outside: true })
  t.teardown(() => removeFixtureRun(run))
  const report = await writeHtmlReport(run)
  const result = await checkReportInBrowser(report, {
    status: 'failed',
    failed: [{ test: FIXTURE.failedTest, message: "Screen 'grub-menu' does not match", transcript: FIXTURE.transcriptLine, screens: [FIXTURE.screen, 'outside'] }],
    passed: [...FIXTURE.passedTests],
    skipped: [FIXTURE.skippedTest, FIXTURE.todoTest],
  })
  t.same(result.problems, [], 'what a reader sees is right')
  t.same(result.tests, {
    [FIXTURE.passedTests[0]]: 'passed',
    [FIXTURE.failedTest]: 'failed',
    [FIXTURE.skippedTest]: 'skipped',
    [FIXTURE.todoTest]: 'todo',
    [FIXTURE.passedTests[1]]: 'passed',
  })
})

t.test('the checker notices a broken report', { skip: missing ?? false }, async t => {
  const run = await makeFixtureRun()
  t.teardown(() => removeFixtureRun(run))
  const m = run.files[0]!.tests[1]!.machines[0]!
  await rm(m.screens[0]!.diff!)
  m.screens[0]!.diff = `${run.dir}/nowhere.png`
  const report = await writeHtmlReport(run)
  const result = await checkReportInBrowser(report, {
    status: 'passed',
    failed: [{ test: FIXTURE.failedTest, message: 'not in the message', transcript: 'not in the transcript', screens: [FIXTURE.screen] }],
    passed: ['no such test'],
  })
  t.match(result.problems, [
    'header status is not passed',
    /failure message of .* lacks "not in the message"/,
    /transcript of .* does not visibly show "not in the transcript"/,
    /screen 'grub-menu' of .* has no diff image/,
    /test 'no such test' is not in the report exactly once/,
  ])
})

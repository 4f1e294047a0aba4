// Projects: every file runs once per named machine variant of bootcheck.config.ts, each a
// separate entry in every report, the project's fields over each machine booted by name.
// Nested CLI runs; the test files read their machine's definition instead of booting it.
import t from 'tap'
import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunRecord } from '../../../src/report/model.js'
import { kids, parseXml } from '../report/xml.js'

const cliModule = fileURLToPath(new URL('../../../src/runner/cli.ts', import.meta.url))
const configModule = fileURLToPath(new URL('../../../src/config/config.ts', import.meta.url))

function cli(dir: string, ...args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(cliModule)}).then(m => m.main(process.argv.slice(1))).then(c => process.exit(c))`, 'run', '--runs-dir', 'runs', '--progress', 'off', ...args], { cwd: dir, reject: false })
}

const files = {
  'bootcheck.config.ts': `export default {
  machines: { vm: { cdrom: 'x.iso', memory: '1G' } },
  projects: [{ name: 'bios', machine: { firmware: 'bios' } }, { name: 'uefi', machine: { firmware: 'uefi', memory: '2G' } }],
}
`,
  'variant.test.ts': `import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { machineFromConfig } from ${JSON.stringify(configModule)}
t.test('the machine of this project', async t => {
  const spec = await machineFromConfig('vm', { cpus: 2 })
  writeFileSync(join(process.env.BOOTCHECK_ARTIFACTS!, 'spec.json'), JSON.stringify(spec))
  t.not(spec.firmware, 'uefi', 'fails under uefi by design')
})
`,
}

t.test('each project is a run of the file with its fields, a separate entry in every report', async t => {
  const dir = t.testdir(files)
  const r = await cli(dir, '--junit', 'junit.xml', 'variant.test.ts')
  t.equal(r.exitCode, 1, 'the uefi project fails')
  const res = JSON.parse(readFileSync(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.same(res.files.map(f => [f.file, f.project, f.status]), [['variant.test.ts', 'bios', 'passed'], ['variant.test.ts', 'uefi', 'failed']])
  const spec = (p: string) => JSON.parse(readFileSync(join(res.dir, 'artifacts', `project-${p}`, 'spec.json'), 'utf8')) as Record<string, unknown>
  t.match(spec('bios'), { name: 'vm', memory: '1G', firmware: 'bios', cpus: 2 }, "the project's fields over the config's, the test's overrides over both")
  t.match(spec('uefi'), { name: 'vm', memory: '2G', firmware: 'uefi', cpus: 2 })
  t.match(r.stderr, /✗ variant\.test\.ts \[uefi\] › the machine of this project/)
  const xml = parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8'))
  t.same(kids(xml, 'testsuite').map(s => [s.attrs.name, s.attrs.failures]), [['variant.test.ts [bios]', '0'], ['variant.test.ts [uefi]', '1']])
  t.match(readFileSync(join(res.dir, 'report.html'), 'utf8'), /<span class="project muted" data-project="uefi">\[uefi\]<\/span>/)
})

t.test('--project picks projects; an unknown one is a one-line UsageError', async t => {
  const dir = t.testdir(files)
  const bios = await cli(dir, '--project', 'bios', 'variant.test.ts')
  t.equal(bios.exitCode, 0, bios.stderr)
  const res = JSON.parse(readFileSync(join(dir, 'runs', 'latest', 'results.json'), 'utf8')) as RunRecord
  t.same(res.files.map(f => f.project), ['bios'])
  const bad = await cli(dir, '--project', 'arm', 'variant.test.ts')
  t.equal(bad.exitCode, 2)
  t.equal(bad.stderr, 'bootcheck run: --project arm: bootcheck.config.ts defines the projects bios, uefi')
})

// The CI templates in docs/ci/ are valid YAML and do what docs/ci.md says: a matrix of
// shards running `bootcheck run --shard`, the media cache, timings kept, artifacts uploaded,
// and a merge job running `merge-reports`. YAML is read by Python's PyYAML (Debian's
// python3-yaml), so the project needs no YAML dependency.
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'

const root = new URL('../../..', import.meta.url).pathname
// Debian's python, which python3-yaml (installed by scripts/setup.sh) serves; not a python
// that happens to come first on PATH.
const PYTHON = '/usr/bin/python3'

type Obj = Record<string, unknown>

/** The YAML file as JSON, through PyYAML's safe loader (which rejects invalid YAML). */
async function load(file: string): Promise<Obj> {
  const r = await execa(PYTHON, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))', file])
  return JSON.parse(r.stdout) as Obj
}

/** Every `run`/`script` line of the document, joined. */
function commands(doc: unknown): string[] {
  const out: string[] = []
  const walk = (v: unknown, key?: string): void => {
    if (typeof v === 'string' && key && ['run', 'script', 'before_script', 'after_script'].includes(key)) out.push(v)
    else if (Array.isArray(v)) v.forEach(x => walk(x, key))
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k)
  }
  walk(doc)
  return out
}

t.test('GitHub Actions template', async t => {
  const doc = await load(join(root, 'docs', 'ci', 'github-actions.yml'))
  const jobs = doc.jobs as Record<string, Obj>
  t.ok(jobs.test && jobs.merge, 'a test job and a merge job')
  const shards = ((jobs.test!.strategy as Obj).matrix as Obj).shard as number[]
  t.same(shards, [1, 2, 3, 4], 'a matrix of 4 shards')
  t.equal(String((doc.env as Obj).SHARDS), String(shards.length), 'SHARDS matches the matrix')
  const test = commands(jobs.test).join('\n')
  t.match(test, /npx bootcheck run --shard \$\{\{ matrix\.shard \}\}\/\$\{\{ env\.SHARDS \}\} --timings \.bootcheck\/timings\.json/)
  t.match(test, 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"', 'KVM opened up by the udev rule')
  t.match(test, 'sudo udevadm trigger --name-match=kvm')
  const steps = jobs.test!.steps as Obj[]
  const uses = (name: string): Obj[] => steps.filter(s => String(s.uses ?? '').startsWith(name))
  t.ok(uses('actions/cache@').some(s => (s.with as Obj).path === '.bootcheck/cache'), 'the media cache')
  t.ok(uses('actions/cache/restore@').some(s => (s.with as Obj).path === '.bootcheck/timings.json'), 'timings restored')
  t.ok(uses('actions/upload-artifact@').some(s => s.if === 'always()'), 'the run folder uploaded even when tests fail')
  t.same(jobs.merge!.needs, 'test')
  t.equal(jobs.merge!.if, 'always()', 'merges after failed shards too')
  t.match(commands(jobs.merge).join('\n'), /npx bootcheck merge-reports shards\/\*\.tar\.gz --out bootcheck-report --write-timings \.bootcheck\/timings\.json/)
  t.ok((jobs.merge!.steps as Obj[]).some(s => String(s.uses).startsWith('actions/cache/save@') && (s.with as Obj).path === '.bootcheck/timings.json'), 'timings saved')
})

t.test('GitLab CI template', async t => {
  const doc = await load(join(root, 'docs', 'ci', 'gitlab-ci.yml'))
  const job = doc.bootcheck as Obj
  const merge = doc['merge-reports'] as Obj
  t.equal(job.parallel, 4, '4 parallel shards')
  t.match(commands(job).join('\n'), 'npx bootcheck run --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL" --timings .bootcheck/timings.json')
  t.match(commands(job).join('\n'), /chmod 666 \/dev\/kvm/, 'KVM opened when the runner passes it')
  const caches = (c: unknown): Obj[] => c as Obj[]
  t.ok(caches(job.cache).some(c => (c.paths as string[]).includes('.bootcheck/cache/')), 'the media cache')
  t.ok(caches(job.cache).some(c => (c.paths as string[]).includes('.bootcheck/timings.json') && c.policy === 'pull'), 'timings read')
  t.ok(caches(merge.cache).some(c => (c.paths as string[]).includes('.bootcheck/timings.json') && c.policy === 'push'), 'timings written by the merge')
  t.equal((job.artifacts as Obj).when, 'always', 'artifacts kept when tests fail')
  t.equal(merge.when, 'always')
  t.match(commands(merge).join('\n'), /npx bootcheck merge-reports bootcheck-shard-\*\.tar\.gz --out bootcheck-report/)
  t.equal(((merge.artifacts as Obj).reports as Obj).junit, 'bootcheck-report/junit.xml', 'the merged JUnit shown by GitLab')
})

t.test('a YAML error is noticed', async t => {
  const dir = t.testdir({ 'bad.yml': 'jobs:\n  a: [1, 2\n' })
  await t.rejects(load(join(dir, 'bad.yml')))
})

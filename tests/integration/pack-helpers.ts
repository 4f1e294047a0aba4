// The package as another project gets it: `npm pack` of a copy of the sources (prepack builds
// dist/ there, so the repository's dist/ is not disturbed while other tests run it), and
// `npm install` of the tarball into a fresh project (dependencies from the npm registry).
import { execa } from 'execa'
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { topLevelEnv } from '../../src/runner/tap.js'
import { root } from './cli-helpers.js'

/** The environment for npm and the installed CLI: no tap variables, CI set (plain progress). */
export const packEnv = { ...topLevelEnv(process.env), CI: '1' }

/** Packs the package into `work`; throws with npm's output when it fails. */
export async function packTarball(work: string): Promise<{ tarball: string; files: string[]; filename: string }> {
  const src = join(work, 'src-copy')
  await mkdir(src)
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', 'src', 'vm-configs']) await cp(join(root, f), join(src, f), { recursive: true })
  await symlink(join(root, 'node_modules'), join(src, 'node_modules'))
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: src, env: packEnv, reject: false })
  if (pack.exitCode !== 0) throw new Error(`npm pack failed: ${pack.stderr.slice(-3000)}`)
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  return { tarball: join(work, info!.filename), filename: info!.filename, files: info!.files.map(f => f.path) }
}

/**
 * A fresh npm project at `project` with the tarball installed; throws with npm's output when it fails.
 * `--prefer-offline`: registry metadata npm's cache already holds (from this repository's own
 * install) is used without asking the registry again, 34 s → 16 s here; anything missing still
 * comes from the registry.
 */
export async function freshProjectWith(project: string, tarball: string): Promise<void> {
  await mkdir(project, { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'fresh-project', version: '1.0.0', private: true, type: 'module' }, null, 2))
  const install = await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, env: packEnv, reject: false })
  if (install.exitCode !== 0) throw new Error(`npm install of ${tarball} failed: ${install.stderr.slice(-3000)}`)
}

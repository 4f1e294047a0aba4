// What the CLI tests share: the package as users run it (bin/bootcheck.js on the compiled
// dist/), test files written for a nested run, and a CLI on a pseudo-terminal.
import { execa } from 'execa'
import { readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as pty from 'node-pty'
import { sleep } from '../../src/util/sleep.js'
import { params, type LiveMedia } from '../../vm-configs/demo.js'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const cli = join(root, 'bin', 'bootcheck.js')
/** When buildPackage last compiled dist/ (its mtime). */
const BUILT_STAMP = join(root, 'dist', '.built-by-tests')

/**
 * Compiles the package, since bin/bootcheck.js imports dist/, unless dist/ is newer than
 * every source it is built from (as scripts/test.sh leaves it: tsc, even when incremental
 * finds nothing to do, costs some 3.5 s of CPU, and 15 test files ask); throws with tsc's
 * output if it does not compile.
 */
export async function buildPackage(): Promise<void> {
  if (await builtSinceSources()) return
  const started = new Date()
  const build = await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, reject: false })
  if (build.exitCode !== 0) throw new Error(`the package does not compile: ${build.stdout}${build.stderr}`)
  // tsc leaves dist/.tsbuildinfo as it was when it found nothing to do: a stamp of its own,
  // dated when this build started, so a source saved during the build is not taken as built.
  await writeFile(BUILT_STAMP, '')
  await utimes(BUILT_STAMP, started, started)
}

/** Whether buildPackage's last build is newer than each .ts file of src/ and vm-configs/ and the tsconfig and package files. */
async function builtSinceSources(): Promise<boolean> {
  const built = await stat(BUILT_STAMP).then(s => s.mtimeMs, () => 0)
  if (built === 0) return false
  const sources = ['tsconfig.json', 'tsconfig.build.json', 'package.json']
  for (const dir of ['src', 'vm-configs']) {
    for (const f of await readdir(join(root, dir), { recursive: true })) if (f.endsWith('.ts')) sources.push(join(dir, f))
  }
  for (const f of sources) if ((await stat(join(root, f))).mtimeMs > built) return false
  return true
}

/** `import { boot } from …` for a test file of a nested run: the TypeScript sources, as tap's loader resolves them. */
export const importBoot = `import { boot } from ${JSON.stringify(join(root, 'src', 'index.js'))}`

/** The spec fields that boot the demo media's kernel straight to its shell, as source text. */
export function directBootFields(media: LiveMedia): string {
  return `cdrom: ${JSON.stringify(media.iso)}, kernel: ${JSON.stringify(media.kernel)}, initrd: ${JSON.stringify(media.initrd)}, kernelParams: ${JSON.stringify(params(media))}`
}

/** A command on a pseudo-terminal: everything it printed (escape sequences removed as a whole, since one may span chunks) and a way to wait for text. */
export function spawnOnPty(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; cols?: number; rows?: number } = {}) {
  const term = pty.spawn(file, args, {
    name: 'xterm',
    cols: opts.cols ?? 120,
    rows: opts.rows ?? 40,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: (opts.env ?? process.env) as Record<string, string>,
  })
  let raw = ''
  term.onData(d => void (raw += d))
  const output = (): string => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
  const exited = new Promise<{ exitCode: number; signal?: number }>(resolve => term.onExit(resolve))
  /** Waits until the output after `from` matches; returns the end of the match. */
  async function waitFor(pattern: RegExp, timeout: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeout
    while (Date.now() < deadline) {
      const m = pattern.exec(output().slice(from))
      if (m) return from + m.index + m[0].length
      await sleep(100)
    }
    throw new Error(`timed out waiting for ${pattern}; output so far:\n${output().slice(-3000)}`)
  }
  return { term, exited, waitFor, output, raw: (): string => raw }
}

/** `bootcheck show-trace <target>` started in `cwd`, and the URL it printed (rejects with its output if it exits first). */
export async function startShowTrace(target: string, cwd: string) {
  const server = execa(process.execPath, [cli, 'show-trace', target], { cwd, reject: false })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /bootcheck: trace (http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    server.once('exit', () => reject(new Error(`show-trace exited: ${out}`)))
  })
  return { server, url }
}

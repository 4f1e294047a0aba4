import { parseArgs } from 'node:util'
import { BootcheckError, UsageError } from '../errors/errors.js'
import { findTestFiles, runCommand, writeTimings } from './cli-run.js'

export { findTestFiles }

// #region usage (quoted by docs/runner.md)
const USAGE = `Usage:
  bootcheck run [options] [files or folders…]   run tap test files written in TypeScript
  bootcheck shell [machine | --iso FILE | --kernel FILE …]
                                                  boot a machine and attach this terminal to its serial console
  bootcheck record <spec.json | machine> [--out FILE]
                                                  boot a machine in the live view and record what you type, click and
                                                  mark (screen regions, texts to wait for) as a test file that replays it
  bootcheck media [--cache-dir DIR]               build (or reuse) the demo live media; print their paths as JSON
  bootcheck merge-reports [run folders or .tar.gz archives…] --out DIR
                                                  merge the run folders of shards into one report
  bootcheck show-trace <run folder | trace.html>  serve a test's trace (its steps with their console lines,
                                                  screen, QMP events, network frames; make screen references
                                                  by dragging on it) on 127.0.0.1 with a token; print the URL
  bootcheck resume <capsule | test artifacts folder | run folder> [--machine NAME] [--media DIR] [--ui]
                                                  bring a failed test's machines back live at the failing step
                                                  (its failure capsule) and attach this terminal to a console
  bootcheck snapshots list [--json]               show the snapshots bootOnce cached (.bootcheck/cache/snapshots)
  bootcheck snapshots prune [--unused-for DAYS]   remove them (all, or those not restored for DAYS days)
  bootcheck init [--iso FILE | --kernel FILE [--initrd FILE] | --disk FILE]
                 [--console serial|screen] [--probe-timeout SECONDS]
                                                  start a project: bootcheck.config.ts, a first test, a CI workflow;
                                                  boots the image once to see whether a shell answers on its serial
                                                  console (a shell test) or not (a screen test); --console skips that
  bootcheck help

Options of run (defaults from bootcheck.config.ts 'run', then from the host):
  -j, --jobs N        test files run at once (default: CPU count)
  -m, --memory SIZE   memory budget: machines wait while the memory of running machines
                      would pass it (default: 80% of available memory), e.g. 4G
      --cpus N        vCPU budget of running machines (default: CPU count)
  -t, --timeout S     seconds a test file may take (default 900)
  -g, --grep PATTERN  only subtests whose name matches
  -b, --bail          stop at the first failure
      --junit FILE    also write JUnit XML to FILE
      --runs-dir DIR  where run folders go (default .bootcheck/runs; 'latest' links to the newest)
      --progress MODE auto (live lines on a terminal, plain lines otherwise), tty, plain or off
      --debug         when a test fails, keep its machine running and attach this terminal to it
      --ui            serve a live view of the running machines (screen, console, steps) on 127.0.0.1
  --update-screens[=missing|all]  write missing screen references (or replace differing ones)
      --shard I/N     run only the I-th of N parts of the test files (found, then sorted)
      --timings FILE  balance shards by the durations in FILE (a results.json or a timings file)
      --write-timings FILE  after the run, write its files' durations to FILE (merged with FILE's)
      --fresh         make every bootOnce snapshot again in this run instead of restoring a cached one
      --retries N     run a failed file again, up to N times, on fresh machines; one that
                      fails and then passes is 'flaky' (exit 0 unless --fail-on-flaky)
      --fail-on-flaky exit 1 when a file was flaky
      --repeat-each N run every file N times (hunting flakes); each repeat has its own artifacts
      --last-failed   run only the files that failed or were flaky in the last run (runs/latest)
      --list          print the files and the subtests they name (after --shard); boot nothing
      --forbid-only   fail at once when a file has a t.only (for CI)
      --slowest N     end the summary with the N slowest files
      --project NAME  run under this project of bootcheck.config.ts only (repeatable; default: all)
      --known-failures FILE  failures matching an unexpired entry of FILE (JSON) are 'known', not failed
      --filmstrip MODE  keep the screen's filmstrip (a frame whenever it changed) for failed
                      tests (default), for all tests, or record none: failed, all or off
      --no-capsule    do not save a failed test's machines into its failure capsule
                      (capsule/ in its artifacts, for bootcheck resume; saved by default)
  Folders are searched for *.test.ts files; the default is the current folder.
  Each run writes <run folder>/report.html, results.json and artifacts/.`
// #endregion

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest)
      case 'shell':
        return await shell(rest)
      case 'record':
        return await record(rest)
      case 'init':
        return await (await import('./init.js')).initCommand(rest)
      case 'media':
        return await media(rest)
      case 'merge-reports':
        return await mergeReportsCommand(rest)
      case 'snapshots':
        return await snapshotsCommand(rest)
      case 'resume':
        return await (await import('./resume.js')).resumeCommand(rest)
      case 'show-trace':
        return await (await import('./show-trace.js')).showTraceCommand(rest)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n')
        return command === undefined ? 2 : 0
      default:
        process.stderr.write(`bootcheck: unknown command '${command}'\n${USAGE}\n`)
        return 2
    }
  } catch (e) {
    // Wrong input to a command: a UsageError, or a plain BootcheckError (its code is the bare
    // 'BOOTCHECK'; subclasses, e.g. a TimeoutError of a machine, are failures, not usage).
    const usage = e instanceof UsageError || (e instanceof BootcheckError && e.code === 'BOOTCHECK')
    if (e instanceof TypeError || usage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bootcheck ${command}: ${(e as Error).message}\n`)
      return 2
    }
    throw e
  }
}

async function mergeReportsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string', short: 'o' }, junit: { type: 'string' }, 'write-timings': { type: 'string' } },
  })
  if (!values.out) throw new UsageError('merge-reports needs --out DIR')
  if (positionals.length === 0) throw new UsageError('merge-reports needs run folders or .tar.gz archives of them')
  const { mergeReports } = await import('./merge.js')
  const { run } = await mergeReports({ inputs: positionals, out: values.out, ...(values.junit ? { junit: values.junit } : {}), stderr: process.stderr })
  if (values['write-timings'] !== undefined) await writeTimings(values['write-timings'], run)
  return run.status === 'passed' ? 0 : 1
}

async function snapshotsCommand(argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, 'unused-for': { type: 'string' } } })
  const { listCachedSnapshots, pruneCachedSnapshots, snapshotCacheDir } = await import('../api/snapshot-cache.js')
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`
  if (sub === 'list') {
    const entries = await listCachedSnapshots()
    if (values.json) process.stdout.write(JSON.stringify(entries, null, 2) + '\n')
    else if (entries.length === 0) process.stdout.write(`no cached snapshots in ${snapshotCacheDir()}\n`)
    else {
      for (const e of entries) {
        const busy = e.lockedBy !== undefined ? `  (being replaced by pid ${e.lockedBy})` : ''
        process.stdout.write(`${e.key}  ${e.name} (machine ${e.machine})  ${mb(e.bytes)}  made ${e.createdAt}  used ${e.usedAt}${busy}\n`)
      }
      process.stdout.write(`${entries.length} snapshot(s), ${mb(entries.reduce((n, e) => n + e.bytes, 0))} in ${snapshotCacheDir()}\n`)
    }
    return 0
  }
  if (sub === 'prune') {
    const days = values['unused-for'] !== undefined ? Number(values['unused-for']) : undefined
    if (days !== undefined && !(Number.isFinite(days) && days >= 0)) throw new UsageError(`--unused-for takes a number of days, got '${values['unused-for']}'`)
    const removed = await pruneCachedSnapshots(days !== undefined ? { unusedForMs: days * 86_400_000 } : {})
    for (const e of removed) process.stdout.write(`removed ${e.key}  ${e.name}  ${mb(e.bytes)}\n`)
    process.stdout.write(`removed ${removed.length} snapshot(s), ${mb(removed.reduce((n, e) => n + e.bytes, 0))}\n`)
    return 0
  }
  throw new UsageError(`snapshots takes list or prune, got ${sub === undefined ? 'nothing' : `'${sub}'`}`)
}

async function shell(argv: string[]): Promise<number> {
  const { shellCommand } = await import('./shell.js')
  const { machineFromConfig } = await import('../config/config.js')
  return shellCommand(argv, { resolveMachine: name => machineFromConfig(name) })
}

async function record(argv: string[]): Promise<number> {
  const { recordCommand } = await import('./record/command.js')
  const { machineFromConfig } = await import('../config/config.js')
  return recordCommand(argv, { resolveMachine: name => machineFromConfig(name) })
}

async function media(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'cache-dir': { type: 'string' } } })
  const { buildLiveMedia } = await import('../../vm-configs/demo.js')
  const result = await buildLiveMedia({
    log: line => process.stderr.write(`bootcheck media: ${line}\n`),
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
  })
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  return 0
}


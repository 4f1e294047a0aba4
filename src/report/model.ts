/**
 * What a `bootcheck run` produced, as written to `<run folder>/results.json` and read by the
 * JUnit and HTML reporters. Paths are absolute unless said otherwise.
 */

/**
 * How a run, a file or a test ended. `flaky`: it failed on an attempt and passed on a later
 * one (`bootcheck run --retries N`); the failed attempts are kept in {@link FileRecord.attempts}.
 * `known`: it failed, and an unexpired entry of the known-failures file matches it.
 */
export type Status = 'passed' | 'failed' | 'skipped' | 'todo' | 'interrupted' | 'flaky' | 'known'

/** One frame of a machine's filmstrip, as the report shows it. */
export interface FilmstripFrame {
  /** The PNG (half size). */
  file: string
  /** Milliseconds after the machine started recording. */
  offsetMs: number
  /** ISO time it was taken. */
  at: string
  /** The console's last lines at that time. */
  console: string[]
}

/** One screen check that did not match: the images a reviewer compares side by side. */
export interface ScreenArtifact {
  /** Screen name, e.g. `grub-menu`. */
  name: string
  /** The reference image (`<name>-expected.png`), when there is one. */
  expected?: string
  /** The screen as it was (`<name>-actual.png`). */
  actual?: string
  /** The differing pixels drawn over the reference (`<name>-diff.png`). */
  diff?: string
  /** With a timed-out `waitForScreen`: the last screenshot, when it was not the closest. */
  last?: string
}

/** A file an action wrote (a screenshot, a screen diff), shown with the action in the report. */
export interface ActionAttachment {
  /** What the file is, e.g. `actual`, `expected`, `diff`, `screenshot`. */
  name: string
  /** Its absolute path. */
  path: string
}

/** One line of `actions.jsonl`. */
export interface ActionRecord {
  /** Numbered from 1 in the order the actions started. */
  id: number
  /** The action this one ran inside, if any. */
  parent?: number
  /** The method, e.g. `succeed`. */
  action: string
  /** Its arguments, by name; long strings are cut short. */
  args: Record<string, unknown>
  /** When it started (ISO time). */
  start: string
  /** Milliseconds from the machine's start to this action's start. */
  offsetMs: number
  /** How long it took, in milliseconds. */
  durationMs: number
  /** `ok`, or `error` when it threw. */
  outcome: 'ok' | 'error'
  /** For an error: its class and the first line of its message. */
  error?: string
  /** A short description of the result, e.g. `status 0`. */
  result?: string
  /** Files it wrote (a screen check's expected, actual and diff images). */
  attachments?: ActionAttachment[]
  /** The shell commands it typed, by the protocol marker that finds them in the transcript. */
  commands?: ActionCommand[]
  /** Byte offsets in the machine's `console.log` while it ran: what the guest printed during it is `[from, to)`. */
  console?: {
    /** Where the log ended when the step started. */
    from: number
    /** Where the log ended when the step ended. */
    to: number
  }
}

/** A shell command an action typed (see {@link ActionRecord.commands}). */
export interface ActionCommand {
  /** The protocol's marker of the command (`BC` and 12 hex digits). */
  marker: string
  /** The command, cut at 300 characters. */
  command: string
}

/** Everything one machine of one test left behind (see `src/machine/artifacts.ts`). */
export interface MachineRecord {
  /** The machine's name (`MachineSpec.name`). */
  machine: string
  /** The test's name as tap reports it (`t.name`), used to tie the machine to its test. */
  test: string
  /** The artifacts folder. */
  dir: string
  /** `console.log`: the serial transcript. */
  transcript?: string
  /** `qemu-command.txt`, `qmp.log`, `qemu-stderr.log` when present. */
  command?: string
  /** `qmp.log`: every QMP line in both directions. */
  qmpLog?: string
  /** `qemu-stderr.log`: what QEMU printed on stderr. */
  stderr?: string
  /** 'kvm' or 'tcg'. */
  accel?: string
  /** The guest architecture (`x86_64`) and firmware (`bios`, `uefi`), for known failures that apply to one. */
  arch?: string
  /** The firmware (`bios`, `uefi`, `u-boot`, or `none` for a direct kernel boot off x86). */
  firmware?: string
  /** The guest's memory in MiB. */
  memoryMiB?: number
  /** ISO timestamps: QEMU started / the machine was disposed. */
  startedAt?: string
  /** When the machine was disposed (ISO time). */
  endedAt?: string
  /** The snapshot folder the machine was restored from, if it was. */
  restoredFrom?: string
  /** The CPU time QEMU used, seconds (user + system): under TCG, where a file's time goes. */
  cpuSeconds?: number
  /** Screen mismatches (expected/actual/diff, and the last screenshot of a timed-out wait), in the order they happened. */
  screens: ScreenArtifact[]
  /** The captures (pcap) of the networks the machine was on, written when its test ended. */
  captures?: Array<{
    /** The network's name. */
    network: string
    /** The merged capture, `<network>.pcap`. */
    file: string
  }>
  /** The filmstrip kept for a failed test (or every test with `--filmstrip=all`), oldest frame first. */
  filmstrip?: FilmstripFrame[]
  /** `actions.jsonl`: the machine's step log. */
  actionsLog?: string
  /** The step log's records, in the order the steps started (at most the first 2,000). */
  actions?: ActionRecord[]
}

/** One tap test point (an assertion or a subtest). */
export interface TestRecord {
  /** Its name; nested subtests are joined with ' > '. */
  name: string
  /** How it ended. */
  status: Status
  /** How long it took, in milliseconds, when tap says. */
  durationMs?: number
  /** For a failure: the message, and tap's diagnostic block as YAML-ish text. */
  message?: string
  /** tap's diagnostic block of a failure, as YAML-ish text. */
  diagnostic?: string
  /** Reason given for skip/todo. */
  reason?: string
  /** Machines booted by this test (matched by name). */
  machines: MachineRecord[]
  /** The known-failures entry that matched this failure (status `known`, or still `failed` when it expired). */
  knownFailure?: KnownFailureMatch
}

/** A known-failures entry as matched to a failed test. */
export interface KnownFailureMatch {
  /** The entry's pattern (`file > test name`, `*` for any text). */
  pattern: string
  /** The issue tracking it. */
  tracker: string
  /** `YYYY-MM-DD`: from the day after, the failure counts again. */
  expires: string
  /** The entry had expired: the test stays `failed`. */
  expired?: boolean
}

/** One test file: a tap child process. */
export interface FileRecord {
  /** Path as given to the runner (relative to the working folder). */
  file: string
  /** How the file ended (its last attempt). */
  status: Status
  /** How long its tap process ran, in milliseconds. */
  durationMs: number
  /** Its test points (see {@link TestRecord}). */
  tests: TestRecord[]
  /** The file's raw TAP output. */
  tap: string
  /** Machines of this file not tied to a listed test. */
  machines: MachineRecord[]
  /** Which attempt this record is (1 unless the file was retried: `--retries`). */
  attempt?: number
  /** Which repetition of the file this is (`--repeat-each N`: 1 to N). */
  repeat?: number
  /** The project (machine variant of `bootcheck.config.ts`) the file ran under. */
  project?: string
  /**
   * The attempts before this one that failed, oldest first (`--retries`): each a whole
   * record of that attempt, with its tests, TAP output and machines (artifacts in `attempt-<n>/`).
   */
  attempts?: AttemptRecord[]
}

/** One failed attempt of a test file that was run again (`bootcheck run --retries N`). */
export interface AttemptRecord {
  /** 1 for the first run of the file. */
  attempt: number
  /** How that attempt ended. */
  status: Status
  /** How long it ran, in milliseconds. */
  durationMs: number
  /** Its test points. */
  tests: TestRecord[]
  /** Its raw TAP output. */
  tap: string
  /** Its machines (artifacts under `attempt-<n>/`). */
  machines: MachineRecord[]
}

/** Which part of a sharded run this was (`bootcheck run --shard 2/4`). */
export interface ShardInfo {
  /** 1-based: the `2` of `2/4`. */
  index: number
  /** The `4` of `2/4`. */
  total: number
  /** How the files were split: by recorded durations (`--timings`) or round-robin by count. */
  by: 'timings' | 'count'
  /** How many test files the whole suite had before splitting. */
  suiteFiles: number
}

/** One run that `bootcheck merge-reports` merged. */
export interface MergedShard {
  /** Its shard (`index`/`total`), when it was a `--shard` run. */
  shard?: ShardInfo
  /** Where its run folder now lives (under the merged folder: `shards/<n>`). */
  dir: string
  /** The folder or archive it was read from, as given. */
  source: string
  /** Its run folder as recorded where it ran. */
  originalDir: string
  /** The host it ran on. */
  hostname: string
  /** How it ended. */
  status: RunRecord['status']
  /** When it started (ISO time). */
  startedAt: string
  /** How long it ran, in milliseconds. */
  durationMs: number
  /** How many test files it ran. */
  files: number
  /** Its tests by status. */
  counts: RunRecord['counts']
}

/** The whole run. */
export interface RunRecord {
  /** The run folder (holds results.json, report.html, artifacts/). */
  dir: string
  /** When it started (ISO time). */
  startedAt: string
  /** How long it ran, in milliseconds. */
  durationMs: number
  /** `interrupted` when SIGINT/SIGTERM ended it. */
  status: 'passed' | 'failed' | 'interrupted'
  /** Why it was interrupted, e.g. `SIGINT`. */
  interruptedBy?: string
  /** Host facts shown in the report header. */
  host: {
    /** The host's name. */
    hostname: string
    /** Its CPU count. */
    cpus: number
    /** Its memory in MiB. */
    memoryMiB: number
    /** The run's memory budget for machines, in MiB (`--memory`). */
    budgetMiB: number
    /** Test files run at once (`--jobs`). */
    jobs: number
  }
  /** Every test file, in the order they were given (shards concatenated in a merged run). */
  files: FileRecord[]
  /** Tests by final status; `flaky` (failed, then passed on a retry) is absent in runs without retries. */
  counts: {
    /** Tests that passed. */
    passed: number
    /** Tests that failed (and were not known failures). */
    failed: number
    /** Tests skipped. */
    skipped: number
    /** Tests marked todo. */
    todo: number
    /** Tests that failed, then passed on a retry. */
    flaky?: number
    /** Failures that matched an unexpired known-failures entry. */
    known?: number
  }
  /** `--retries`: how many times a failed file was run again. */
  retries?: number
  /** `--repeat-each`: how many times every file ran. */
  repeatEach?: number
  /** Set by `bootcheck run --shard i/n`: this run is one part of the suite. */
  shard?: ShardInfo
  /** Set by `bootcheck merge-reports`: the runs merged into this one, in order. */
  shards?: MergedShard[]
  /** Set by `bootcheck merge-reports`: shards of `1..total` that were not among the inputs. */
  missingShards?: number[]
}

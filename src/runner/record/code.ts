/**
 * The test file `bootcheck record` writes: a tap test that boots the recorded machine and
 * replays the recorded steps with the machine's API (`vm.type`, `vm.sendKey`, `vm.click`,
 * `vm.waitForScreen`, `vm.waitForText`). Pure.
 * @module
 */
import type { MachineSpec } from '../../spec/spec.js'
import type { Rect } from '../../screens/options.js'
import type { RecordedStep } from './steps.js'

/** How often a recorded screen wait looks at the screen (ms): about as quick as the user was. */
export const RECORDED_SCREEN_INTERVAL = 200

/** A pause of the user longer than this before a key or click, with no mark, gets a comment. */
const UNMARKED_PAUSE_MS = 1500

/** The default timeout of `waitForScreen` and `waitForText` (ms). */
const DEFAULT_WAIT_TIMEOUT = 60_000

/** What the test file is made of. */
export interface RecordedTest {
  /** The machine: a spec written into the file, or a machine of `bootcheck.config.ts` (with overrides). */
  machine: { spec: MachineSpec } | { config: string; overrides?: Partial<MachineSpec> }
  /** The recorded steps, in order. */
  steps: readonly RecordedStep[]
  /** The tap test's name. */
  testName: string
  /** Where the recording came from, for the file's first comment (a spec file or a machine name). */
  source: string
  /** The module the test imports `boot` from. Default `'bootcheck'`. */
  importFrom?: string
}

/** The source of the test file (TypeScript, ends with a newline). */
export function recordedTestSource(test: RecordedTest): string {
  const from = test.importFrom ?? 'bootcheck'
  const lines = [
    `// Recorded by \`bootcheck record ${test.source}\`: it boots the machine and replays what was`,
    `// typed, clicked and marked in the live view. Screen references are in the .screens folder`,
    `// beside this file. Edit freely.`,
    `import t from 'tap'`,
    `import { boot } from ${str(from)}`,
    ``,
    `t.test(${str(test.testName)}, async t => {`,
    ...bootLines(test.machine),
    ...stepLines(test.steps).map(l => `  ${l}`),
    `})`,
  ]
  return lines.join('\n') + '\n'
}

function bootLines(machine: RecordedTest['machine']): string[] {
  if ('config' in machine) {
    const overrides = machine.overrides && Object.keys(machine.overrides).length ? `, ${JSON.stringify(machine.overrides)}` : ''
    return [`  const vm = await boot(t, ${str(machine.config)}${overrides})`]
  }
  const spec = JSON.stringify(machine.spec, null, 2).split('\n')
  return [`  const vm = await boot(t, ${spec[0]}`, ...spec.slice(1, -1).map(l => `  ${l}`), `  ${spec.at(-1)})`]
}

/** The statements replaying `steps`, one or two lines each (a comment before a long unmarked pause). */
export function stepLines(steps: readonly RecordedStep[]): string[] {
  const out: string[] = []
  let previousAt = 0
  for (const step of steps) {
    const waited = step.at - previousAt
    previousAt = step.at
    if ((step.kind === 'key' || step.kind === 'type' || step.kind === 'click') && waited > UNMARKED_PAUSE_MS && out.length > 0 && !lastWasWait(steps, step)) {
      out.push(`// the user waited ${(waited / 1000).toFixed(1)} s here: if the replay is too quick, mark what was waited for`)
    }
    out.push(stepLine(step, waited))
  }
  return out
}

function lastWasWait(steps: readonly RecordedStep[], step: RecordedStep): boolean {
  const before = steps[steps.indexOf(step) - 1]
  return before?.kind === 'screen' || before?.kind === 'text'
}

/** One step as a statement. `waited`: how long the user waited for it, which sets a wait's timeout. */
export function stepLine(step: RecordedStep, waited = 0): string {
  const timeout = waitTimeout(waited)
  switch (step.kind) {
    case 'type':
      return `await vm.type(${str(step.text)})`
    case 'key':
      return `await vm.sendKey(${str(step.combo)})`
    case 'click':
      return `await vm.click(${step.x}, ${step.y}${step.button === 'left' ? '' : `, ${str(step.button)}`})`
    case 'screen':
      return `await vm.waitForScreen(${str(step.name)}, { region: ${rect(step.region)}, interval: ${RECORDED_SCREEN_INTERVAL}${timeout ? `, timeout: ${timeout}` : ''} })`
    case 'text':
      return `await vm.waitForText(${step.regex ? regexLiteral(step.pattern) : str(step.pattern)}${timeout ? `, { timeout: ${timeout} }` : ''})`
    case 'note':
      return `// ${step.text.replace(/\n/g, ' ')}`
  }
}

/** A timeout three times what the user waited, when that is more than the default; else undefined. */
function waitTimeout(waited: number): number | undefined {
  const t = Math.ceil((waited * 3) / 10_000) * 10_000
  return t > DEFAULT_WAIT_TIMEOUT ? t : undefined
}

function rect(r: Rect): string {
  return `{ x: ${r.x}, y: ${r.y}, width: ${r.width}, height: ${r.height} }`
}

/** A string literal in single quotes. */
function str(s: string): string {
  return `'${s.replace(/[\\']/g, c => `\\${c}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/[\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16)}`)}'`
}

/** A regular expression literal matching `source` (a `/` or line break in it escaped). */
export function regexLiteral(source: string): string {
  new RegExp(source) // throws a SyntaxError for a pattern that is not one
  const body = source.replace(/\\.|\//g, m => (m === '/' ? '\\/' : m)).replace(/\n/g, '\\n')
  return `/${body.length ? body : '(?:)'}/`
}

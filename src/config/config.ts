import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { MachineSpec } from '../spec/spec.js'
import { ConfigError } from '../errors/errors.js'

/** Defaults of `bootcheck run`; command-line flags win over them. */
export interface RunConfig {
  /** Test files or folders. Default: the current folder. */
  files?: string[]
  /** Test files at once. Default: the CPU count. */
  jobs?: number
  /** Memory budget for running machines, like `'8G'`. Default: 80% of the memory available. */
  memory?: string | number
  /** vCPU budget. Default: the CPU count. */
  cpus?: number
  /** Seconds a test file may take. Default 900. */
  timeout?: number
  /** Write JUnit XML here on every run. */
  junit?: string
  /** Where run folders go. Default `.bootcheck/runs`. */
  runsDir?: string
  /** Runs a failed file again up to this many times (`--retries`). Default 0. */
  retries?: number
  /** Exit 1 when a file was flaky (`--fail-on-flaky`). */
  failOnFlaky?: boolean
  /** A known-failures file (JSON; relative to this config file): matching failures are `known`. */
  knownFailures?: string
  /** Fail at once when a file has a `t.only` (`--forbid-only`); say `forbidOnly: !!process.env.CI`. */
  forbidOnly?: boolean
  /**
   * Save a failed test's machines into a failure capsule for `bootcheck resume` (default
   * `true`; `--no-capsule` or `false` turns it off; see the capsules guide).
   */
  capsule?: boolean
}

/** The contents of `bootcheck.config.ts`. */
export interface BootcheckConfig {
  /**
   * Machine definitions by name, shared by test files (`boot(t, 'live')`) and by
   * `bootcheck shell live`. Relative paths are relative to the config file.
   */
  machines?: Record<string, MachineSpec>
  /** Defaults of `bootcheck run`; its flags win over them. */
  run?: RunConfig
  /**
   * Variants every test file runs under, each a separate entry in every report (`bootcheck
   * run` runs each file once per project; `--project NAME` picks some). A project's `machine`
   * fields go over every machine the tests boot by name (`boot(t, 'live')`), under the
   * test's own overrides: say `[{ name: 'bios', machine: { firmware: 'bios' } }, { name: 'uefi', machine: { firmware: 'uefi' } }]`.
   */
  projects?: ProjectConfig[]
}

/** One named variant of the machines (see {@link BootcheckConfig.projects}). */
export interface ProjectConfig {
  /** Shown in reports and artifact folders: letters, digits, `.`, `_`, `-`. */
  name: string
  /** Fields over each named machine's definition, e.g. `{ firmware: 'uefi' }`. */
  machine: Partial<MachineSpec>
}

/** Set by `bootcheck run` in each test process: the project (of `projects`) the file runs under. */
export const PROJECT_ENV = 'BOOTCHECK_PROJECT'

/**
 * Types a config file's default export:
 *
 * ```ts
 * // bootcheck.config.ts
 * import { defineConfig } from 'bootcheck'
 * export default defineConfig({
 *   machines: { live: { cdrom: 'result/iso/live.iso', memory: '1G' } },
 *   run: { memory: '6G', junit: 'reports/junit.xml' },
 * })
 * ```
 */
export function defineConfig(config: BootcheckConfig): BootcheckConfig {
  return config
}

/** The file names looked for, in this order, in the working folder and its parents. */
export const CONFIG_NAMES = ['bootcheck.config.ts', 'bootcheck.config.mts', 'bootcheck.config.js', 'bootcheck.config.mjs']

/** A loaded config and where it came from (`path` is undefined when there is none). */
export interface LoadedConfig {
  /** The file it was loaded from; none when no config file was found. */
  path?: string
  /** The config (empty when there is no file). */
  config: BootcheckConfig
}

const cache = new Map<string, Promise<LoadedConfig>>()

/**
 * Finds and loads the config: `$BOOTCHECK_CONFIG` if set (it must exist), else the first of
 * `CONFIG_NAMES` (`bootcheck.config.ts`, …) in `from` or a parent folder. No file → an empty config.
 */
export function loadConfig(from = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const path = env.BOOTCHECK_CONFIG ? resolve(env.BOOTCHECK_CONFIG) : findConfig(from)
  const key = path ?? ''
  let loaded = cache.get(key)
  if (!loaded) {
    loaded = path ? importConfig(path, !!env.BOOTCHECK_CONFIG) : Promise.resolve({ config: {} })
    cache.set(key, loaded)
  }
  return loaded
}

function findConfig(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) if (existsSync(join(dir, name))) return join(dir, name)
    if (dirname(dir) === dir) return undefined
  }
}

async function importConfig(path: string, explicit: boolean): Promise<LoadedConfig> {
  if (!existsSync(path)) throw new ConfigError(`Config file ${path} does not exist${explicit ? ' (from BOOTCHECK_CONFIG)' : ''}.`)
  let mod: { default?: unknown }
  try {
    // tsx loads TypeScript configs from plain Node as well as from test processes.
    const { tsImport } = await import('tsx/esm/api')
    mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown }
  } catch (e) {
    throw new ConfigError(`Cannot load config ${path}: ${(e as Error).message}`, { cause: e })
  }
  const config = (mod.default ?? mod) as BootcheckConfig
  if (typeof config !== 'object' || config === null) throw new ConfigError(`Config ${path} must export an object (export default defineConfig({ … })).`)
  if (config.machines !== undefined && (typeof config.machines !== 'object' || config.machines === null)) {
    throw new ConfigError(`Config ${path}: 'machines' must be an object of machine definitions by name.`)
  }
  return { path, config: { ...config, ...(config.machines ? { machines: resolvePaths(config.machines, dirname(path)) } : {}) } }
}

/** Makes the file paths of machine definitions absolute, relative to the config's folder. */
function resolvePaths(machines: Record<string, MachineSpec>, base: string): Record<string, MachineSpec> {
  const out: Record<string, MachineSpec> = {}
  for (const [name, spec] of Object.entries(machines)) out[name] = { name, ...resolveSpecPaths(spec, base) }
  return out
}

/**
 * `spec` with its media paths (`cdrom`, `usb`, `kernel`, `initrd`, `disks`) made absolute,
 * relative to `base`: how a config file's or a spec file's paths are read.
 */
export function resolveSpecPaths(spec: MachineSpec, base: string): MachineSpec {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p))
  return {
    ...spec,
    ...(spec.cdrom ? { cdrom: abs(spec.cdrom) } : {}),
    ...(spec.usb ? { usb: abs(spec.usb) } : {}),
    ...(spec.kernel ? { kernel: abs(spec.kernel) } : {}),
    ...(spec.initrd ? { initrd: abs(spec.initrd) } : {}),
    ...(spec.disks ? { disks: spec.disks.map(d => (typeof d === 'string' ? abs(d) : (d.image !== undefined ? { ...d, image: abs(d.image) } : d))) } : {}),
  }
}

/**
 * The machine definition `name` from the config, with `overrides` laid over it.
 * An unknown name is an error listing the names there are.
 */
export async function machineFromConfig(name: string, overrides: Partial<MachineSpec> = {}): Promise<MachineSpec> {
  const { path, config } = await loadConfig()
  const spec = config.machines?.[name]
  if (!spec) {
    const known = Object.keys(config.machines ?? {})
    const where = path ? `in ${path}` : `: no bootcheck.config.ts found from ${process.cwd()} upwards (or set BOOTCHECK_CONFIG)`
    throw new ConfigError(`No machine '${name}' ${where}.${known.length ? ` Known machines: ${known.join(', ')}.` : ''}`)
  }
  return { ...spec, ...projectFields(config, name), ...overrides }
}

/** The fields of the project this process runs under (`BOOTCHECK_PROJECT`), if any. */
function projectFields(config: BootcheckConfig, machine: string): Partial<MachineSpec> {
  const name = process.env[PROJECT_ENV]
  if (!name) return {}
  const project = config.projects?.find(p => p.name === name)
  if (!project) throw new ConfigError(`Machine '${machine}': this test runs under project '${name}' (${PROJECT_ENV}), which bootcheck.config.ts does not define. Projects: ${(config.projects ?? []).map(p => p.name).join(', ') || 'none'}.`)
  return project.machine
}

/**
 * `bootcheck init`'s probe: boots the image once, as the config will define it, and asks
 * for a shell on its serial console within a time limit. A shell that answers makes the
 * first test a shell test; none makes it a screen test. The machine's artifacts go to a
 * temporary folder removed afterwards: the probe leaves nothing behind.
 */
import { rm } from 'node:fs/promises'
import { boot } from '../api/boot.js'
import { TimeoutError } from '../errors/errors.js'
import type { MachineSpec } from '../spec/spec.js'
import { makeScratchDir } from '../util/scratch.js'
import type { InitConsole } from './init-plan.js'

/** Boots `spec` and waits up to `timeoutMs` for its shell; says which console the test should use. */
export async function probeConsole(spec: MachineSpec, timeoutMs: number): Promise<InitConsole> {
  const artifacts = await makeScratchDir('bootcheck-init-probe-')
  const before = process.env.BOOTCHECK_ARTIFACTS
  process.env.BOOTCHECK_ARTIFACTS = artifacts
  try {
    const vm = await boot({ ...spec, bootTimeout: timeoutMs })
    try {
      await vm.succeed('true', { timeout: timeoutMs })
      return 'serial'
    } catch (e) {
      if (e instanceof TimeoutError) return 'screen'
      throw e
    } finally {
      await vm.dispose()
    }
  } finally {
    if (before === undefined) delete process.env.BOOTCHECK_ARTIFACTS
    else process.env.BOOTCHECK_ARTIFACTS = before
    await rm(artifacts, { recursive: true, force: true })
  }
}

/**
 * A machine's guest commands: run, succeed, fail, retries, file copies and the clock (see
 * {@link MachineCommands}).
 * @module
 */
import { TimeoutError } from '../errors/errors.js'
import { type CommandResult } from '../guest/shell.js'
import { expectStatus, retryCommand } from './commands.js'
import { copyToGuest, describeCopy, type CopyContext, type CopyOptions, type FileCopyResult } from './files.js'
import { copyFolderToGuest, copyPathFromGuest, isHostFolder } from './folders.js'
import type { RetryOptions, RunOptions } from './machine-options.js'
import { MachineScreens } from './machine-screens.js'

/**
 * Commands in the guest shell (run, succeed, fail, retries), copies of files in and out
 * and the guest's clock. Part of {@link Machine}.
 */
export class MachineCommands extends MachineScreens {
  /**
   * Runs a shell command in the guest and returns its exit status, stdout (`output`) and
   * stderr. Waits for a shell first (logging in when the spec has `login`). Never throws
   * for a non-zero status.
   */
  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    return this.step('run', { command, ...options }, () => this.runRaw(command, options.timeout ?? this.timeout), r => `status ${r.status}`)
  }

  /** Runs a command that must succeed; returns its stdout. Throws {@link CommandFailedError} otherwise. */
  succeed(command: string, options: RunOptions = {}): Promise<string> {
    return this.step('succeed', { command, ...options }, async () =>
      expectStatus(this.name, command, await this.runRaw(command, options.timeout ?? this.timeout), true),
    )
  }

  /** Runs a command that must fail (non-zero status); returns its stdout and stderr together. */
  fail(command: string, options: RunOptions = {}): Promise<string> {
    return this.step('fail', { command, ...options }, async () =>
      expectStatus(this.name, command, await this.runRaw(command, options.timeout ?? this.timeout), false),
    )
  }

  /** Repeats a command until it succeeds; returns its stdout. Throws {@link TimeoutError} with the last attempt's output. */
  waitUntilSucceeds(command: string, options: RetryOptions = {}): Promise<string> {
    return this.step('waitUntilSucceeds', { command, ...options }, () => this.retry(command, options, true))
  }

  /** Repeats a command until it fails; returns its stdout and stderr. */
  waitUntilFails(command: string, options: RetryOptions = {}): Promise<string> {
    return this.step('waitUntilFails', { command, ...options }, () => this.retry(command, options, false))
  }

  /**
   * Copies the host file `hostPath` into the guest as `guestPath` (an absolute path; its
   * folder must exist; the file is replaced only once all of it arrived intact). Over the
   * serial console the file is typed as base64 in chunks of 48 KiB, each checked against
   * its MD5 in the guest and typed again when it arrived damaged; with a 9p share in the
   * spec, files of 64 KiB or more go through it instead (`via` forces either way). Every
   * chunk is a step of the trace; the result says which way the copy went. Throws
   * {@link CommandFailedError} naming the path when the guest cannot write it.
   *
   * A host folder is packed with tar, copied as one file and unpacked into the guest folder
   * `guestPath` (created when missing; files of the same name replaced, others left; the
   * guest needs a `tar`, busybox's does): `files` in the result counts its files.
   */
  copyTo(hostPath: string, guestPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
    return this.step(
      'copyTo',
      { hostPath, guestPath, ...options },
      async () =>
        (await isHostFolder('copyTo', hostPath))
          ? copyFolderToGuest(this.copyContext(), hostPath, guestPath, options)
          : copyToGuest(this.copyContext(), hostPath, guestPath, options),
      describeCopy,
    )
  }

  /**
   * Copies the guest file `guestPath` to `hostPath` on the host (its folder is created).
   * Over the serial console it comes in chunks of 512 KiB through the command protocol
   * (base64 with MD5s, fetched again when damaged), and the whole file's MD5 is compared
   * with the guest's; with a writable 9p share, files of 64 KiB or more go through it.
   * Throws {@link CommandFailedError} naming the path when it is missing or not a file.
   *
   * A guest folder is packed with tar in the guest (in `/tmp`), copied as one file and
   * unpacked into the host folder `hostPath` (created; files of the same name replaced).
   */
  copyFrom(guestPath: string, hostPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
    return this.step('copyFrom', { guestPath, hostPath, ...options }, () => copyPathFromGuest(this.copyContext(), guestPath, hostPath, options), describeCopy)
  }

  /**
   * Sets the guest's clock to the host's (`date -u -s` in the guest shell): after a restore
   * the guest's clock stands where it was when the snapshot was taken.
   */
  syncClock(): Promise<void> {
    return this.step('syncClock', {}, async () => {
      const stamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')
      await this.succeed(`date -u -s '${stamp}' >/dev/null`)
    })
  }

  protected copyContext(): CopyContext {
    return {
      name: this.name,
      timeout: this.timeout,
      shares: this.origin.plan.shares ?? [],
      run: (c, timeout) => this.runRaw(c, timeout),
      runBytes: async (c, timeout) => {
        await this.mountShares()
        return this.shell.runBytes(c, timeout, this.bootTimeout).catch(e => this.rethrowExplained(e))
      },
      runFeeding: async (feed, c, timeout) => {
        await this.mountShares()
        return this.shell.runFeeding(feed, c, timeout, this.bootTimeout).catch(e => this.rethrowExplained(e))
      },
      mountShares: () => this.mountShares(),
      step: (action, args, fn, describe) => this.step(action, args, fn, describe),
    }
  }

  protected retry(command: string, options: RetryOptions, wantSuccess: boolean): Promise<string> {
    const run = (c: string, timeout: number): Promise<CommandResult> => this.run(c, { timeout })
    return retryCommand(this.name, run, command, { timeout: options.timeout ?? this.timeout, interval: options.interval ?? 1000 }, wantSuccess)
  }
}

/**
 * Files in and out of the guest (`vm.copyTo`, `vm.copyFrom`): over the serial console in
 * checked chunks (see `src/guest/transfer.ts`), or through a 9p share when the machine has
 * one and the file is large. Each chunk is a step in the machine's trace, so a long copy
 * shows its progress and every chunk sent again.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { CommandFailedError, CommandOutputDamagedError, SpecError } from '../errors/errors.js'
import type { ByteResult, CommandResult, Feed } from '../guest/shell.js'
import {
  chooseRoute,
  chunkRanges,
  DOWNLOAD_CHUNK,
  downloadChunkCommand,
  md5Hex,
  parseStat,
  statCommand,
  statIsFolder,
  UPLOAD_CHUNK,
  uploadChunk,
  uploadCleanupCommand,
  uploadFinishCommand,
  uploadPaths,
  uploadStartCommand,
} from '../guest/transfer.js'
import { shQuote } from '../guest/protocol.js'
import type { PlannedShare } from './plan.js'

/** Options of `vm.copyTo` and `vm.copyFrom`. */
export interface CopyOptions {
  /**
   * `'auto'` (default): through a 9p share when the machine has one (for `copyFrom`, a
   * writable one) and the file has at least `SHARE_THRESHOLD` bytes (64 KiB), else over the
   * serial console. `'serial'` or `'9p'` force the way (`'9p'` without a usable share is a
   * {@link SpecError}).
   */
  via?: 'auto' | 'serial' | '9p'
  /** Milliseconds each guest command of the copy may take. Default: the machine's `timeout`. */
  timeout?: number
  /**
   * `copyTo` over serial: milliseconds after which a chunk whose reader has not finished (a newline
   * lost on the way in leaves it waiting) is ended by typing newlines, and then checked
   * and sent again if damaged; the chunk's typing time (0.5 ms a character) is added.
   * Default 15000, generous for a console that takes 20–60 KB/s of typed text under TCG.
   */
  stuckAfter?: number
}

/** What a copy did. */
export interface FileCopyResult {
  /** Bytes copied. */
  bytes: number
  /** The way the bytes went. */
  via: 'serial' | '9p'
  /** With `via: '9p'`: the guest path of the share used. */
  share?: string
  /** Chunks sent over the console (0 through a share). */
  chunks: number
  /** Chunks that arrived damaged and were sent again. */
  resent: number
  /** Milliseconds the copy took. */
  durationMs: number
  /** A folder's copy: the files in it (the archive's members that are not folders); `bytes` is the archive's size. */
  files?: number
}

/** Files of at least this many bytes go through a share when there is one (`via: 'auto'`). */
export const SHARE_THRESHOLD = 64 * 1024

/** Damaged chunks are sent this many times more before the copy fails. */
const RESENDS = 3

/** What a copy needs of its machine. */
export interface CopyContext {
  name: string
  timeout: number
  shares: readonly PlannedShare[]
  run(command: string, timeout: number): Promise<CommandResult>
  runBytes(command: string, timeout: number): Promise<ByteResult>
  runFeeding(feed: Feed, command: string, timeout: number): Promise<CommandResult>
  /** Mounts the shares (once per boot). */
  mountShares(): Promise<void>
  /** Runs `fn` as a step of the trace. */
  step<T>(action: string, args: Record<string, unknown>, fn: () => Promise<T>, describe?: (r: T) => string): Promise<T>
}

/** Describes a result for the trace. */
export function describeCopy(r: FileCopyResult): string {
  const mbps = r.durationMs > 0 ? (r.bytes / 1e6 / (r.durationMs / 1000)).toFixed(2) : '∞'
  const how = r.via === '9p' ? `9p share ${r.share}` : `serial, ${r.chunks} chunks${r.resent ? `, ${r.resent} sent again` : ''}`
  const what = r.files !== undefined ? `a folder of ${r.files} files, ` : ''
  return `${what}${r.bytes} bytes over ${how} in ${(r.durationMs / 1000).toFixed(1)} s (${mbps} MB/s)`
}

/** Copies the host file `hostPath` to `guestPath` in the guest (replacing it). */
export async function copyToGuest(ctx: CopyContext, hostPath: string, guestPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
  const started = Date.now()
  const timeout = options.timeout ?? ctx.timeout
  const data = await readFile(hostPath).catch(e => {
    throw new SpecError(`copyTo: cannot read the host file '${hostPath}': ${(e as Error).message}`)
  })
  checkGuestPath('copyTo', guestPath)
  const stuck = options.stuckAfter
  if (stuck !== undefined && !(Number.isFinite(stuck) && stuck > 0)) throw new SpecError(`copyTo: stuckAfter is a positive number of milliseconds, not ${String(stuck)}`)
  const route = await pickRoute(ctx, data.length, 'to', options.via ?? 'auto')
  const token = randomBytes(6).toString('hex')
  if (route.via === '9p') {
    const name = `.bootcheck-copy-${token}`
    const hostFile = join(route.share.host, name)
    await writeFile(hostFile, data)
    try {
      const part = `${guestPath}.bcpart-${token}`
      const command =
        `cp ${shQuote(`${route.share.guest}/${name}`)} ${shQuote(part)} && set -- $(md5sum < ${shQuote(part)}) && ` +
        `{ [ "$1" = ${md5Hex(data)} ] || { rm -f ${shQuote(part)}; echo "checksum $1 differs" >&2; exit 1; }; } && mv ${shQuote(part)} ${shQuote(guestPath)}`
      await expectOk(ctx, 'copyTo', guestPath, command, await ctx.run(command, timeout))
    } finally {
      await rm(hostFile, { force: true })
    }
    return { bytes: data.length, via: '9p', share: route.share.guest, chunks: 0, resent: 0, durationMs: Date.now() - started }
  }
  const paths = uploadPaths(guestPath, token)
  const start = uploadStartCommand(paths)
  await expectOk(ctx, 'copyTo', guestPath, start, await ctx.run(start, timeout))
  let resent = 0
  const ranges = chunkRanges(data.length, UPLOAD_CHUNK)
  try {
    for (const range of ranges) {
      const chunk = uploadChunk(data.subarray(range.start, range.end), paths)
      const feed: Feed = { receive: chunk.receive, data: chunk.text, stuckAfter: (options.stuckAfter ?? 15_000) + chunk.text.length / 2 }
      for (let attempt = 0; ; attempt++) {
        const args = { index: range.index, of: ranges.length, bytes: range.end - range.start, attempt }
        const r = await ctx.step('copyChunk', args, () => ctx.runFeeding(feed, chunk.check, timeout), r => (r.status === 0 ? `${range.end} of ${data.length} bytes` : 'arrived damaged, sent again'))
        if (r.status === 0) break
        if (attempt >= RESENDS) {
          throw new CommandOutputDamagedError(
            `copyTo: chunk ${range.index + 1} of ${ranges.length} of '${hostPath}' arrived damaged in ${ctx.name} ${RESENDS + 1} times (its MD5 never matched): the console drops input. See the machine's actions.jsonl.`,
          )
        }
        resent++
      }
    }
    const finish = uploadFinishCommand(paths, guestPath, data.length, md5Hex(data))
    const done = await ctx.run(finish, timeout)
    if (done.status !== 0) {
      throw new CommandOutputDamagedError(`copyTo: '${guestPath}' in ${ctx.name} does not match '${hostPath}' after the copy (size and MD5 there: ${done.output.trim() || done.stderr.trim()}; wanted ${data.length} ${md5Hex(data)})`)
    }
  } catch (e) {
    await ctx.run(uploadCleanupCommand(paths), timeout).catch(() => undefined)
    throw e
  }
  return { bytes: data.length, via: 'serial', chunks: ranges.length, resent, durationMs: Date.now() - started }
}

/** How a folder is copied out, when {@link copyFromGuest} finds one (`folders.ts`). */
export type FolderCopier = (ctx: CopyContext, guestPath: string, hostPath: string, options: CopyOptions) => Promise<FileCopyResult>

/**
 * Copies the guest file `guestPath` to `hostPath` on the host (replacing it; its folder is
 * created). A guest folder goes to `folder` when given (found by the same command that
 * reads a file's size and MD5), else is a {@link CommandFailedError}.
 */
export async function copyFromGuest(ctx: CopyContext, guestPath: string, hostPath: string, options: CopyOptions = {}, folder?: FolderCopier): Promise<FileCopyResult> {
  const started = Date.now()
  const timeout = options.timeout ?? ctx.timeout
  checkGuestPath('copyFrom', guestPath)
  const statCmd = statCommand(guestPath)
  const st = await ctx.run(statCmd, timeout)
  await expectOk(ctx, 'copyFrom', guestPath, statCmd, st)
  if (statIsFolder(st.output)) {
    if (folder) return folder(ctx, guestPath, hostPath, options)
    throw new CommandFailedError(`copyFrom: '${guestPath}' in ${ctx.name} is a folder, not a file`, statCmd, st.status, st.output, st.stderr)
  }
  const info = parseStat(st.output)
  if (!info) throw new CommandOutputDamagedError(`copyFrom: cannot read the size and MD5 of '${guestPath}' in ${ctx.name} from ${JSON.stringify(st.output)}`)
  const route = await pickRoute(ctx, info.size, 'from', options.via ?? 'auto')
  await mkdir(dirname(hostPath), { recursive: true })
  if (route.via === '9p') {
    const name = `.bootcheck-copy-${randomBytes(6).toString('hex')}`
    const guestTemp = `${route.share.guest}/${name}`
    const hostFile = join(route.share.host, name)
    try {
      const command = `cp ${shQuote(guestPath)} ${shQuote(guestTemp)} && sync`
      await expectOk(ctx, 'copyFrom', guestPath, command, await ctx.run(command, timeout))
      const data = await readShareFile(hostFile, info.size, ctx.name)
      if (data.length !== info.size || md5Hex(data) !== info.md5) {
        throw new CommandOutputDamagedError(`copyFrom: '${guestPath}' arrived through the share ${route.share.guest} with ${data.length} bytes, MD5 ${md5Hex(data)}; the guest has ${info.size} bytes, MD5 ${info.md5}`)
      }
      await writeFile(hostPath, data)
    } finally {
      await rm(hostFile, { force: true })
    }
    return { bytes: info.size, via: '9p', share: route.share.guest, chunks: 0, resent: 0, durationMs: Date.now() - started }
  }
  const ranges = chunkRanges(info.size, DOWNLOAD_CHUNK)
  const parts: Buffer[] = []
  let got = 0
  for (const range of ranges) {
    const command = downloadChunkCommand(guestPath, range.index, DOWNLOAD_CHUNK)
    const args = { index: range.index, of: ranges.length, bytes: range.end - range.start }
    const r = await ctx.step('copyChunk', args, () => ctx.runBytes(command, timeout), r => `${got + r.output.length} of ${info.size} bytes`)
    if (r.status !== 0) await expectOk(ctx, 'copyFrom', guestPath, command, { ...r, output: '' })
    parts.push(r.output)
    got += r.output.length
  }
  const data = Buffer.concat(parts)
  if (data.length !== info.size || md5Hex(data) !== info.md5) {
    throw new CommandOutputDamagedError(
      `copyFrom: '${guestPath}' arrived from ${ctx.name} with ${data.length} bytes, MD5 ${md5Hex(data)}; the guest has ${info.size} bytes, MD5 ${info.md5} (did the file change during the copy?)`,
    )
  }
  await writeFile(hostPath, data)
  return { bytes: info.size, via: 'serial', chunks: ranges.length, resent: 0, durationMs: Date.now() - started }
}

function checkGuestPath(method: string, path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new SpecError(`${method}: the guest path must be absolute, got ${JSON.stringify(path)}`)
}

async function pickRoute(ctx: CopyContext, size: number, direction: 'to' | 'from', via: 'auto' | 'serial' | '9p'): Promise<{ via: 'serial' } | { via: '9p'; share: PlannedShare }> {
  if (via === 'serial') return { via: 'serial' }
  const route = chooseRoute(size, ctx.shares, direction, via === '9p' ? 0 : SHARE_THRESHOLD)
  if (via === '9p' && route.via !== '9p') {
    throw new SpecError(`copy${direction === 'to' ? 'To' : 'From'}: via '9p' needs ${direction === 'to' ? 'a share' : 'a writable share'} in the spec of ${ctx.name} (it has ${ctx.shares.length})`)
  }
  if (route.via === '9p') await ctx.mountShares()
  return route
}

/** Throws {@link CommandFailedError} naming the path and the command unless `r` succeeded. */
export async function expectOk(ctx: CopyContext, method: string, guestPath: string, command: string, r: CommandResult): Promise<void> {
  if (r.status === 0) return
  const why = (r.stderr || r.output).trim().split('\n').slice(-5).join('; ')
  throw new CommandFailedError(`${method}: '${guestPath}' in ${ctx.name}: ${why || `status ${r.status}`} (command ${JSON.stringify(command)} exited with status ${r.status})`, command, r.status, r.output, r.stderr)
}

/**
 * Reads the file the guest left in a share without trusting it: not through a link
 * (O_NOFOLLOW), not blocking on a FIFO (O_NONBLOCK), only a regular file of the size the
 * guest announced.
 */
async function readShareFile(path: string, size: number, machine: string): Promise<Buffer> {
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    throw new CommandOutputDamagedError(`copyFrom: ${machine} left no readable regular file at '${path}' in the share (${(e as NodeJS.ErrnoException).code ?? String(e)}): a link or something else stood there`)
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new CommandOutputDamagedError(`copyFrom: ${machine} left a ${st.isFIFO() ? 'FIFO' : 'special file'} at '${path}' in the share, not a regular file`)
    if (st.size !== size) throw new CommandOutputDamagedError(`copyFrom: '${path}' in the share has ${st.size} bytes; the guest announced ${size}`)
    return await fh.readFile()
  } finally {
    await fh.close()
  }
}

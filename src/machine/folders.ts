/**
 * Folders in and out of the guest: `vm.copyTo` given a host folder and `vm.copyFrom` given
 * a guest folder pack it with tar (the host's GNU tar, the guest's tar: busybox's does),
 * move the one archive as a file (`files.ts`: over the console in checked chunks, or
 * through a share) and unpack it on the other side into the destination folder: created
 * when missing, files of the same name replaced, other files left. Symbolic links, modes
 * and times travel with the archive; owners do not.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { SpecError } from '../errors/errors.js'
import { shQuote } from '../guest/protocol.js'
import { moveInPlainTree } from './folder-unpack.js'
import { copyFromGuest, copyToGuest, expectOk, type CopyContext, type CopyOptions, type FileCopyResult } from './files.js'

/** The guest command that unpacks `archive` into `folder` (created) and removes the archive. */
export function unpackCommand(archive: string, folder: string): string {
  const a = shQuote(archive)
  return `${needTar()} mkdir -p ${shQuote(folder)} && tar -xf ${a} -C ${shQuote(folder)}; s=$?; rm -f ${a}; exit $s`
}

/** The guest command that packs the contents of `folder` into `archive`. */
export function packCommand(folder: string, archive: string): string {
  return `${needTar()} tar -cf ${shQuote(archive)} -C ${shQuote(folder)} .`
}

function needTar(): string {
  return `command -v tar >/dev/null || { echo "copying a folder needs tar in the guest (busybox's will do)" >&2; exit 127; };`
}

/** Whether the host path is a folder; a {@link SpecError} naming it when it cannot be read. */
export async function isHostFolder(method: string, path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch (e) {
    throw new SpecError(`${method}: cannot read the host file '${path}': ${(e as Error).message}`)
  }
}

/** Copies the host folder `hostDir` into the guest folder `guestPath`. */
export async function copyFolderToGuest(ctx: CopyContext, hostDir: string, guestPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
  const started = Date.now()
  if (typeof guestPath !== 'string' || !guestPath.startsWith('/')) throw new SpecError(`copyTo: the guest path must be absolute, got ${JSON.stringify(guestPath)}`)
  const work = await mkdtemp(join(tmpdir(), 'bootcheck-folder-'))
  try {
    const archive = join(work, 'folder.tar')
    const files = await hostTar('copyTo', ['-cvf', archive, '--owner=0', '--group=0', '--numeric-owner', '-C', hostDir, '.'])
    // The archive lands in the destination (made first) and is removed once unpacked.
    await runOk(ctx, 'copyTo', guestPath, `mkdir -p ${shQuote(guestPath)}`, options)
    const guestArchive = `${guestPath.replace(/\/+$/, '')}/.bootcheck-folder-${randomBytes(6).toString('hex')}.tar`
    const sent = await copyToGuest(ctx, archive, guestArchive, options)
    const command = unpackCommand(guestArchive, guestPath)
    await runOk(ctx, 'copyTo', guestPath, command, options)
    return { ...sent, files: files.length, durationMs: Date.now() - started }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * Copies the guest path `guestPath` to `hostPath`: a folder into the host folder
 * `hostPath` (created), a file as a file ({@link copyFromGuest}, whose one command tells
 * which it is).
 */
export function copyPathFromGuest(ctx: CopyContext, guestPath: string, hostPath: string, options: CopyOptions = {}): Promise<FileCopyResult> {
  return copyFromGuest(ctx, guestPath, hostPath, options, copyFolderFromGuest)
}

/** Copies the guest folder `guestPath` into the host folder `hostPath` (created). */
async function copyFolderFromGuest(ctx: CopyContext, guestPath: string, hostPath: string, options: CopyOptions): Promise<FileCopyResult> {
  const started = Date.now()
  if (guestPath.replace(/\/+$/, '') === '') throw new SpecError("copyFrom: the guest's root '/' cannot be copied as a whole; name a folder under it")
  const guestArchive = `/tmp/.bootcheck-folder-${randomBytes(6).toString('hex')}.tar`
  const work = await mkdtemp(join(tmpdir(), 'bootcheck-folder-'))
  try {
    await runOk(ctx, 'copyFrom', guestPath, packCommand(guestPath, guestArchive), options)
    const archive = join(work, 'folder.tar')
    const got = await copyFromGuest(ctx, guestArchive, archive, options)
    // The guest's archive is not trusted: unpacked into a private folder, then moved in
    // without devices, FIFOs, special modes or links leaving the destination (folder-unpack.ts).
    const stage = join(work, 'stage')
    await mkdir(stage, { mode: 0o700 })
    await hostTar('copyFrom', ['-xf', archive, '-C', stage, '--no-same-owner', '--no-same-permissions'])
    await mkdir(hostPath, { recursive: true })
    const moved = await moveInPlainTree(stage, resolve(hostPath))
    return { ...got, files: moved.files.length, durationMs: Date.now() - started }
  } finally {
    await ctx.run(`rm -f ${shQuote(guestArchive)}`, options.timeout ?? ctx.timeout).catch(() => undefined)
    await rm(work, { recursive: true, force: true })
  }
}

/** Runs the host's tar (verbose: `-cvf` or `-xvf`); the files it names, folders left out. */
async function hostTar(method: string, args: string[]): Promise<string[]> {
  const r = await execa('tar', args, { reject: false })
  if (r.failed) throw new SpecError(`${method}: tar ${args.join(' ')} failed on the host: ${String(r.stderr || r.shortMessage).trim().split('\n').slice(-3).join('; ')}`)
  return String(r.stdout).split('\n').filter(l => l && !l.endsWith('/'))
}

/** Runs `command` in the guest; a {@link CommandFailedError} naming the folder unless it succeeded. */
async function runOk(ctx: CopyContext, method: string, guestPath: string, command: string, options: CopyOptions): Promise<void> {
  await expectOk(ctx, method, guestPath, command, await ctx.run(command, options.timeout ?? ctx.timeout))
}

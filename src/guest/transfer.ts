/**
 * The pure half of copying files over the serial console: how a file is cut into chunks
 * and the guest commands that move each one. No console, no files: unit-tested with a
 * local shell.
 *
 * Into the guest (`copyTo`), a chunk is typed as base64 lines ({@link UPLOAD_LINE}
 * characters each, far below the tty's 4095-character canonical line limit) with the
 * echo off, read by `head -n <lines>` (which reads no further than its lines), then
 * decoded and checked against the MD5 the host computed; only a chunk that matches is
 * appended to the partial file, and a chunk that does not is typed again. The partial
 * file sits beside the destination and is renamed onto it once its size and MD5 match the
 * whole file's. Out of the guest (`copyFrom`), each chunk is a `dd` of the file whose
 * output travels in the command protocol's base64 with its MD5 (and is fetched again
 * when damaged); the whole file's MD5 is compared at the end.
 * @module
 */
import { createHash } from 'node:crypto'
import { shQuote } from './protocol.js'

/** Characters of base64 per typed line. */
export const UPLOAD_LINE = 1024
/** Bytes per chunk typed into the guest: 64 lines of base64 (64 KiB of text). */
export const UPLOAD_CHUNK = (UPLOAD_LINE / 4) * 3 * 64
/** Bytes per chunk read out of the guest (one `dd` a command). */
export const DOWNLOAD_CHUNK = 512 * 1024

/** The MD5 of some bytes, in hex. */
export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex')
}

/** The byte ranges of a file of `size` bytes cut into chunks of `chunk` bytes (none for an empty file). */
export function chunkRanges(size: number, chunk: number): Array<{ index: number; start: number; end: number }> {
  const out: Array<{ index: number; start: number; end: number }> = []
  for (let start = 0, index = 0; start < size; start += chunk, index++) out.push({ index, start, end: Math.min(size, start + chunk) })
  return out
}

/** The guest's temporary files of one copy into `dest`: the partial file beside it, the chunk's text and bytes in /tmp. */
export function uploadPaths(dest: string, token: string): { part: string; text: string; bytes: string } {
  return { part: `${dest}.bcpart-${token}`, text: `/tmp/.bcup-${token}.b64`, bytes: `/tmp/.bcup-${token}.bin` }
}

/** Starts a copy: an empty partial file (fails when the destination's folder is missing). */
export function uploadStartCommand(paths: { part: string }): string {
  return `: > ${shQuote(paths.part)}`
}

/**
 * One chunk into the guest: the text to type, the reader, and the command that checks the
 * chunk's MD5 and appends it (exit status 1 when it arrived damaged).
 */
export function uploadChunk(data: Buffer, paths: { part: string; text: string; bytes: string }): { text: string; lines: number; receive: string; check: string } {
  const b64 = data.toString('base64')
  const lines: string[] = []
  for (let i = 0; i < b64.length; i += UPLOAD_LINE) lines.push(b64.slice(i, i + UPLOAD_LINE))
  const text = shQuote(paths.text)
  const bytes = shQuote(paths.bytes)
  return {
    text: lines.join('\n') + '\n',
    lines: lines.length,
    receive: `head -n ${lines.length} > ${text}`,
    check:
      `base64 -d < ${text} > ${bytes} 2>/dev/null && set -- $(md5sum < ${bytes}) && [ "$1" = ${md5Hex(data)} ] ` +
      `&& cat ${bytes} >> ${shQuote(paths.part)}; s=$?; rm -f ${text} ${bytes}; exit $s`,
  }
}

/**
 * Ends a copy: the partial file must have the whole file's size and MD5 (prints what it
 * has otherwise, and exits 1), then it replaces the destination.
 */
export function uploadFinishCommand(paths: { part: string }, dest: string, size: number, md5: string): string {
  const part = shQuote(paths.part)
  return `set -- $(wc -c < ${part}) $(md5sum < ${part}); if [ "$1" = ${size} ] && [ "$2" = ${md5} ]; then mv ${part} ${shQuote(dest)}; else echo "$1 $2"; rm -f ${part}; exit 1; fi`
}

/** Removes what a failed copy left in the guest. */
export function uploadCleanupCommand(paths: { part: string; text: string; bytes: string }): string {
  return `rm -f ${shQuote(paths.part)} ${shQuote(paths.text)} ${shQuote(paths.bytes)}`
}

/**
 * Prints the size of a regular file in the guest and its MD5 (`<size> <md5>`), or `dir`
 * for a folder; fails when it is missing or neither.
 */
export function statCommand(path: string): string {
  const p = shQuote(path)
  return `if [ -d ${p} ]; then echo dir; exit 0; fi; [ -f ${p} ] || { echo "no such file: "${p} >&2; exit 1; }; set -- $(wc -c < ${p}) $(md5sum < ${p}); echo "$1 $2"`
}

/** Whether {@link statCommand} found a folder. */
export function statIsFolder(output: string): boolean {
  return output.trim() === 'dir'
}

/** Parses what {@link statCommand} printed for a file. */
export function parseStat(output: string): { size: number; md5: string } | null {
  const m = /^(\d+) ([0-9a-f]{32})\s*$/.exec(output)
  return m ? { size: Number(m[1]), md5: m[2]! } : null
}

/** One chunk out of the guest: the bytes of `path` in `[start, start + chunk)`, with `chunk` a multiple of 64 KiB. */
export function downloadChunkCommand(path: string, index: number, chunk: number): string {
  const bs = 64 * 1024
  const per = Math.max(1, Math.floor(chunk / bs))
  return `dd if=${shQuote(path)} bs=${bs} skip=${index * per} count=${per} 2>/dev/null`
}

/** Which way a copy goes: over a 9p share when the machine has one and the file is large, else over the serial console. */
export function chooseRoute<S extends { readOnly?: boolean }>(
  size: number,
  shares: readonly S[],
  direction: 'to' | 'from',
  threshold: number,
): { via: 'serial' } | { via: '9p'; share: S } {
  if (size < threshold) return { via: 'serial' }
  // Into the guest the host writes the share's folder, so a read-only share serves too.
  const share = shares.find(s => direction === 'to' || !s.readOnly)
  return share ? { via: '9p', share } : { via: 'serial' }
}

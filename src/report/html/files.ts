/**
 * How the HTML report reaches files of the run: relative links inside the report's folder
 * (so the folder can be moved or served as a whole), `file:` links or data: URIs outside it,
 * and the tail of a transcript read at render time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { AnsiStripper } from '../../console/ansi.js'
import { readFileTail } from '../../util/file-tail.js'

/** The path of `file` relative to `dir` as a URL (`artifacts/a%20b/console.log`), or undefined outside `dir`. */
export function relativeUrl(file: string, dir: string): string | undefined {
  const rel = relative(dir, file)
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined
  return rel.split(sep).map(encodeURIComponent).join('/')
}

/** A link to `file`: relative inside `dir`, else a `file:` URL. */
export function fileHref(file: string, dir: string): string {
  return relativeUrl(file, dir) ?? pathToFileURL(file).href
}

/** Largest image inlined as a data: URI when it lies outside the report's folder. */
const MAX_INLINE_IMAGE = 8 * 1024 * 1024

/**
 * The `src` of an image: relative inside `dir`, a data: URI outside it (a `file:` URL if it
 * is too big to inline), or undefined when the file does not exist.
 */
export function imageSrc(file: string, dir: string): string | undefined {
  // Only regular files: a device (/dev/zero) or FIFO would be read forever.
  if (!existsSync(file) || !statSync(file).isFile()) return undefined
  const rel = relativeUrl(file, dir)
  if (rel !== undefined) return rel
  if (statSync(file).size > MAX_INLINE_IMAGE) return pathToFileURL(file).href
  const type = /\.jpe?g$/i.test(file) ? 'image/jpeg' : 'image/png'
  return `data:${type};base64,${readFileSync(file).toString('base64')}`
}

/** The readable end of a transcript. */
export interface TranscriptTail {
  /** Cleaned text: ANSI sequences and carriage returns removed. */
  text: string
  /** The same part as the guest sent it, escape sequences kept (for the colours). */
  raw: string
  /** The file's size in bytes. */
  size: number
  /** Bytes left out at the start (0 when the whole file is shown). */
  omitted: number
}

/**
 * Reads at most the last `maxBytes` of a serial transcript (without reading the rest of a
 * large file) and cleans it for display; when cut, starts at the first whole line.
 * Undefined when the file cannot be read.
 */
export function readTranscriptTail(file: string, maxBytes: number): TranscriptTail | undefined {
  const tail = readFileTail(file, maxBytes)
  if (!tail) return undefined
  let raw = tail.buf
  let omitted = tail.size - raw.length
  if (omitted > 0) {
    const nl = raw.indexOf(0x0a)
    if (nl !== -1 && nl < 4096) {
      raw = raw.subarray(nl + 1)
      omitted += nl + 1
    }
  }
  const stripper = new AnsiStripper()
  const decoded = new TextDecoder('utf-8').decode(raw)
  const text = stripper.push(decoded) + stripper.flush()
  return { text, raw: decoded, size: tail.size, omitted }
}

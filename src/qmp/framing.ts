/**
 * Newline-delimited JSON framing for the QMP byte stream.
 * @module
 */
import { StringDecoder } from 'node:string_decoder'
import { QmpProtocolError } from './errors.js'

/** Options for {@link JsonLineDecoder}. */
export interface JsonLineDecoderOptions {
  /** Called with every non-blank raw line (without its line ending) before it is parsed. */
  onLine?: (line: string) => void
}

/**
 * Splits a byte stream into newline-terminated JSON messages.
 *
 * Tolerates chunks that end mid-line or mid-UTF-8-character, several messages
 * in one chunk, blank lines and CRLF line endings. A line that is not valid
 * JSON makes {@link JsonLineDecoder.push} throw a {@link QmpProtocolError}
 * carrying that line; the bad line is dropped and everything else is kept, so
 * messages decoded before it (and lines after it) come out of the next `push`
 * (push an empty buffer to drain them).
 */
export class JsonLineDecoder {
  readonly #utf8 = new StringDecoder('utf8')
  readonly #onLine: ((line: string) => void) | undefined
  #text = ''
  #ready: unknown[] = []

  constructor(options: JsonLineDecoderOptions = {}) {
    this.#onLine = options.onLine
  }

  /** Number of characters buffered that do not yet form a complete line. */
  get pendingChars(): number {
    return this.#text.length
  }

  /** Feeds a chunk; returns the complete JSON messages it finished, in order. */
  push(chunk: Buffer): unknown[] {
    this.#text += this.#utf8.write(chunk)
    let newline: number
    while ((newline = this.#text.indexOf('\n')) !== -1) {
      let line = this.#text.slice(0, newline)
      this.#text = this.#text.slice(newline + 1)
      if (line.endsWith('\r')) line = line.slice(0, -1)
      if (line.trim() === '') continue
      this.#onLine?.(line)
      try {
        this.#ready.push(JSON.parse(line))
      } catch (err) {
        throw new QmpProtocolError('malformed JSON line from QMP', line, { cause: err })
      }
    }
    const out = this.#ready
    this.#ready = []
    return out
  }
}

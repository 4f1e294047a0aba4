/**
 * Whether a regular expression can never match a newline, judged from its source by a
 * conservative scan: such a pattern's matches lie within one line, so a transcript search
 * that failed need only look again from the start of the last line, not a whole
 * look-behind. Anything the scan is unsure of counts as "may match a newline".
 */
export function cannotMatchNewline(re: RegExp): boolean {
  if (re.flags.includes('s')) return false // `.` matches a newline
  const src = re.source
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i)
    if (c < 0x20) return false // a literal control character, maybe a newline or a range around one
    if (c === 0x5e /* ^ */) return false // `[^…]` matches a newline; an anchor is left alone too
    if (c === 0x5c /* \ */) {
      const next = src[++i]
      // `\d` and `\w` never match a newline; `\.`, `\[`, `\$` … are literals. Every other
      // letter or digit escape (`\n`, `\s`, `\S`, `\D`, `\W`, `\x0a`, `\u000a`, `\cJ`, `\p{…}`,
      // `\t` starting a range, a backreference) may.
      if (next === undefined || (/[A-Za-z0-9]/.test(next) && next !== 'd' && next !== 'w')) return false
    }
  }
  return true
}

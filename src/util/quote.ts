/**
 * Lines quoted under an error message, each behind `  | `, so what a guest, QEMU or a
 * tool printed stands apart from bootcheck's own words.
 * @module
 */

/** `lines` quoted one under another, each behind `  | `. */
export function quoteLines(lines: readonly string[]): string {
  return lines.map(l => `  | ${l}`).join('\n')
}

/** Small text helpers for the accelerator decision's reasons. */

/** `1500` -> `'1.5 s'`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`
}

/** The first non-blank line, trimmed ('' when there is none). */
export function firstLine(text: string): string {
  return text.split('\n').map(l => l.trim()).find(Boolean) ?? ''
}

/** Probe output without control characters, for quoting in a reason. */
export function visible(output: string): string {
  return output.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '').trim()
}

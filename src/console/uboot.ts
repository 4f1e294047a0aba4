/**
 * U-Boot on the serial console: its prompt, the lines that mean a command failed, and the
 * lines that mean the boot is lost (added to fail-fast when a machine runs U-Boot). Pure
 * patterns and parsing; `machine/uboot.ts` types at the prompt.
 * @module
 */
import type { FailurePattern } from './failfast.js'

/** U-Boot's prompt as a regular expression's source: `=> `, or a board's own (`maltael # `). */
export const UBOOT_PROMPT_SOURCE = '(?:=>|[\\w.-]+ #) $'

/** U-Boot's prompt at the end of the output so far. */
export const UBOOT_PROMPT = new RegExp(`(^|\\n)${UBOOT_PROMPT_SOURCE}`)

/** What U-Boot prints before autoboot, when a key press stops it. */
export const UBOOT_AUTOBOOT = /Hit any key to stop autoboot|Press SPACE to abort autoboot/

/**
 * Lines that mean a U-Boot command failed: `vm.uboot.run` throws when its output holds one.
 * (Not fail-fast: autoboot prints some of them on its way, e.g. a `TFTP error` for a
 * missing `boot.scr.uimg`, and goes on.)
 */
export const UBOOT_ERROR_LINES: readonly FailurePattern[] = [
  { name: 'wrong image format', pattern: /Wrong Image Format/ },
  { name: 'TFTP error', pattern: /TFTP error/ },
  { name: 'retry count exceeded', pattern: /Retry count exceeded/ },
  { name: 'bad image magic', pattern: /Bad Linux \S+ Image magic|Bad magic number|Bad Header Checksum/ },
  { name: 'unknown command', pattern: /Unknown command '.*' - try 'help'/ },
  { name: 'file not found', pattern: /\*\* File not found|Failed to load '|Couldn't find partition|\*\* No partition table|Error reading cluster/ },
  { name: 'error', pattern: /^(## )?Error|^ERROR|### ERROR ###|^Missing argument|^Usage:$|usage: / },
]

/**
 * Lines that mean a U-Boot boot is lost, watched (besides the defaults) on a machine with
 * `firmware: 'u-boot'`: a kernel U-Boot cannot start, an exception in U-Boot, a board that
 * must be reset.
 */
export const UBOOT_FAILURE_PATTERNS: readonly FailurePattern[] = [
  { name: 'U-Boot: wrong image format', pattern: /Wrong Image Format for \w+ command/ },
  { name: 'U-Boot: bad kernel image', pattern: /Bad Linux \S+ Image magic/ },
  { name: 'U-Boot: exception', pattern: /"Synchronous Abort" handler|^Exception in U-Boot|data abort/ },
  { name: 'U-Boot: reset required', pattern: /### ERROR ### Please RESET the board ###/ },
]

/** The first line of `output` that means a U-Boot command failed, with its name. */
export function ubootError(output: string): {
  /** The error's name in {@link UBOOT_ERROR_LINES}, e.g. `TFTP error`. */
  name: string
  /** The line of `output` that matched. */
  line: string
} | undefined {
  for (const line of output.split('\n')) {
    const hit = UBOOT_ERROR_LINES.find(p => p.pattern.test(line))
    if (hit) return { name: hit.name, line }
  }
  return undefined
}

/** `printenv`'s output as a record (a value may hold `=`; lines without one are skipped). */
export function parseUbootEnv(output: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of output.split('\n')) {
    const m = /^([A-Za-z0-9_.:-]+)=(.*)$/.exec(line.trimEnd())
    if (m) env[m[1]!] = m[2]!
  }
  return env
}

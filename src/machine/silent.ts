/**
 * What to say when a machine's serial console stayed silent: the firmware may be showing
 * "No bootable device", a UEFI shell or a boot loader on the screen only. The screen is
 * saved, and the VGA text buffer (BIOS text mode, where SeaBIOS and boot loaders write) is
 * read through QMP, so the error says what the screen says.
 * @module
 */
import { join } from 'node:path'
import type { SerialConsole } from '../console/console.js'
import { TimeoutError } from '../errors/errors.js'
import type { QmpClient } from '../qmp/client.js'
import { writePng, type Image } from '../screens/image.js'
import { quoteLines } from '../util/quote.js'

/** The 80×25 VGA text buffer at 0xb8000 as lines, trailing blanks and empty lines dropped. */
export async function readVgaText(qmp: Pick<QmpClient, 'execute'>): Promise<string[]> {
  const out = (await qmp.execute('human-monitor-command', { 'command-line': 'xp /4000xb 0xb8000' })) as unknown
  return decodeVgaDump(typeof out === 'string' ? out : '')
}

/** Decodes HMP `xp /Nxb` output of the text buffer (character, attribute, character, …). Pure. */
export function decodeVgaDump(dump: string): string[] {
  const bytes: number[] = []
  for (const line of dump.split('\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    for (const tok of line.slice(colon + 1).trim().split(/\s+/)) if (/^0x[0-9a-f]{1,2}$/i.test(tok)) bytes.push(parseInt(tok, 16))
  }
  const rows: string[] = []
  for (let r = 0; r * 160 < bytes.length; r++) {
    let row = ''
    for (let c = 0; c < 80; c++) {
      const ch = bytes[r * 160 + c * 2]
      if (ch === undefined) break
      row += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : ' '
    }
    rows.push(row.trimEnd())
  }
  return rows.filter(r => r.trim().length > 0)
}

/**
 * When `error` is a timeout and the console printed nothing, returns a {@link TimeoutError}
 * that also names the saved screenshot and quotes the screen's text; otherwise `error`.
 */
export async function explainSilentConsole(
  error: unknown,
  m: { console: Pick<SerialConsole, 'lastLines'>; qmp: Pick<QmpClient, 'execute'>; artifactsDir: string; capture: () => Promise<Image> },
  attach: (name: string, path: string) => void,
): Promise<unknown> {
  if (!(error instanceof TimeoutError) || m.console.lastLines().length > 0) return error
  const notes: string[] = []
  try {
    const image = await m.capture()
    const path = join(m.artifactsDir, 'silent-console-screen.png')
    await writePng(path, image)
    attach('screen', path)
    notes.push(`The screen (${image.width}x${image.height}) is saved as ${path}.`)
  } catch {
    // QEMU is gone or cannot take a screenshot: the message stays as it was
  }
  const text = await readVgaText(m.qmp).catch(() => [])
  if (text.length) notes.push(`The VGA text screen reads:\n${quoteLines(text)}`)
  if (!notes.length) return error
  return new TimeoutError(`${error.message}\n${notes.join('\n')}`, { cause: error })
}

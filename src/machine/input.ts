/**
 * Keyboard and pointer over QMP: key combinations, typed text (US layout), and a USB
 * tablet's absolute pointer scaled to the screen.
 * @module
 */
import { SpecError } from '../errors/errors.js'
import { keysForChar, parseKeyCombo } from '../input/keys.js'
import type { QmpClient } from '../qmp/client.js'
import { sleep } from '../util/sleep.js'

/** Presses a key combination such as `ctrl-alt-f2`: all keys down, then up. */
export async function sendKeyCombo(qmp: QmpClient, combo: string): Promise<void> {
  await qmp.execute('send-key', { keys: parseKeyCombo(combo).map(data => ({ type: 'qcode', data })) })
}

/** Types text one key at a time with `delay` ms between keys; every character is checked before any is typed. */
export async function typeText(qmp: QmpClient, text: string, delay: number): Promise<void> {
  const combos = [...text].map(keysForChar)
  for (const keys of combos) {
    await qmp.execute('send-key', { keys: keys.map(data => ({ type: 'qcode', data })) })
    await sleep(delay)
  }
}

/** Moves the tablet's pointer to pixel (x, y) of a `width`×`height` screen. */
export async function movePointer(qmp: QmpClient, x: number, y: number, screen: { width: number; height: number }): Promise<void> {
  const { width, height } = screen
  if (x < 0 || y < 0 || x >= width || y >= height) throw new SpecError(`mouseMove: (${x}, ${y}) is outside the ${width}x${height} screen`)
  const scale = (v: number, size: number): number => Math.round((v * 0x7fff) / Math.max(1, size - 1))
  await qmp.execute('input-send-event', {
    events: [
      { type: 'abs', data: { axis: 'x', value: scale(x, width) } },
      { type: 'abs', data: { axis: 'y', value: scale(y, height) } },
    ],
  })
}

/** Presses and releases a mouse button, holding it `holdMs` milliseconds (default 0). */
export async function clickButton(qmp: QmpClient, button: 'left' | 'middle' | 'right', holdMs = 0): Promise<void> {
  await qmp.execute('input-send-event', { events: [{ type: 'btn', data: { button, down: true } }] })
  if (holdMs > 0) await sleep(holdMs)
  await qmp.execute('input-send-event', { events: [{ type: 'btn', data: { button, down: false } }] })
}

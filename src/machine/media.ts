/**
 * Removable media and hot-unplug over QMP: eject (even a locked tray), insert, unplug.
 * @module
 */
import { BootcheckError } from '../errors/errors.js'
import { checkFile } from '../media/image.js'
import type { QmpClient } from '../qmp/client.js'

/** Opens the tray of drive `id` and removes its medium; resolves when QEMU reports none. */
export async function ejectMedium(qmp: QmpClient, machine: string, id: string): Promise<void> {
  const mark = qmp.mark()
  await qmp.execute('eject', { id, force: true })
  await qmp
    .waitForEvent('DEVICE_TRAY_MOVED', { after: mark, timeoutMs: 10_000, match: e => e.data.id === id && e.data['tray-open'] })
    .catch(() => undefined) // some devices report nothing; the state check below decides
  if (await hasMedium(qmp, machine, id)) await qmp.execute('blockdev-remove-medium', { id })
  if (await hasMedium(qmp, machine, id)) throw new BootcheckError(`The medium in '${id}' of ${machine} is still there after eject.`)
}

/** Puts `image` (read-only, raw) into drive `id` and closes the tray. */
export async function insertMedium(qmp: QmpClient, image: string, id: string): Promise<void> {
  await checkFile(image, `medium for '${id}'`)
  await qmp.execute('blockdev-change-medium', { id, filename: image, format: 'raw', 'read-only-mode': 'read-only' })
}

/** Unplugs device `id` and waits until QEMU has removed it. */
export async function unplugDevice(qmp: QmpClient, id: string, timeout: number): Promise<void> {
  const mark = qmp.mark()
  await qmp.execute('device_del', { id })
  await qmp.waitForEvent('DEVICE_DELETED', { after: mark, timeoutMs: timeout, match: e => e.data.device === id })
}

/** Whether drive `id` holds a medium; a {@link BootcheckError} when there is no such drive. */
export async function hasMedium(qmp: QmpClient, machine: string, id: string): Promise<boolean> {
  const devices = (await qmp.execute('query-block')) as Array<{ qdev?: string; inserted?: unknown }>
  const dev = devices.find(d => d.qdev === id || d.qdev?.endsWith(`/${id}`))
  if (!dev) throw new BootcheckError(`${machine} has no removable drive '${id}'.`)
  return dev.inserted !== undefined
}

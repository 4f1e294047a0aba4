import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { QmpClient } from '../qmp/client.js'
import { decodePpm, type Image } from './image.js'

let shot = 0

/**
 * Takes a screenshot with QMP `screendump` as a binary PPM, which every QEMU writes and
 * which is raw pixels: no PNG encoding in QEMU and no decoding here, so polling the screen
 * is cheap (PNG is made only for images that are written, see `writePng`). The file is
 * written to `workDir` (QEMU writes it, so it must be a path QEMU can reach) and removed
 * after reading.
 */
export async function captureScreen(qmp: QmpClient, workDir: string): Promise<Image> {
  return decodePpm(await captureScreenPpm(qmp, workDir), 'the screendump')
}

/**
 * The screendump's PPM bytes, not decoded: comparing them with the last ones is the
 * cheapest way to tell that the screen did not change (the filmstrip decodes only frames
 * that did).
 */
export async function captureScreenPpm(qmp: QmpClient, workDir: string): Promise<Buffer> {
  const file = join(workDir, `screen-${process.pid}-${++shot}.ppm`)
  try {
    await qmp.execute('screendump', { filename: file })
    return await readFile(file)
  } finally {
    await rm(file, { force: true })
  }
}

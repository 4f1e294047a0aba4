import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { QmpClient } from '../qmp/client.js'
import { QmpError } from '../qmp/errors.js'
import { decodePng, decodePpm, type Image } from './image.js'

let shot = 0

/**
 * Takes a screenshot with QMP `screendump`. Asks for PNG (QEMU 7.1 and later) and falls
 * back to PPM, decoded with pngjs's help elsewhere, when this QEMU knows no `format`.
 * The file is written to `workDir` (QEMU writes it, so it must be a path QEMU can reach)
 * and removed after reading.
 */
export async function captureScreen(qmp: QmpClient, workDir: string): Promise<Image> {
  const file = join(workDir, `screen-${process.pid}-${++shot}`)
  try {
    try {
      await qmp.execute('screendump', { filename: file, format: 'png' })
      return decodePng(await readFile(file), 'the screendump')
    } catch (e) {
      if (!(e instanceof QmpError) || !/format/.test(e.desc)) throw e
      await qmp.execute('screendump', { filename: file })
      return decodePpm(await readFile(file), 'the screendump')
    }
  } finally {
    await rm(file, { force: true })
  }
}

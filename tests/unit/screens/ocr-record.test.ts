// The OCR record a step attaches: the screen's size and each word's text and box, with the
// screen read as a PNG; capped; nothing (and no error) without an artifacts folder.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { OCR_RECORD_WORDS, ocrRecordOf, writeOcrRecord } from '../../../src/screens/ocr-record.js'
import { decodePng } from '../../../src/screens/image.js'
import type { ScreenText } from '../../../src/screens/ocr-tsv.js'

const word = (text: string, x: number) => ({ text, box: { x, y: 5, width: 30, height: 12 }, confidence: 90 })
const text: ScreenText = { lines: [], words: [word('Install', 10), word('Rescue', 50)], text: 'Install Rescue' }
const image = { width: 64, height: 32, data: Buffer.alloc(64 * 32 * 4, 255) }

t.test('the record: size and words with boxes, at most OCR_RECORD_WORDS', async t => {
  t.same(ocrRecordOf(64, 32, text), { width: 64, height: 32, words: [{ t: 'Install', x: 10, y: 5, w: 30, h: 12 }, { t: 'Rescue', x: 50, y: 5, w: 30, h: 12 }] })
  const many: ScreenText = { lines: [], words: Array.from({ length: OCR_RECORD_WORDS + 5 }, (_, i) => word(`w${i}`, i)), text: '' }
  t.equal(ocrRecordOf(64, 32, many).words.length, OCR_RECORD_WORDS)
})

t.test('written as <stem>.json and <stem>.png; without a folder, nothing and no error', async t => {
  const dir = t.testdir({})
  const files = await writeOcrRecord(join(dir, 'ocr-1'), image, text)
  t.same(files, { json: join(dir, 'ocr-1.json'), png: join(dir, 'ocr-1.png') })
  t.same(JSON.parse(readFileSync(files.json!, 'utf8')), ocrRecordOf(64, 32, text))
  t.same([decodePng(readFileSync(files.png!)).width, decodePng(readFileSync(files.png!)).height], [64, 32])
  t.same(await writeOcrRecord(join(dir, 'missing', 'ocr-2'), image, text), {})
})

/**
 * Where the text is: the parts of a prepared screen (dark text on white, see
 * `ocr-background.ts`) that hold ink, as rectangles. OCR reads only those, so the empty
 * half of an installer page costs nothing. Pure.
 * @module
 */
import type { Rect } from './options.js'
import { UnionFind } from './union-find.js'

/** Cells of this many pixels square are the unit of the search. */
const CELL = 8
/**
 * Ink cells this many cells apart, across or down, belong to one block: words of a line
 * (spaces are one character, 6–9 px) and lines of a paragraph stay together; the columns
 * of a table (a hundred pixels apart) and the two ends of a dialog do not.
 */
const JOIN_X = 2
const JOIN_Y = 1
/** Pixels of white kept around each block's ink (Tesseract needs a margin to find a line). */
const MARGIN = 6

/**
 * The blocks of ink of the `w × h` grey image (pixels darker than `ink`), top to bottom
 * then left to right, each with a margin, none overlapping. An image without ink has none.
 */
export function findTextBlocks(gray: Uint8Array, w: number, h: number, ink: number): Rect[] {
  const gw = Math.ceil(w / CELL)
  const gh = Math.ceil(h / CELL)
  const cells = new Uint8Array(gw * gh)
  for (let y = 0; y < h; y++) {
    const row = (y / CELL) | 0
    for (let x = 0; x < w; x++) if (gray[y * w + x]! < ink) cells[row * gw + ((x / CELL) | 0)] = 1
  }
  // Cells joined: an ink cell reaches JOIN_X cells across and JOIN_Y down; components of
  // reaching cells (union-find over the grid) are blocks.
  const sets = new UnionFind(gw * gh)
  for (let cy = 0; cy < gh; cy++) {
    for (let cx = 0; cx < gw; cx++) {
      const i = cy * gw + cx
      if (!cells[i]) continue
      for (let dy = 0; dy <= JOIN_Y + 1 && cy + dy < gh; dy++) {
        for (let dx = -(JOIN_X + 1); dx <= JOIN_X + 1; dx++) {
          if ((dy === 0 && dx <= 0) || cx + dx < 0 || cx + dx >= gw) continue
          const j = (cy + dy) * gw + cx + dx
          if (cells[j]) sets.join(i, j)
        }
      }
    }
  }
  const boxes = new Map<number, { x0: number; y0: number; x1: number; y1: number }>()
  for (let i = 0; i < gw * gh; i++) {
    if (!cells[i]) continue
    const r = sets.find(i)
    const cx = i % gw
    const cy = (i / gw) | 0
    const b = boxes.get(r)
    if (!b) boxes.set(r, { x0: cx, y0: cy, x1: cx, y1: cy })
    else {
      b.x0 = Math.min(b.x0, cx)
      b.y0 = Math.min(b.y0, cy)
      b.x1 = Math.max(b.x1, cx)
      b.y1 = Math.max(b.y1, cy)
    }
  }
  let rects: Rect[] = [...boxes.values()].map(b => {
    const x = Math.max(0, b.x0 * CELL - MARGIN)
    const y = Math.max(0, b.y0 * CELL - MARGIN)
    return { x, y, width: Math.min(w, (b.x1 + 1) * CELL + MARGIN) - x, height: Math.min(h, (b.y1 + 1) * CELL + MARGIN) - y }
  })
  rects = mergeOverlapping(rects)
  return rects.sort((a, b) => a.y - b.y || a.x - b.x)
}

/** Rectangles that overlap replaced by the rectangle around both, until none overlap. */
export function mergeOverlapping(rects: Rect[]): Rect[] {
  const out = rects.map(r => ({ ...r }))
  for (let merged = true; merged; ) {
    merged = false
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i]!
        const b = out[j]!
        if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) {
          const x = Math.min(a.x, b.x)
          const y = Math.min(a.y, b.y)
          out[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y }
          out.splice(j, 1)
          merged = true
          break
        }
      }
    }
  }
  return out
}

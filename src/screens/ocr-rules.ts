/**
 * Rules on a prepared screen (dark text on white, see `ocr-background.ts`): frame lines,
 * the edges of bars, underlines and dotted focus rectangles, found and whitened, since
 * Tesseract reads a line that touches a word as part of its letters and a frame would join
 * everything inside it into one block of text. Pure.
 * @module
 */

/** Pixels darker than this on a prepared screen are ink: text, or what looks like it. */
export const INK = 160
/** A run of ink this long (pixels) at most this thick, across or down, is a rule, not text. */
const RULE_LENGTH = 48
const RULE_THICKNESS = 3

/**
 * Whitens rules in place: runs of ink at least {@link RULE_LENGTH} long and at most
 * {@link RULE_THICKNESS} thick, across (the edges of a bar, underlines, box-drawing lines)
 * and down (the sides of a frame or a list, a scroll bar's edge). Tesseract reads a line
 * under or beside a word as part of its letters, and a frame would join everything it
 * surrounds into one block of text. Letters' strokes are shorter, even a headline's.
 */
export function eraseRules(gray: Uint8Array, w: number, h: number): void {
  const marks = [findRules(gray, w, h, 1, w), findRules(gray, h, w, w, 1), findDottedRules(gray, w, h, 1, w), findDottedRules(gray, h, w, w, 1)]
  for (const m of marks) for (let i = 0; i < gray.length; i++) if (m[i]) gray[i] = 255
}

/** A dotted rule's gaps are at most this long, its dots at least this share of its length. */
const DOT_GAP = 3
const DOT_SHARE = 0.3
/** The lines this far on both sides of a dotted rule hold at most this share of ink. */
const DOT_CLEAR = [2, 3]
const DOT_CLEAR_SHARE = 0.05

/**
 * The pixels of dotted rules along one direction (a focus rectangle around a selected
 * row): runs of ink with gaps of at most {@link DOT_GAP}, at least {@link RULE_LENGTH}
 * long, with almost no ink {@link DOT_CLEAR} lines to either side (where text would have
 * the rest of its letters). Arguments as {@link findRules}.
 */
function findDottedRules(gray: Uint8Array, length: number, lines: number, step: number, stride: number): Uint8Array {
  const rule = new Uint8Array(gray.length)
  const inkAt = (l: number, k: number): boolean => l >= 0 && l < lines && gray[l * stride + k * step]! < INK
  for (let l = 0; l < lines; l++) {
    let k = 0
    while (k < length) {
      if (!inkAt(l, k)) {
        k++
        continue
      }
      let end = k
      let dots = 0
      let last = k
      while (end < length && end - last <= DOT_GAP) {
        if (inkAt(l, end)) {
          dots++
          last = end
        }
        end++
      }
      end = last + 1
      if (end - k >= RULE_LENGTH && dots >= DOT_SHARE * (end - k)) {
        let around = 0
        for (const d of DOT_CLEAR) for (let j = k; j < end; j++) around += (inkAt(l - d, j) ? 1 : 0) + (inkAt(l + d, j) ? 1 : 0)
        if (around <= DOT_CLEAR_SHARE * 2 * DOT_CLEAR.length * (end - k)) for (let j = k; j < end; j++) if (inkAt(l, j)) rule[l * stride + j * step] = 1
      }
      k = end
    }
  }
  return rule
}

/**
 * The pixels of rules along one direction: `lines` lines of `length` pixels, a step of
 * `step` along a line and `stride` from one line to the next.
 */
function findRules(gray: Uint8Array, length: number, lines: number, step: number, stride: number): Uint8Array {
  const long = new Uint8Array(gray.length)
  for (let l = 0; l < lines; l++) {
    let k = 0
    while (k < length) {
      if (gray[l * stride + k * step]! >= INK) {
        k++
        continue
      }
      let end = k
      while (end < length && gray[l * stride + end * step]! < INK) end++
      if (end - k >= RULE_LENGTH) for (let j = k; j < end; j++) long[l * stride + j * step] = 1
      k = end
    }
  }
  // Across each long run: thin where the ink around it, perpendicular, is thin.
  const rule = new Uint8Array(gray.length)
  for (let k = 0; k < length; k++) {
    let l = 0
    while (l < lines) {
      if (!long[l * stride + k * step]) {
        l++
        continue
      }
      let first = l
      while (first > 0 && gray[(first - 1) * stride + k * step]! < INK) first--
      let last = l
      while (last + 1 < lines && gray[(last + 1) * stride + k * step]! < INK) last++
      if (last - first + 1 <= RULE_THICKNESS) for (let j = first; j <= last; j++) rule[j * stride + k * step] = 1
      l = last + 1
    }
  }
  return rule
}

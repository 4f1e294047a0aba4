/**
 * The last few thousand characters of a stream, for error messages and the current line.
 * Appending is O(length of the piece): pieces are kept as they came (small ones merged)
 * and joined only when the text is read, instead of copying the whole tail on every append.
 */
export class RecentText {
  private pieces: string[] = []
  private head = 0 // index of the first live piece
  private length = 0

  /** Keeps at least the last `size` characters. */
  constructor(private readonly size: number) {}

  /** Characters held (at least `size` once that many arrived, at most `size` plus one piece). */
  get held(): number {
    return this.length
  }

  /** Adds text at the end. */
  append(text: string): void {
    if (text.length === 0) return
    const last = this.pieces.length - 1
    if (last >= this.head && this.pieces[last]!.length < MERGE_BELOW) this.pieces[last] += text
    else this.pieces.push(text)
    this.length += text.length
    while (this.pieces.length - this.head > 1 && this.length - this.pieces[this.head]!.length >= this.size) {
      this.length -= this.pieces[this.head]!.length
      this.head++
    }
    if (this.head > 64) {
      this.pieces = this.pieces.slice(this.head)
      this.head = 0
    }
  }

  /** The last `size` characters (fewer at first). */
  text(): string {
    const all = this.pieces.slice(this.head).join('')
    return all.length > this.size ? all.slice(-this.size) : all
  }

  /** What follows the last newline (empty right after one), within the kept text. */
  currentLine(): string {
    let line = ''
    for (let i = this.pieces.length - 1; i >= this.head; i--) {
      const p = this.pieces[i]!
      const nl = p.lastIndexOf('\n')
      if (nl !== -1) return p.slice(nl + 1) + line
      line = p + line
    }
    return line.length > this.size ? line.slice(-this.size) : line
  }
}

// Pieces shorter than this are extended rather than kept separately (at most 64 + size/MERGE_BELOW pieces).
const MERGE_BELOW = 1024

/**
 * Disjoint sets over the indices 0…n-1 (pixels, grid cells): union by the smaller index,
 * path halving. The grouping behind both the background regions of `ocr-background.ts`
 * and the blocks of text of `ocr-blocks.ts`. Pure.
 * @module
 */

/** Disjoint sets over `0 … n - 1`, each at first alone. */
export class UnionFind {
  private readonly parent: Int32Array

  constructor(n: number) {
    this.parent = new Int32Array(n)
    for (let i = 0; i < n; i++) this.parent[i] = i
  }

  /** The representative of `i`'s set (its smallest index). */
  find(i: number): number {
    const p = this.parent
    while (p[i] !== i) {
      p[i] = p[p[i]!]!
      i = p[i]!
    }
    return i
  }

  /** Puts `a` and `b` in one set. */
  join(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
}

/**
 * Initial-region heuristics of the virtual address ops set (`mm/damon/vaddr.c`): the
 * "three regions" that skip the two biggest unmapped gaps of a process, and the even split of
 * a region into pieces. Pure: no clock, no randomness.
 */
import { alignDown, alignUp } from "../internal/uint.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import * as Region from "../model/Region.ts"
import type { Target } from "../model/Target.ts"

/**
 * Computes the three regions covering a process's mappings except its two biggest gaps, or
 * `undefined` when the mappings have fewer than two gaps.
 *
 * **Details**
 * Mirrors `__damon_va_three_regions()`: in a typical process the two biggest unmapped areas are
 * heap-to-mmap and mmap-to-stack; excluding them keeps the monitored space small. `vmas` must be
 * sorted by address and non-overlapping; bounds are aligned up to `minRegionSz`.
 */
export const threeRegions = (
  vmas: ReadonlyArray<AddrRange>,
  minRegionSz: number
): readonly [AddrRange, AddrRange, AddrRange] | undefined => {
  if (vmas.length === 0) return undefined
  let first = { start: 0, end: 0 }
  let second = { start: 0, end: 0 }
  const start = vmas[0]!.start
  let prevEnd = vmas[0]!.end
  for (let i = 1; i < vmas.length; i++) {
    const vma = vmas[i]!
    const gap = vma.start - prevEnd
    if (gap > first.end - first.start) {
      second = first
      first = { start: prevEnd, end: vma.start }
    } else if (gap > second.end - second.start) {
      second = { start: prevEnd, end: vma.start }
    }
    prevEnd = vma.end
  }
  if (first.end - first.start === 0 || second.end - second.start === 0) return undefined
  const [lo, hi] = first.start > second.start ? [second, first] : [first, second]
  const a = (x: number) => alignUp(x, minRegionSz)
  return [
    { start: a(start), end: a(lo.start) },
    { start: a(lo.end), end: a(hi.start) },
    { start: a(hi.end), end: a(prevEnd) }
  ]
}

/**
 * Splits `t.regions[index]` into exactly `nrPieces` pieces of equal size (aligned down to
 * `minRegionSz`), the last piece absorbing the remainder. Returns `false` (region untouched)
 * when `nrPieces` is 0 or the piece size would be 0.
 *
 * **Details**
 * Mirrors `damon_va_evenly_split_region()` of vaddr.c before R2 (R2 moved initial splitting to
 * the core's `applyMinNrRegions`); kept for users who want the older even initial layout.
 */
export const evenlySplitRegion = (t: Target, index: number, nrPieces: number, minRegionSz: number): boolean => {
  const r = t.regions[index]
  if (r === undefined || nrPieces === 0) return false
  if (nrPieces === 1) return true
  const origEnd = r.end
  const szPiece = alignDown(Math.floor(Region.size(r) / nrPieces), minRegionSz)
  if (szPiece === 0) return false
  r.end = r.start + szPiece
  const pieces: Array<Region.Region> = []
  let start = r.end
  for (let i = 1; i < nrPieces; i++) {
    pieces.push(Region.make(start, start + szPiece))
    start += szPiece
  }
  const last = pieces.length > 0 ? pieces[pieces.length - 1]! : r
  last.end = origEnd
  t.regions.splice(index + 1, 0, ...pieces)
  return true
}

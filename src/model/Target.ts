/**
 * The monitoring target, `struct damon_target`: an ordered list of regions plus, for the
 * virtual address ops sets, the process it belongs to. Pure: no clock, no randomness.
 */
import { alignDown, alignUp } from "../internal/uint.ts"
import * as AddrRange from "./AddrRange.ts"
import * as Region from "./Region.ts"

/**
 * One monitoring target.
 *
 * **Gotchas**
 * `regions` is kept sorted by address and non-overlapping (holes allowed); the functions here
 * mutate it in place, as the kernel's list operations do.
 */
export interface Target {
  /** Process id for `vaddr`/`fvaddr`; `null` for `paddr` and ops sets without processes. */
  pid: number | null
  /** Regions sorted by address. */
  regions: Array<Region.Region>
  /** Commit-only marker: remove the matching destination target (R2 `obsolete`). */
  obsolete: boolean
}

/** Creates a target. Mirrors `damon_new_target()`. */
export const make = (pid: number | null = null, regions: Array<Region.Region> = []): Target => ({
  pid,
  regions,
  obsolete: false
})

/** Number of regions. Mirrors `damon_nr_regions()`. */
export const nrRegions = (self: Target): number => self.regions.length

/** Total bytes covered by the target's regions. */
export const totalSize = (self: Target): number => {
  let sum = 0
  for (const r of self.regions) sum += r.end - r.start
  return sum
}

/**
 * Splits the region at `index` at `szLeft` bytes and inserts the right piece after it.
 *
 * **Details**
 * Mirrors `damon_split_region_at()` in `mm/damon/core.c` (list context).
 */
export const splitRegionAt = (self: Target, index: number, szLeft: number): Region.Region => {
  const right = Region.splitAt(self.regions[index]!, szLeft)
  self.regions.splice(index + 1, 0, right)
  return right
}

/**
 * Inserts fresh regions into the gaps between `regions[firstIndex]` and `regions[lastIndex]`.
 * Returns the new index of the last region.
 *
 * **Details**
 * Mirrors `damon_fill_regions_holes()` in `mm/damon/core.c`.
 */
export const fillHoles = (self: Target, firstIndex: number, lastIndex: number): number => {
  let last = lastIndex
  for (let i = firstIndex; i < last; i++) {
    const r = self.regions[i]!
    const next = self.regions[i + 1]!
    if (r.end !== next.start) {
      self.regions.splice(i + 1, 0, Region.make(r.end, next.start))
      last++
      i++
    }
  }
  return last
}

/**
 * Makes the target's regions cover exactly `ranges` (sorted, non-overlapping), keeping the
 * monitoring results of regions that intersect them.
 *
 * **Details**
 * Mirrors `damon_set_regions()` in `mm/damon/core.c`: regions intersecting no range are
 * removed; for each range, the first and last intersecting regions are stretched to the range
 * (aligned out to `minRegionSz`) and the holes between them filled with fresh regions; a range
 * that intersects nothing gets one fresh region.
 */
export const setRegions = (self: Target, ranges: ReadonlyArray<AddrRange.AddrRange>, minRegionSz: number): void => {
  self.regions = self.regions.filter((r) => ranges.some((range) => AddrRange.intersects(r, range)))
  let cursor = 0
  for (const range of ranges) {
    let first = -1
    let last = -1
    for (; cursor < self.regions.length; cursor++) {
      const r = self.regions[cursor]!
      if (AddrRange.intersects(r, range)) {
        if (first < 0) first = cursor
        last = cursor
      }
      if (r.start >= range.end) break
    }
    if (first < 0) {
      self.regions.splice(cursor, 0, Region.make(alignDown(range.start, minRegionSz), alignUp(range.end, minRegionSz)))
      cursor++
    } else {
      self.regions[first]!.start = alignDown(range.start, minRegionSz)
      self.regions[last]!.end = alignUp(range.end, minRegionSz)
      const newLast = fillHoles(self, first, last)
      cursor += newLast - last
    }
  }
}

/** The target's regions as plain ranges. */
export const ranges = (self: Target): Array<AddrRange.AddrRange> =>
  self.regions.map((r) => ({ start: r.start, end: r.end }))

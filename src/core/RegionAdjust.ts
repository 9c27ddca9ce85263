/**
 * Adaptive region adjustment: the merge, split and size-limit algorithms that keep the number
 * of regions between `minNrRegions` and `maxNrRegions` (R2 semantics of `mm/damon/core.c`).
 *
 * Pure: randomness comes in as an explicit {@link Rng}; regions are mutated in place, as the
 * kernel does, because these run on every aggregation over every region.
 */
import { absDiff, alignDown, alignUp, u32 } from "../internal/uint.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { MAX_NR_REGIONS } from "../model/Limits.ts"
import * as Region from "../model/Region.ts"
import type { Target } from "../model/Target.ts"
import type { Rng } from "./Rng.ts"

/**
 * Updates ages and merges adjacent regions of one target whose `nrAccesses` differ by at most
 * `thres`, as long as the merged size stays within `szLimit`.
 *
 * **Details**
 * Mirrors `damon_merge_regions_of()` (R2): a region's age is reset when its access count moved
 * by more than `thres` or when exactly one of the current and last counts is zero; otherwise it
 * grows by one. Merging is size-weighted (`Region.mergeTwo`).
 */
export const mergeRegionsOf = (t: Target, thres: number, szLimit: number): void => {
  // Compacts in place: the kept regions move to the front (no new array at every aggregation).
  const regions = t.regions
  let kept = 0
  let prev: Region.Region | undefined
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i]!
    if (absDiff(r.nrAccesses, r.lastNrAccesses) > thres) r.age = 0
    else if ((r.nrAccesses === 0) !== (r.lastNrAccesses === 0)) r.age = 0
    else r.age = (r.age + 1) >>> 0
    if (
      prev !== undefined &&
      prev.end === r.start &&
      absDiff(prev.nrAccesses, r.nrAccesses) <= thres &&
      Region.size(prev) + Region.size(r) <= szLimit
    ) {
      Region.mergeTwo(prev, r)
    } else {
      prev = r
      regions[kept++] = r
    }
  }
  regions.length = kept
}

/**
 * Merges similar neighbours in every target, doubling the threshold while the total stays
 * above `maxNrRegions`.
 *
 * **Details**
 * Mirrors `kdamond_merge_regions()`: repeats while `nr_regions > max_nr_regions` and
 * `threshold / 2 < aggr_interval / sample_interval`; each pass also updates ages again (a
 * kernel quirk reproduced on purpose). Returns the number of regions afterwards.
 */
export const mergeRegions = (ctx: DamonCtx, threshold: number, szLimit: number): number => {
  const maxThres = Math.floor(ctx.attrs.aggrIntervalUs / Math.max(ctx.attrs.sampleIntervalUs, 1))
  let thres = threshold
  let nrRegions: number
  do {
    nrRegions = 0
    for (const t of ctx.targets) {
      mergeRegionsOf(t, thres, szLimit)
      nrRegions += t.regions.length
    }
    thres = Math.max(1, (thres * 2) >>> 0)
  } while (nrRegions > ctx.attrs.maxNrRegions && Math.floor(thres / 2) < maxThres)
  return nrRegions
}

/** Scratch of {@link splitRegionsOf}: the new pieces in split order, and how many each region got. */
const newPieces: Array<Region.Region> = []
let piecesPerRegion = new Uint32Array(0)

/**
 * Splits every region of `t` (that existed before the call) into at most `nrSubs` pieces at
 * random 10%-90% cuts aligned to `minRegionSz`.
 *
 * **Details**
 * Mirrors `damon_split_regions_of()`: only regions larger than `2 * minRegionSz` are split;
 * a draw that would give an empty piece consumes an attempt; for three pieces the left piece is
 * split again. The list grows in place (no new array at every aggregation): the cuts are drawn
 * front to back, as the kernel does, then the list is filled from its new end backwards.
 */
export const splitRegionsOf = (t: Target, nrSubs: number, minRegionSz: number, rng: Rng): void => {
  const regions = t.regions
  const n = regions.length
  newPieces.length = 0
  if (piecesPerRegion.length < n) piecesPerRegion = new Uint32Array(Math.max(n, 2 * piecesPerRegion.length))
  for (let k = 0; k < n; k++) {
    const r = regions[k]!
    let szRegion = Region.size(r)
    let made = 0
    for (let i = 0; i < nrSubs - 1 && szRegion > 2 * minRegionSz; i++) {
      const szSub = alignDown(Math.floor((rng.rand(1, 10) * szRegion) / 10), minRegionSz)
      if (szSub === 0 || szSub >= szRegion) continue
      newPieces.push(Region.splitAt(r, szSub))
      made++
      szRegion = szSub
    }
    piecesPerRegion[k] = made
  }
  if (newPieces.length === 0) return
  // Each new right piece lies right after its region, before the pieces split off earlier: a
  // region's pieces in reverse order of their splits, so written backwards in split order.
  // grown by pushes, not `length`: a list with holes would slow every later read of it
  for (let j = 0; j < newPieces.length; j++) regions.push(newPieces[j]!)
  let w = regions.length
  let p = newPieces.length
  for (let k = n - 1; k >= 0; k--) {
    const r = regions[k]!
    const made = piecesPerRegion[k]!
    p -= made
    for (let j = 0; j < made; j++) regions[--w] = newPieces[p + j]!
    regions[--w] = r
  }
  newPieces.length = 0
}

/**
 * Per-kdamond memory of the split step.
 *
 * **Details**
 * The kernel keeps `last_nr_regions` as a function-level static shared by every context; here
 * each kdamond has its own (a documented difference: contexts no longer influence each other).
 */
export interface SplitState {
  lastNrRegions: number
}

/**
 * Splits regions to explore finer access patterns, when there is room.
 *
 * **Details**
 * Mirrors `kdamond_split_regions()`: nothing happens above `maxNrRegions / 2`; regions are cut in
 * two, or in three when the count did not change since the last split and is below a third of
 * the maximum. The maximum is at most `MAX_NR_REGIONS` (a documented difference: the kernel
 * splits up to any `max_nr_regions`, memory permitting).
 */
export const splitRegions = (ctx: DamonCtx, state: SplitState, rng: Rng): void => {
  let nrRegions = 0
  for (const t of ctx.targets) nrRegions += t.regions.length
  const maxNrRegions = Math.min(ctx.attrs.maxNrRegions, MAX_NR_REGIONS)
  if (nrRegions > Math.floor(maxNrRegions / 2)) return
  let nrSubs = 2
  if (state.lastNrRegions === nrRegions && nrRegions < Math.floor(maxNrRegions / 3)) nrSubs = 3
  for (const t of ctx.targets) splitRegionsOf(t, nrSubs, ctx.minRegionSz, rng)
  state.lastNrRegions = nrRegions
}

/**
 * The size limit of one region: total monitored bytes over `minNrRegions`, at least
 * `minRegionSz`. Mirrors `damon_region_sz_limit()`.
 */
export const regionSzLimit = (ctx: DamonCtx): number => {
  let sz = 0
  for (const t of ctx.targets) for (const r of t.regions) sz += r.end - r.start
  if (ctx.attrs.minNrRegions !== 0) sz = Math.floor(sz / ctx.attrs.minNrRegions)
  return Math.max(sz, ctx.minRegionSz)
}

/**
 * Splits regions larger than the size limit so the context has at least `minNrRegions`
 * regions (as far as `minRegionSz` allows), and returns the limit for the next merge.
 *
 * **Details**
 * Mirrors `damon_apply_min_nr_regions()` (R2): the limit is aligned up to `minRegionSz`; each
 * oversized region is cut into pieces of exactly the limit from its left end.
 */
export const applyMinNrRegions = (ctx: DamonCtx): number => {
  const maxSz = alignUp(regionSzLimit(ctx), ctx.minRegionSz)
  for (const t of ctx.targets) {
    let oversized = false
    for (const r of t.regions) {
      if (r.end - r.start > maxSz) {
        oversized = true
        break
      }
    }
    if (!oversized) continue
    const out: Array<Region.Region> = []
    for (const r of t.regions) {
      let cur = r
      out.push(cur)
      while (cur.end - cur.start > maxSz) {
        cur = Region.splitAt(cur, maxSz)
        out.push(cur)
      }
    }
    t.regions = out
  }
  return maxSz
}

/**
 * Ends an aggregation window: `lastNrAccesses` takes `nrAccesses`, which restarts at zero.
 * Returns how many regions had an inconsistent `nrAccessesBp` that was repaired.
 *
 * **Details**
 * Mirrors `kdamond_reset_aggregated()` including `damon_warn_fix_nr_accesses_corruption()`.
 */
export const resetAggregated = (ctx: DamonCtx): number => {
  let fixed = 0
  for (const t of ctx.targets) {
    for (const r of t.regions) {
      const expected = u32(r.nrAccesses * 10000)
      if (r.nrAccessesBp !== expected) {
        r.nrAccessesBp = expected
        fixed++
      }
      r.lastNrAccesses = r.nrAccesses
      r.nrAccesses = 0
    }
  }
  return fixed
}

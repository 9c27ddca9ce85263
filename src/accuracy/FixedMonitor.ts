/**
 * The baseline: fixed-granularity monitoring. The monitored ranges are cut into a fixed number
 * of equal regions that never split or merge; every sample checks one random page of each region
 * (made old at the previous sample, tested now: the same accessed-bit check DAMON's vaddr makes),
 * and a region's `nrAccesses` counts the samples of the window that found its page accessed.
 *
 * With as many regions as DAMON checks per sample on average, it costs what DAMON costs, so
 * comparing the two measures what adaptive regions buy. Pure (the sampler and the generator are
 * passed in).
 */
import type { Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { AccessSampler } from "../ops/AddressSpace.ts"
import type { EstimateRegion } from "./Accuracy.ts"

const PAGE = 4096

/** One fixed region and its counters. */
export interface FixedRegion {
  readonly start: number
  readonly end: number
  nrAccesses: number
  samplingAddr: number
}

/**
 * Cuts `ranges` into `nrRegions` page-aligned regions of about equal size: each range gets a
 * share proportional to its size (largest remainders first, at least one region each, at most
 * one per page), cut evenly, the last piece of each range absorbing the remainder. Ranges smaller
 * than a page are dropped; with fewer regions asked than ranges, each range is one region.
 */
export const partition = (ranges: ReadonlyArray<AddrRange>, nrRegions: number): Array<FixedRegion> => {
  const usable = ranges.filter((r) => r.end - r.start >= PAGE)
  let total = 0
  for (const r of usable) total += r.end - r.start
  const out: Array<FixedRegion> = []
  if (total === 0) return out
  const n = Math.max(nrRegions, usable.length)
  const pagesOf = usable.map((r) => Math.floor((r.end - r.start) / PAGE))
  const exact = usable.map((r) => (n * (r.end - r.start)) / total)
  const shares = exact.map((x, i) => Math.min(pagesOf[i]!, Math.max(1, Math.floor(x))))
  let left = n - shares.reduce((a, b) => a + b, 0)
  const byRemainder = exact.map((_, i) => i).sort((a, b) => (exact[b]! - Math.floor(exact[b]!)) - (exact[a]! - Math.floor(exact[a]!)) || a - b)
  for (let pass = 0; left > 0 && pass < 2; pass++) {
    for (const i of byRemainder) {
      if (left === 0) break
      if (shares[i]! < pagesOf[i]! && (pass === 1 || exact[i]! - shares[i]! > 0)) {
        shares[i]!++
        left--
      }
    }
  }
  while (left < 0) {
    // every range already has one region: take the surplus from the largest shares
    let big = 0
    for (let i = 1; i < shares.length; i++) if (shares[i]! > shares[big]!) big = i
    shares[big]!--
    left++
  }
  usable.forEach((r, k) => {
    const pieces = shares[k]!
    const piece = Math.floor((r.end - r.start) / pieces / PAGE) * PAGE
    let start = r.start
    for (let i = 0; i < pieces; i++) {
      const end = i === pieces - 1 ? r.end : start + piece
      out.push({ start, end, nrAccesses: 0, samplingAddr: -1 })
      start = end
    }
  })
  return out
}

/** Picks and clears one random page per region (DAMON's prepare step). */
export const prepare = (regions: ReadonlyArray<FixedRegion>, sampler: AccessSampler, pid: number | null, rng: Rng, nowUs: number): void => {
  for (const r of regions) {
    r.samplingAddr = rng.rand(r.start, r.end)
    sampler.mkold(pid, r.samplingAddr, nowUs)
  }
}

/** Tests each region's page (DAMON's check step); returns the checks made. */
export const check = (regions: ReadonlyArray<FixedRegion>, sampler: AccessSampler, pid: number | null, nowUs: number): number => {
  for (const r of regions) {
    if (r.samplingAddr >= 0 && sampler.young(pid, r.samplingAddr, nowUs) === 1) r.nrAccesses++
  }
  return regions.length
}

/** The window's counts as estimate regions; resets the counters for the next window. */
export const aggregate = (regions: ReadonlyArray<FixedRegion>): Array<EstimateRegion> => {
  const out = regions.map((r) => ({ start: r.start, end: r.end, nrAccesses: r.nrAccesses }))
  for (const r of regions) r.nrAccesses = 0
  return out
}

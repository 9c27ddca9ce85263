/**
 * Accuracy of one monitoring window against the truth: the working set size estimate against
 * the true working set, and the hot/cold classification of every byte against the true one at a
 * stated threshold, as precision and recall. Pure.
 *
 * Definitions (one window; the truth and the estimate cover the same span of world time):
 * - A byte's true *frequency* is the fraction of ticks (a fixed grid, normally the sampling
 *   interval) of the window in which its page was accessed; its estimated frequency is its
 *   region's `nrAccesses / maxNrAccesses`, the quantity DAMON estimates by sampling.
 * - The true working set is the bytes accessed at least once in the window (for modelled
 *   workloads, the expected bytes); the estimate is the bytes of regions with `nrAccesses >=
 *   minNrAccesses` (damo's WSS, default 1).
 * - A byte is *hot* when its frequency is at least `hotThreshold`, *cold* otherwise. Hot
 *   precision is the share of bytes estimated hot that are truly hot, hot recall the share of
 *   truly hot bytes estimated hot; cold precision and recall likewise, over the monitored bytes.
 *   A ratio whose denominator is empty is `null` (undefined, not 0 or 1).
 */
import type { PageCounts } from "../spaces/PageTruth.ts"

/** Bytes `[start, end)` whose pages share a true frequency and a chance of being touched. */
export interface TruthSegment {
  readonly start: number
  readonly end: number
  /** Fraction of the window's ticks in which each page was accessed (expected, for a model). */
  readonly freq: number
  /** Probability that each page was accessed at least once in the window (1 for a recording). */
  readonly touched: number
}

/** The truth of one window: segments sorted by address; bytes not covered were not accessed. */
export interface TruthWindow {
  readonly startUs: number
  readonly endUs: number
  readonly segments: ReadonlyArray<TruthSegment>
}

/** A monitored region as the estimate sees it. */
export interface EstimateRegion {
  readonly start: number
  readonly end: number
  readonly nrAccesses: number
}

/** The estimate of one window: regions sorted by address, and the `nrAccesses` of "every sample". */
export interface EstimateWindow {
  readonly regions: ReadonlyArray<EstimateRegion>
  readonly maxNrAccesses: number
}

/** How to judge. */
export interface AccuracyOptions {
  /** Frequency (in (0, 1]) from which a byte is hot. */
  readonly hotThreshold: number
  /** `nrAccesses` from which a region is in the estimated working set. Defaults to 1. */
  readonly minNrAccesses?: number
}

/** One window's accuracy. */
export interface WindowAccuracy {
  readonly startUs: number
  readonly endUs: number
  readonly monitoredBytes: number
  readonly wssTrueBytes: number
  readonly wssEstBytes: number
  /** `|estimate - truth| / truth` in percent; `null` when the true working set is empty. */
  readonly wssErrorPct: number | null
  readonly hotTrueBytes: number
  readonly hotEstBytes: number
  /** Bytes both truly hot and estimated hot. */
  readonly hotBothBytes: number
  readonly hotPrecision: number | null
  readonly hotRecall: number | null
  readonly coldPrecision: number | null
  readonly coldRecall: number | null
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null)

/** Length of the intersection of two sorted lists of disjoint ranges. */
const overlapBytes = (a: ReadonlyArray<{ readonly start: number; readonly end: number }>, b: ReadonlyArray<{ readonly start: number; readonly end: number }>): number => {
  let i = 0
  let j = 0
  let sum = 0
  while (i < a.length && j < b.length) {
    const x = a[i]!
    const y = b[j]!
    const lo = x.start > y.start ? x.start : y.start
    const hi = x.end < y.end ? x.end : y.end
    if (hi > lo) sum += hi - lo
    if (x.end <= y.end) i++
    else j++
  }
  return sum
}

/** Scratch of {@link windowAccuracy}: the hot ranges of a window, emptied before it returns. */
const hotEstRanges: Array<EstimateRegion> = []
const hotTrueRanges: Array<TruthSegment> = []

/** The accuracy of `estimate` against `truth`. */
export const windowAccuracy = (truth: TruthWindow, estimate: EstimateWindow, options: AccuracyOptions): WindowAccuracy => {
  const theta = options.hotThreshold
  const minNr = options.minNrAccesses ?? 1
  const max = Math.max(estimate.maxNrAccesses, 1)
  let monitored = 0
  let wssEst = 0
  let hotEst = 0
  // emptied first as well: a call that threw half-way must not leave ranges to the next one
  hotEstRanges.length = 0
  hotTrueRanges.length = 0
  for (const r of estimate.regions) {
    const size = r.end - r.start
    monitored += size
    if (r.nrAccesses >= minNr) wssEst += size
    if (r.nrAccesses / max >= theta) {
      hotEst += size
      hotEstRanges.push(r)
    }
  }
  let wssTrue = 0
  let hotTrue = 0
  for (const s of truth.segments) {
    const size = s.end - s.start
    wssTrue += size * s.touched
    if (s.freq >= theta) {
      hotTrue += size
      hotTrueRanges.push(s)
    }
  }
  const hotBoth = overlapBytes(hotTrueRanges, hotEstRanges)
  const hotTrueMonitored = overlapBytes(hotTrueRanges, estimate.regions)
  hotEstRanges.length = 0
  hotTrueRanges.length = 0
  const coldEst = monitored - hotEst
  const coldTrue = monitored - hotTrueMonitored
  const coldBoth = monitored - hotEst - hotTrueMonitored + hotBoth
  return {
    startUs: truth.startUs,
    endUs: truth.endUs,
    monitoredBytes: monitored,
    wssTrueBytes: wssTrue,
    wssEstBytes: wssEst,
    wssErrorPct: wssTrue > 0 ? (Math.abs(wssEst - wssTrue) / wssTrue) * 100 : null,
    hotTrueBytes: hotTrue,
    hotEstBytes: hotEst,
    hotBothBytes: hotBoth,
    hotPrecision: ratio(hotBoth, hotEst),
    hotRecall: ratio(hotBoth, hotTrue),
    coldPrecision: ratio(coldBoth, coldEst),
    coldRecall: ratio(coldBoth, coldTrue)
  }
}

/** Recorded per-page counts as truth segments (4 KiB pages, equal neighbours merged). */
export const truthFromPageCounts = (counts: PageCounts): TruthWindow => {
  const segments: Array<TruthSegment> = []
  const nrTicks = Math.max(counts.nrTicks, 1)
  let cur: { start: number; end: number; freq: number } | undefined
  for (let i = 0; i < counts.pages.length; i++) {
    const start = counts.pages[i]! * 4096
    const freq = Math.min(counts.ticks[i]! / nrTicks, 1)
    if (cur !== undefined && cur.end === start && cur.freq === freq) {
      cur.end = start + 4096
      continue
    }
    if (cur !== undefined) segments.push({ ...cur, touched: 1 })
    cur = { start, end: start + 4096, freq }
  }
  if (cur !== undefined) segments.push({ ...cur, touched: 1 })
  return { startUs: counts.startUs, endUs: counts.endUs, segments }
}

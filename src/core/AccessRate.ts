/**
 * Access-rate arithmetic: conversions between `nr_accesses` and basis points, the per-sample
 * moving sum behind `nr_accesses_bp`, and the rescaling of monitoring results when the
 * intervals change. Mirrors helpers of `mm/damon/core.c`. Pure: no clock, no randomness.
 */
import { u32 } from "../internal/uint.ts"
import * as Attrs from "../model/Attrs.ts"
import type { Region } from "../model/Region.ts"

/**
 * Converts an `nr_accesses` value to basis points of the maximum possible under `attrs`.
 *
 * **Details**
 * Mirrors `damon_nr_accesses_to_accesses_bp()`: `nr * 10000 / max_nr_accesses(attrs)`.
 */
export const nrAccessesToAccessesBp = (nrAccesses: number, attrs: Attrs.Attrs): number =>
  Math.floor((nrAccesses * 10000) / Math.max(Attrs.maxNrAccesses(attrs), 1))

/**
 * Converts basis points of the maximum back to an `nr_accesses` value under `attrs`.
 *
 * **Details**
 * Mirrors `damon_accesses_bp_to_nr_accesses()`: `bp * max_nr_accesses(attrs) / 10000`.
 */
export const accessesBpToNrAccesses = (accessesBp: number, attrs: Attrs.Attrs): number =>
  Math.floor((accessesBp * Attrs.maxNrAccesses(attrs)) / 10000)

/**
 * One step of the pseudo moving sum: drop an average sample of the last window, add the new one.
 *
 * **Details**
 * Mirrors `damon_moving_sum(mvsum, nomvsum, len_window, new_value)`:
 * `mvsum - nomvsum / len_window + new_value` in u32 arithmetic (it wraps like the kernel's).
 */
export const movingSum = (mvsum: number, nomvsum: number, lenWindow: number, newValue: number): number =>
  u32(mvsum - Math.floor(nomvsum / lenWindow) + newValue)

/**
 * The moving-sum window of `updateRegionAccessRate`, in samples: `max_nr_accesses(attrs)`, or 1
 * when the sampling interval is 0. Hoist it out of per-region loops.
 */
export const lenWindowOf = (attrs: Attrs.Attrs): number =>
  attrs.sampleIntervalUs !== 0 ? Math.max(Attrs.maxNrAccesses(attrs), 1) : 1

/**
 * Records one sample's result for a region, given the window from {@link lenWindowOf}: the hot
 * path of every ops set's `checkAccesses`.
 *
 * **Gotchas**
 * Mutates `region`; allocates nothing.
 */
export const recordAccess = (region: Region, accessed: boolean, lenWindow: number): void => {
  region.nrAccessesBp = movingSum(region.nrAccessesBp, u32(region.lastNrAccesses * 10000), lenWindow, accessed ? 10000 : 0)
  if (accessed) region.nrAccesses = u32(region.nrAccesses + 1)
}

/** Largest `lastNrAccesses` {@link nomvsumQuotients} tabulates (bounds its memory). */
const QUOTIENTS_MAX = 65_536

/**
 * The moving sum's `nomvsum / len_window` for every `lastNrAccesses` of `[0, lenWindow]`
 * (at most {@link QUOTIENTS_MAX}): `floor(u32(n * 10000) / lenWindow)` at index `n`. Computed
 * once per window so the per-region step of {@link recordAccessIn} loads it instead of dividing.
 */
export const nomvsumQuotients = (lenWindow: number): Float64Array => {
  const len = Math.min(lenWindow, QUOTIENTS_MAX) + 1
  const q = new Float64Array(len)
  for (let n = 0; n < len; n++) q[n] = Math.floor(u32(n * 10000) / lenWindow)
  return q
}

/**
 * {@link recordAccess} with the quotient taken from {@link nomvsumQuotients} of `lenWindow`
 * (a `lastNrAccesses` outside the table divides): the same result, bit for bit.
 *
 * **Gotchas**
 * Mutates `region`; allocates nothing.
 */
export const recordAccessIn = (region: Region, accessed: boolean, lenWindow: number, quotients: Float64Array): void => {
  const n = region.lastNrAccesses
  const t = quotients[n]
  const q = t !== undefined ? t : Math.floor(u32(n * 10000) / lenWindow)
  region.nrAccessesBp = u32(region.nrAccessesBp - q + (accessed ? 10000 : 0))
  if (accessed) region.nrAccesses = u32(region.nrAccesses + 1)
}

/**
 * `samples` steps of the moving sum at once, `hits` of them accesses, all with the same
 * `quotient` (`nomvsum / len_window` of one `lastNrAccesses` and window): what as many
 * {@link recordAccessIn} calls leave in `nrAccessesBp`. Exact: the steps' u32 arithmetic adds up
 * modulo 2^32, and `samples * quotient` is taken modulo 2^32 (`Math.imul`), since the product
 * itself can pass 2^53.
 */
export const movingSumSteps = (mvsum: number, samples: number, quotient: number, hits: number): number =>
  u32(mvsum - (Math.imul(samples, quotient) >>> 0) + hits * 10000)

/**
 * Records one sample's result for a region.
 *
 * **Details**
 * Mirrors `damon_update_region_access_rate()`: updates `nrAccessesBp` with the moving sum over
 * a window of `max_nr_accesses` samples (1 when the sampling interval is 0) and increments
 * `nrAccesses` on an access.
 *
 * **Gotchas**
 * Mutates `region`. Computes the window each call; loops over many regions use
 * {@link recordAccess} with {@link lenWindowOf} hoisted.
 */
export const updateRegionAccessRate = (region: Region, accessed: boolean, attrs: Attrs.Attrs): void =>
  recordAccess(region, accessed, lenWindowOf(attrs))

/**
 * Rescales one region's monitoring results from `oldAttrs` to `newAttrs`.
 *
 * **Details**
 * Mirrors `damon_update_monitoring_result()`: with `aggregating` false (at a window boundary),
 * `nrAccesses` is converted and `nrAccessesBp` follows it; mid-window, the previous window's
 * result is converted into `lastNrAccesses` and the current window restarts. `age` is scaled by
 * the aggregation interval ratio, exactly (see {@link rescaleAge}).
 *
 * **Gotchas**
 * Mutates `region`.
 */
export const updateMonitoringResult = (
  region: Region,
  oldAttrs: Attrs.Attrs,
  newAttrs: Attrs.Attrs,
  aggregating: boolean
): void => {
  if (!aggregating) {
    region.nrAccesses = accessesBpToNrAccesses(nrAccessesToAccessesBp(region.nrAccesses, oldAttrs), newAttrs)
    region.nrAccessesBp = u32(region.nrAccesses * 10000)
  } else {
    region.lastNrAccesses = accessesBpToNrAccesses(nrAccessesToAccessesBp(region.lastNrAccesses, oldAttrs), newAttrs)
    region.nrAccessesBp = u32(region.lastNrAccesses * 10000)
    region.nrAccesses = 0
  }
  region.age = rescaleAge(region.age, oldAttrs.aggrIntervalUs, newAttrs.aggrIntervalUs)
}

const U64 = (1n << 64n) - 1n

/**
 * `age * old / new` as the kernel computes it: an `unsigned long` product (wrapping at 2^64),
 * divided, then stored in the `unsigned int` age. Exact: the product of a u32 age and a large
 * interval exceeds 2^53, where floating point would round it.
 */
export const rescaleAge = (age: number, oldAggrUs: number, newAggrUs: number): number => {
  const p = age * oldAggrUs
  if (Number.isSafeInteger(p)) return u32(Math.floor(p / newAggrUs))
  return u32(Number(((BigInt(age) * BigInt(oldAggrUs)) & U64) / BigInt(newAggrUs)))
}

/**
 * True when `updateMonitoringResult` applies: the kernel skips the conversion entirely when any
 * of the old or new sample or aggregation intervals is zero (`damon_update_monitoring_results()`).
 */
export const canRescale = (oldAttrs: Attrs.Attrs, newAttrs: Attrs.Attrs): boolean =>
  oldAttrs.sampleIntervalUs !== 0 &&
  oldAttrs.aggrIntervalUs !== 0 &&
  newAttrs.sampleIntervalUs !== 0 &&
  newAttrs.aggrIntervalUs !== 0

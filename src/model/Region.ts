/**
 * The monitoring region, `struct damon_region` in `include/linux/damon.h`.
 *
 * A region is a mutable record owned by one target and, while a kdamond runs, written only by
 * that kdamond. Counters follow the kernel's `u32` types. Pure: no clock, no randomness.
 */
import { u32, weightedAverage } from "../internal/uint.ts"
import type { AddrRange } from "./AddrRange.ts"

/**
 * One monitoring region.
 *
 * **Gotchas**
 * Regions are mutated in place by the monitoring algorithms (as the kernel does), because the
 * sampling loop touches every region every sample interval and must not allocate.
 */
export interface Region {
  /** First byte of the region. */
  start: number
  /** One past the last byte of the region. */
  end: number
  /** Samples of the current aggregation window in which an access was seen (u32). */
  nrAccesses: number
  /** Pseudo moving sum of per-sample results, in basis points (u32). */
  nrAccessesBp: number
  /** `nrAccesses` of the previous aggregation window (u32). */
  lastNrAccesses: number
  /** Aggregation windows during which the access frequency stayed similar (u32). */
  age: number
  /** Address picked for the next access check; `-1` until the ops set prepares one. */
  samplingAddr: number
}

/** Creates a region with zeroed counters. Mirrors `damon_new_region()`. */
export const make = (start: number, end: number): Region => ({
  start,
  end,
  nrAccesses: 0,
  nrAccessesBp: 0,
  lastNrAccesses: 0,
  age: 0,
  samplingAddr: -1
})

/** Size of the region in bytes. Mirrors `damon_sz_region()`. */
export const size = (self: Region): number => self.end - self.start

/** The region's address range. */
export const range = (self: Region): AddrRange => ({ start: self.start, end: self.end })

/** A copy of the region (for snapshots handed outside the kdamond). */
export const clone = (self: Region): Region => ({ ...self })

/**
 * Splits `self` at `szLeft` bytes from its start and returns the new right piece.
 *
 * **Details**
 * Mirrors `damon_split_region_at()` in `mm/damon/core.c`: the left piece keeps the original
 * object; the right piece copies `age`, `lastNrAccesses`, `nrAccesses` and `nrAccessesBp`.
 *
 * **Gotchas**
 * Mutates `self` (its `end` becomes `start + szLeft`); the caller inserts the returned piece
 * right after `self` in its target's list.
 */
export const splitAt = (self: Region, szLeft: number): Region => {
  const right = make(self.start + szLeft, self.end)
  right.age = self.age
  right.lastNrAccesses = self.lastNrAccesses
  right.nrAccessesBp = self.nrAccessesBp
  right.nrAccesses = self.nrAccesses
  self.end = right.start
  return right
}

/**
 * Merges `right` into `left`, weighting `nrAccesses` and `age` by size.
 *
 * **Details**
 * Mirrors `damon_merge_two_regions()` in `mm/damon/core.c`: `nrAccessesBp` becomes
 * `nrAccesses * 10000`; `lastNrAccesses` of `left` is kept.
 *
 * **Gotchas**
 * Mutates `left`; the caller removes `right` from its list.
 */
export const mergeTwo = (left: Region, right: Region): void => {
  const szL = size(left)
  const szR = size(right)
  left.nrAccesses = weightedAverage(left.nrAccesses, szL, right.nrAccesses, szR)
  left.nrAccessesBp = u32(left.nrAccesses * 10000)
  left.age = weightedAverage(left.age, szL, right.age, szR)
  left.end = right.end
}

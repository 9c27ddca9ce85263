/**
 * The working set size (WSS) distribution in bounded memory, like damo's `report wss`: the WSS
 * of a snapshot is the bytes of its regions with `nrAccesses >= minNrAccesses` (and at least
 * `minRegionBytes` large); the report gives percentiles either by size (the p-th smallest WSS)
 * or by time (the WSS at p% of the run), both picked at damo's index `floor(p / 100 * n)`.
 *
 * Memory: by size, values are kept exactly up to `exactCapacity`, then in a log-bucket
 * histogram whose answers are within `relativeAccuracy` of the true value (the DDSketch
 * scheme: bucket k holds (gamma^(k-1), gamma^k]); by time, `timeBins` bins of consecutive
 * snapshots that merge pairwise when full (a bin answers with its mean, exact while every bin
 * holds one snapshot). Count, mean, min and max are always exact. Pure.
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { type Snapshot, targetsOf } from "./Snapshot.ts"

/** Which snapshots' bytes count and how much memory to use. */
export interface WssOptions {
  /** A region is in the working set when its `nrAccesses` is at least this (damo `--acc_thres`, default 1). */
  readonly minNrAccesses?: number
  /** ... and when it is at least this many bytes (damo `--sz_thres`, default 1). */
  readonly minRegionBytes?: number
  /** Only this target; default: the sum over every target (damo `--collapse_targets`). */
  readonly targetIndex?: number
  /** Values kept exactly before switching to the histogram (default 4096). */
  readonly exactCapacity?: number
  /** Bins of the time series (default 1024). */
  readonly timeBins?: number
  /** Relative error bound of the histogram (default 0.01, 1 %). */
  readonly relativeAccuracy?: number
}

/** How percentiles are ordered: by WSS, or by position in the run. */
export type SortBy = "size" | "time"

/** The accumulator. Read it through the functions of this module. */
export interface WssDistribution {
  readonly minNrAccesses: number
  readonly minRegionBytes: number
  readonly targetIndex: number | undefined
  readonly exactCapacity: number
  readonly gamma: number
  count: number
  sum: number
  min: number
  max: number
  /** Exact values while `count <= exactCapacity`, then undefined. */
  exact: Array<number> | undefined
  zeros: number
  /** Log buckets: key k holds values in (gamma^(k-1), gamma^k]. */
  readonly buckets: Map<number, number>
  perBin: number
  readonly binSum: Float64Array
  readonly binCount: Float64Array
  readonly binMin: Float64Array
  readonly binMax: Float64Array
  readonly binFromUs: Float64Array
  readonly binToUs: Float64Array
}

const intAtLeast = (field: string, value: number | undefined, min: number): DamonError | undefined =>
  value === undefined || (Number.isSafeInteger(value) && value >= min)
    ? undefined
    : invalidArgument(field, value, `must be an integer >= ${min}`)

/** A new, empty distribution; fails with `InvalidArgument` naming the bad option. */
export const make = (options: WssOptions = {}): Result.Result<WssDistribution, DamonError> => {
  const bad = intAtLeast("wss.minNrAccesses", options.minNrAccesses, 0) ??
    intAtLeast("wss.minRegionBytes", options.minRegionBytes, 0) ??
    intAtLeast("wss.exactCapacity", options.exactCapacity, 0) ??
    intAtLeast("wss.timeBins", options.timeBins, 1)
  if (bad !== undefined) return Result.fail(bad)
  const accuracy = options.relativeAccuracy ?? 0.01
  if (!(accuracy > 0 && accuracy < 1)) {
    return Result.fail(invalidArgument("wss.relativeAccuracy", accuracy, "must be > 0 and < 1"))
  }
  const bins = options.timeBins ?? 1024
  return Result.succeed({
    minNrAccesses: options.minNrAccesses ?? 1,
    minRegionBytes: options.minRegionBytes ?? 1,
    targetIndex: options.targetIndex,
    exactCapacity: options.exactCapacity ?? 4096,
    gamma: (1 + accuracy) / (1 - accuracy),
    count: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
    exact: [],
    zeros: 0,
    buckets: new Map(),
    perBin: 1,
    binSum: new Float64Array(bins),
    binCount: new Float64Array(bins),
    binMin: new Float64Array(bins),
    binMax: new Float64Array(bins),
    binFromUs: new Float64Array(bins),
    binToUs: new Float64Array(bins)
  })
}

/** The working set size of one snapshot under the distribution's thresholds, in bytes. */
export const wssOf = (
  snapshot: Snapshot,
  options: { readonly minNrAccesses?: number; readonly minRegionBytes?: number; readonly targetIndex?: number | undefined } = {}
): number => {
  const minNrAccesses = options.minNrAccesses ?? 1
  const minRegionBytes = options.minRegionBytes ?? 1
  let bytes = 0
  for (const t of targetsOf(snapshot, options.targetIndex)) {
    for (const r of t.regions) {
      const size = r.end - r.start
      if (r.nrAccesses >= minNrAccesses && size >= minRegionBytes) bytes += size
    }
  }
  return bytes
}

const bucketOf = (dist: WssDistribution, value: number): number => Math.ceil(Math.log(value) / Math.log(dist.gamma))

const intoBuckets = (dist: WssDistribution, value: number): void => {
  if (value <= 0) dist.zeros++
  else {
    const k = bucketOf(dist, value)
    dist.buckets.set(k, (dist.buckets.get(k) ?? 0) + 1)
  }
}

const mergeBins = (dist: WssDistribution): void => {
  const n = dist.binSum.length
  for (let i = 0; i < n; i++) {
    const a = 2 * i
    const b = a + 1
    if (b < n) {
      dist.binSum[i] = dist.binSum[a]! + dist.binSum[b]!
      dist.binCount[i] = dist.binCount[a]! + dist.binCount[b]!
      dist.binMin[i] = Math.min(dist.binMin[a]!, dist.binMin[b]!)
      dist.binMax[i] = Math.max(dist.binMax[a]!, dist.binMax[b]!)
      dist.binFromUs[i] = dist.binFromUs[a]!
      dist.binToUs[i] = dist.binToUs[b]!
    } else if (a < n) {
      dist.binSum[i] = dist.binSum[a]!
      dist.binCount[i] = dist.binCount[a]!
      dist.binMin[i] = dist.binMin[a]!
      dist.binMax[i] = dist.binMax[a]!
      dist.binFromUs[i] = dist.binFromUs[a]!
      dist.binToUs[i] = dist.binToUs[a]!
    } else {
      dist.binSum[i] = 0
      dist.binCount[i] = 0
    }
  }
  dist.perBin *= 2
}

/** Adds one WSS value (bytes) observed at kdamond time `atUs`. */
export const addValue = (dist: WssDistribution, wssBytes: number, atUs: number): void => {
  if (dist.count >= dist.binSum.length * dist.perBin) mergeBins(dist)
  const bin = Math.floor(dist.count / dist.perBin)
  if (dist.binCount[bin] === 0) {
    dist.binMin[bin] = wssBytes
    dist.binMax[bin] = wssBytes
    dist.binFromUs[bin] = atUs
  }
  dist.binSum[bin] = dist.binSum[bin]! + wssBytes
  dist.binCount[bin] = dist.binCount[bin]! + 1
  dist.binMin[bin] = Math.min(dist.binMin[bin]!, wssBytes)
  dist.binMax[bin] = Math.max(dist.binMax[bin]!, wssBytes)
  dist.binToUs[bin] = atUs

  dist.count++
  dist.sum += wssBytes
  dist.min = Math.min(dist.min, wssBytes)
  dist.max = Math.max(dist.max, wssBytes)
  if (dist.exact !== undefined) {
    dist.exact.push(wssBytes)
    if (dist.exact.length > dist.exactCapacity) {
      for (const v of dist.exact) intoBuckets(dist, v)
      dist.exact = undefined
    }
  } else intoBuckets(dist, wssBytes)
}

/** Adds the WSS of one snapshot. */
export const add = (dist: WssDistribution, snapshot: Snapshot): void => addValue(dist, wssOf(snapshot, dist), snapshot.atUs)

/** A distribution with every snapshot added. */
export const fromSnapshots = (snapshots: Iterable<Snapshot>, options: WssOptions = {}): Result.Result<WssDistribution, DamonError> =>
  Result.map(make(options), (dist) => {
    for (const s of snapshots) add(dist, s)
    return dist
  })

/** damo's index of the p-th percentile among `n` values. */
const indexOf = (p: number, n: number): number => Math.min(n - 1, Math.max(0, Math.floor((p / 100) * n)))

/** True when percentiles ordered this way are exact values, not estimates. */
export const isExact = (dist: WssDistribution, sortBy: SortBy): boolean =>
  sortBy === "size" ? dist.exact !== undefined : dist.perBin === 1

/**
 * The WSS at percentile `p` (0 .. 100) in bytes, or undefined before any snapshot. By size: the
 * value at damo's index in ascending order (within `relativeAccuracy` once past
 * `exactCapacity`). By time: the value at that index in run order (the mean of its bin once bins
 * merged).
 */
export const percentile = (dist: WssDistribution, p: number, sortBy: SortBy): number | undefined => {
  if (dist.count === 0) return undefined
  const idx = indexOf(p, dist.count)
  if (sortBy === "time") {
    const bin = Math.floor(idx / dist.perBin)
    return dist.binSum[bin]! / dist.binCount[bin]!
  }
  if (dist.exact !== undefined) return [...dist.exact].sort((a, b) => a - b)[idx]!
  if (idx < dist.zeros) return 0
  let seen = dist.zeros
  for (const k of [...dist.buckets.keys()].sort((a, b) => a - b)) {
    seen += dist.buckets.get(k)!
    if (idx < seen) {
      const estimate = (2 * dist.gamma ** k) / (dist.gamma + 1)
      return Math.min(dist.max, Math.max(dist.min, estimate))
    }
  }
  return dist.max
}

/** Percentiles `ps` at once, as `[percentile, bytes]` pairs (empty before any snapshot). */
export const percentiles = (
  dist: WssDistribution,
  ps: ReadonlyArray<number>,
  sortBy: SortBy
): ReadonlyArray<{ readonly percentile: number; readonly wssBytes: number }> =>
  dist.count === 0 ? [] : ps.map((p) => ({ percentile: p, wssBytes: percentile(dist, p, sortBy)! }))

/** Mean WSS in bytes, or undefined before any snapshot. */
export const average = (dist: WssDistribution): number | undefined => (dist.count === 0 ? undefined : dist.sum / dist.count)

/** One bin of the time series: consecutive snapshots `[fromIndex, toIndex)`. */
export interface TimeBin {
  readonly fromIndex: number
  readonly toIndex: number
  readonly fromUs: number
  readonly toUs: number
  readonly meanBytes: number
  readonly minBytes: number
  readonly maxBytes: number
}

/** The WSS over the run, oldest first, at most `timeBins` bins. */
export const timeSeries = (dist: WssDistribution): ReadonlyArray<TimeBin> => {
  const out: Array<TimeBin> = []
  for (let bin = 0; bin < dist.binCount.length && dist.binCount[bin]! > 0; bin++) {
    const count = dist.binCount[bin]!
    out.push({
      fromIndex: bin * dist.perBin,
      toIndex: bin * dist.perBin + count,
      fromUs: dist.binFromUs[bin]!,
      toUs: dist.binToUs[bin]!,
      meanBytes: dist.binSum[bin]! / count,
      minBytes: dist.binMin[bin]!,
      maxBytes: dist.binMax[bin]!
    })
  }
  return out
}

/** Values held in memory: exact values, histogram buckets and time bins (bounded whatever `count`). */
export const storedValues = (dist: WssDistribution): number =>
  (dist.exact?.length ?? 0) + dist.buckets.size + dist.binSum.length

/**
 * Summaries of per-window figures: count, mean and percentiles (the median first), skipping the
 * windows where a figure is undefined (`null`) and counting them. Pure.
 */

/** A summary of one figure over windows. */
export interface Summary {
  /** Windows where the figure is defined. */
  readonly count: number
  /** Windows where it is undefined (`null`: an empty denominator). */
  readonly missing: number
  readonly mean: number | null
  readonly min: number | null
  readonly p10: number | null
  readonly p25: number | null
  readonly median: number | null
  readonly p75: number | null
  readonly p90: number | null
  readonly max: number | null
}

/**
 * The `p`-th percentile (0 to 100) of ascending `sorted`, interpolating linearly between the two
 * nearest ranks (numpy's default; the median of an even count is the mean of the middle two).
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null => {
  const n = sorted.length
  if (n === 0) return null
  const pos = (Math.min(Math.max(p, 0), 100) / 100) * (n - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo]!
  return lo === hi ? a : a + (sorted[hi]! - a) * (pos - lo)
}

/** Summarises `values`, ignoring `null`s (counted as `missing`). */
export const summarize = (values: ReadonlyArray<number | null>): Summary => {
  const xs = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  const n = xs.length
  let sum = 0
  for (const x of xs) sum += x
  return {
    count: n,
    missing: values.length - n,
    mean: n === 0 ? null : sum / n,
    min: n === 0 ? null : xs[0]!,
    p10: percentile(xs, 10),
    p25: percentile(xs, 25),
    median: percentile(xs, 50),
    p75: percentile(xs, 75),
    p90: percentile(xs, 90),
    max: n === 0 ? null : xs[n - 1]!
  }
}

/**
 * Watermark-based activation of DAMOS schemes: `damos_wmark_wait_us()` and the minimum over all
 * schemes that `kdamond_wait_activation()` sleeps for (R2 `mm/damon/core.c`).
 *
 * Pure: the free-memory rate comes from `SystemMetrics` at an explicit instant. Does not sleep,
 * serve calls or cancel walks (the engine does).
 */
import type { Damos } from "../../model/Damos.ts"
import type { SystemMetrics } from "../../ops/DamonOps.ts"

/**
 * Microseconds to wait before re-checking the scheme's watermarks; `0` when the scheme is active.
 *
 * **Details**
 * Mirrors `damos_wmark_wait_us()`: metric `none` returns 0 and leaves `activated` alone. For
 * `free_mem_rate` (per-mille free memory): above `high` or below `low` deactivates and waits
 * `intervalUs`; inactive and within `[mid, high]` stays inactive and waits; otherwise
 * activates and returns 0 (hysteresis: activation needs `low <= m < mid`, an active scheme stays
 * active while `low <= m <= high`). Without `metrics` the metric cannot be read, which the
 * kernel treats like `none` (its metric read fails and it returns 0).
 *
 * **Gotchas**
 * Mutates `scheme.wmarks.activated`.
 */
export const wmarkWaitUs = (scheme: Damos, metrics: SystemMetrics | undefined, nowUs: number): number => {
  const w = scheme.wmarks
  if (w.metric === "none" || metrics === undefined) return 0
  const m = metrics.freeMemRatePermil(nowUs)
  if (m > w.high || w.low > m) {
    w.activated = false
    return w.intervalUs
  }
  if (w.high >= m && m >= w.mid && !w.activated) return w.intervalUs
  w.activated = true
  return 0
}

/**
 * Whether the scheme's watermarks read a metric. Without one, {@link wmarkWaitUs} returns 0 and
 * changes nothing, so a kdamond whose schemes have none need not read the metrics at every sample.
 */
export const readsWmarkMetric = (scheme: Damos): boolean => scheme.wmarks.metric !== "none"

/**
 * The time kdamond sleeps before the next activation check: the minimum of
 * {@link wmarkWaitUs} over every scheme (each is evaluated, updating its activation), `0` when
 * at least one scheme is active or there are no schemes.
 *
 * **Details**
 * Mirrors the inner loop of `kdamond_wait_activation()`.
 *
 * **Gotchas**
 * Mutates every scheme's `wmarks.activated`.
 */
export const minWaitUs = (schemes: ReadonlyArray<Damos>, metrics: SystemMetrics | undefined, nowUs: number): number => {
  let min = 0
  let first = true
  for (const s of schemes) {
    const wait = wmarkWaitUs(s, metrics, nowUs)
    if (first || wait < min) {
      first = false
      min = wait
    }
  }
  return min
}

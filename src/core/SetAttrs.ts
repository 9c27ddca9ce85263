/**
 * Applying new monitoring attributes to a context: validation, re-phasing of every sample-count
 * deadline, and rescaling of monitoring results to the new time scale. Mirrors
 * `damon_set_attrs()`. Pure: no clock, no randomness.
 */
import * as Attrs from "../model/Attrs.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Damos } from "../model/Damos.ts"
import { canRescale, updateMonitoringResult } from "./AccessRate.ts"

/**
 * Sets `s.nextApplySis` to now plus its apply interval (the aggregation interval when 0).
 * Mirrors `damos_set_next_apply_sis()`.
 */
export const setNextApplySis = (ctx: DamonCtx, s: Damos): void => {
  const interval = s.applyIntervalUs !== 0 ? s.applyIntervalUs : ctx.attrs.aggrIntervalUs
  s.nextApplySis = ctx.passedSampleIntervals + Math.floor(interval / Attrs.sampleDivisor(ctx.attrs))
}

/**
 * Validates and applies `attrs` to `ctx`; returns the broken rule, leaving `ctx` untouched, when
 * `attrs` is invalid.
 *
 * **Details**
 * Mirrors `damon_set_attrs()` in `mm/damon/core.c`: derives `aggrSamples` when 0; re-phases the
 * next aggregation and ops update from the current sample count; converts every region's
 * results (mid-window: as if the window had just ended); re-phases every scheme's next apply.
 *
 * **Gotchas**
 * Mutates `ctx`. Called only by the kdamond (or before it starts).
 */
export const setAttrs = (ctx: DamonCtx, attrs: Attrs.Attrs): DamonError | undefined => {
  const error = Attrs.check(attrs)
  if (error !== undefined) return error
  const sampleInterval = Attrs.sampleDivisor(attrs)
  const aggregating = ctx.passedSampleIntervals < ctx.nextAggregationSis
  const next: Attrs.Attrs = attrs.aggrSamples === 0
    ? { ...attrs, aggrSamples: Math.floor(attrs.aggrIntervalUs / sampleInterval) }
    : attrs
  ctx.nextAggregationSis = ctx.passedSampleIntervals + Math.floor(next.aggrIntervalUs / sampleInterval)
  ctx.nextOpsUpdateSis = ctx.passedSampleIntervals + Math.floor(next.opsUpdateIntervalUs / sampleInterval)
  if (canRescale(ctx.attrs, next)) {
    for (const t of ctx.targets) {
      for (const r of t.regions) updateMonitoringResult(r, ctx.attrs, next, aggregating)
    }
  }
  ctx.attrs = next
  for (const s of ctx.schemes) setNextApplySis(ctx, s)
  return undefined
}

/**
 * Initialises the sample-count schedule at kdamond start. Mirrors `kdamond_init_ctx()` (the
 * filter default-reject flags are recomputed by the DAMOS layer).
 */
export const initSchedule = (ctx: DamonCtx): void => {
  const sampleInterval = Attrs.sampleDivisor(ctx.attrs)
  ctx.passedSampleIntervals = 0
  ctx.nextAggregationSis = Math.floor(ctx.attrs.aggrIntervalUs / sampleInterval)
  ctx.nextOpsUpdateSis = Math.floor(ctx.attrs.opsUpdateIntervalUs / sampleInterval)
  ctx.nextIntervalsTuneSis = ctx.nextAggregationSis * ctx.attrs.intervalsGoal.aggrs
  if (ctx.attrs.aggrSamples === 0) {
    ctx.attrs = { ...ctx.attrs, aggrSamples: Math.floor(ctx.attrs.aggrIntervalUs / sampleInterval) }
  }
  for (const s of ctx.schemes) setNextApplySis(ctx, s)
}

/**
 * Monitoring-intervals auto-tuning: scales the sampling and aggregation intervals together so
 * the observed access events approach `intervalsGoal.accessBp` of the maximum. Mirrors
 * `kdamond_tune_intervals()` and its helpers. Pure: no clock, no randomness.
 */
import type { Attrs } from "../model/Attrs.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { feedLoopNextInput } from "./FeedLoop.ts"
import { setAttrs } from "./SetAttrs.ts"

/**
 * The access-events score in basis points of the goal: observed `size * nrAccesses` events over
 * `accessBp` of the maximum `size * aggrSamples`. Mirrors `damon_get_intervals_score()`.
 */
export const intervalsScore = (ctx: DamonCtx): bigint => {
  let maxEvents = 0n
  let events = 0n
  const aggrSamples = BigInt(ctx.attrs.aggrSamples)
  for (const t of ctx.targets) {
    for (const r of t.regions) {
      const sz = BigInt(r.end - r.start)
      maxEvents += sz * aggrSamples
      events += sz * BigInt(r.nrAccesses)
    }
  }
  let target = (maxEvents * BigInt(ctx.attrs.intervalsGoal.accessBp)) / 10000n
  if (target === 0n) target = 1n
  return (events * 10000n) / target
}

/**
 * The adaptation factor in basis points (10000 = keep): the feedback loop's answer, with
 * shrinking limited to half per step. Mirrors `damon_get_intervals_adaptation_bp()`.
 */
export const intervalsAdaptationBp = (ctx: DamonCtx): number => {
  const adaptation = Number(feedLoopNextInput(100_000_000n, intervalsScore(ctx)) / 10000n)
  return adaptation <= 10000 ? 5000 + Math.floor(adaptation / 2) : adaptation
}

/**
 * Tunes the intervals of `ctx` one step and returns the new attrs, or `undefined` when they stay.
 *
 * **Details**
 * Mirrors `kdamond_tune_intervals()`: the new sampling interval is clamped to
 * `[minSampleUs, maxSampleUs]`; the aggregation interval follows as `sample * aggrSamples`.
 *
 * **Gotchas**
 * Mutates `ctx` through `setAttrs`.
 */
export const tuneIntervals = (ctx: DamonCtx): Attrs | undefined => {
  const adaptationBp = intervalsAdaptationBp(ctx)
  if (adaptationBp === 10000) return undefined
  const goal = ctx.attrs.intervalsGoal
  let sample = Math.min(goal.maxSampleUs, Math.floor((ctx.attrs.sampleIntervalUs * adaptationBp) / 10000))
  sample = Math.max(goal.minSampleUs, sample)
  const next: Attrs = { ...ctx.attrs, sampleIntervalUs: sample, aggrIntervalUs: sample * ctx.attrs.aggrSamples }
  setAttrs(ctx, next)
  return next
}

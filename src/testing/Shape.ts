/**
 * The shape of a context: its user parameters (ops set, attrs, targets, each scheme's
 * configuration) as one comparable string, without any state (statistics, quota charging,
 * regions, watermark activation, quota goals, which have their own commit path). A running
 * context's shape must always equal the shape of a config that was started or committed: that is
 * how the `commitsAtomic` invariant sees a half-committed context.
 */
import * as Result from "effect/Result"
import { buildCtx, decodeConfig } from "../core/BuildCtx.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"

const json = (value: unknown): string => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v))

/** The shape of a (running or fresh) context. */
export const shapeOf = (ctx: DamonCtx): string => {
  const a = ctx.attrs
  // self-tuned intervals move on their own: only the goal is a parameter then
  const intervals = a.intervalsGoal.aggrs === 0 ? [a.sampleIntervalUs, a.aggrIntervalUs] : [a.intervalsGoal]
  return json([
    ctx.opsId,
    intervals,
    a.opsUpdateIntervalUs,
    a.minNrRegions,
    a.maxNrRegions,
    ctx.addrUnit,
    ctx.minRegionSz,
    ctx.targets.map((t) => t.pid),
    ctx.schemes.map((s) => {
      const q = s.quota
      const w = s.wmarks
      return [
        s.action,
        s.pattern,
        s.applyIntervalUs,
        [q.resetIntervalMs, q.ms, q.sz, q.goalTuner, q.weightSz, q.weightNrAccesses, q.weightAge],
        [w.metric, w.intervalUs, w.high, w.mid, w.low],
        s.targetNid,
        s.dests,
        s.coreFilters,
        s.opsFilters,
        s.maxNrSnapshots
      ]
    })
  ])
}

const cache = new WeakMap<object, string | undefined>()

/**
 * The shape a context started or committed from `config` has; `undefined` if `config` is
 * invalid. Cached per config object (scenarios commit the same few configs many times).
 */
export const shapeOfConfig = (config: unknown): string | undefined => {
  if (typeof config === "object" && config !== null && cache.has(config)) return cache.get(config)
  const source = decodeConfig(config)
  const shape = Result.isSuccess(source) ? shapeOf(buildCtx(source.success)) : undefined
  if (typeof config === "object" && config !== null) cache.set(config, shape)
  return shape
}

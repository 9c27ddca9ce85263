/**
 * Arbitraries (Effect's own `Arbitrary` engine) of the inputs a kdamond takes: monitoring attrs,
 * schemes (every action, quotas and quota goals, watermarks, every filter type), whole configs,
 * commit sequences, and invalid configs that say which field they break. Literal domains (actions,
 * goal metrics, tuners, watermark metrics, filter types) come from the config Schemas; numbers are
 * drawn within bounds that keep a run fast (a few samples per aggregation, at most 50 regions);
 * every valid draw passes the real decoder. Use them with `it.prop` / `it.effect.prop`.
 *
 * @example
 * ```ts
 * it.effect.prop("a config starts", { config: Arbitraries.config() }, ({ config }) => ...)
 * ```
 * @since 0.2.0
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type DamonConfigInput, decodeConfig } from "../core/BuildCtx.ts"
import { type FilterInput, QuotaGoalSchema, QuotaSchema, type SchemeInput, SchemeSchema, WatermarksSchema } from "../core/damos/DamosConfig.ts"
import type { AttrsInput } from "../model/Attrs.ts"
import { filterTypes } from "../model/Damos.ts"

const Int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))
const MiB = 1 << 20

/** Options of the scheme and config arbitraries. */
export interface Options {
  /** The operations set id (default `"fake"`). */
  readonly ops?: string
  /** Whether the ops set has memory metrics: allows watermarks and measured quota goals (default false). */
  readonly metrics?: boolean
  /** Most schemes in a config (default 3). */
  readonly maxSchemes?: number
  /** Most targets in a config (default 2). */
  readonly maxTargets?: number
}

/** Monitoring attrs: sample 1-5 ms, 2-10 samples per aggregation, 3-10 to at most 50 regions. */
export const attrs: Arbitrary.Arbitrary<AttrsInput> = Arbitrary.schema(Schema.Struct({
  sampleMs: Int(1, 5),
  aggrSamples: Int(2, 10),
  updateAggrs: Int(1, 10),
  minNrRegions: Int(3, 10),
  extraRegions: Int(0, 40)
})).pipe(Arbitrary.map((d) => ({
  sampleIntervalUs: d.sampleMs * 1000,
  aggrIntervalUs: d.sampleMs * 1000 * d.aggrSamples,
  opsUpdateIntervalUs: d.sampleMs * 1000 * d.aggrSamples * d.updateAggrs,
  minNrRegions: d.minNrRegions,
  maxNrRegions: d.minNrRegions + d.extraRegions
})))

const pattern = Arbitrary.schema(Schema.Struct({
  minSzRegion: Schema.optionalKey(Int(0, 4 * MiB)),
  minNrAccesses: Schema.optionalKey(Int(0, 5)),
  maxNrAccesses: Schema.optionalKey(Int(5, 20)),
  minAgeRegion: Schema.optionalKey(Int(0, 5)),
  maxAgeRegion: Schema.optionalKey(Int(5, 100))
}))

const goal = (metrics: boolean) =>
  Arbitrary.all({
    metric: Arbitrary.schema(QuotaGoalSchema.fields.metric),
    targetValue: Arbitrary.schema(Int(1, 1000)),
    currentValue: Arbitrary.schema(Int(0, 1000))
  }).pipe(Arbitrary.filter((g) => g.metric === "user_input" || (metrics && g.metric !== "node_eligible_mem_bp")))

const quota = (metrics: boolean) =>
  Arbitrary.all({
    draw: Arbitrary.schema(Schema.Struct({
      ms: Schema.optionalKey(Int(0, 100)),
      sz: Schema.optionalKey(Int(0, 64 * MiB)),
      resetIntervalMs: Schema.optionalKey(Int(0, 1000)),
      weightSz: Schema.optionalKey(Int(0, 10)),
      weightNrAccesses: Schema.optionalKey(Int(0, 10)),
      weightAge: Schema.optionalKey(Int(0, 10))
    })),
    goalTuner: Arbitrary.schema(QuotaSchema.fields.goalTuner),
    goals: Arbitrary.array(goal(metrics), { maxLength: 2 })
  }).pipe(Arbitrary.map(({ draw, goalTuner, goals }) => ({ ...draw, goalTuner, goals })))

const wmarks = Arbitrary.all({
  metric: Arbitrary.schema(WatermarksSchema.fields.metric),
  intervalUs: Arbitrary.schema(Int(1000, 10_000)),
  levels: Arbitrary.schema(Schema.Tuple([Int(0, 1000), Int(0, 1000), Int(0, 1000)]))
}).pipe(Arbitrary.map(({ metric, intervalUs, levels }) => {
  const [low, mid, high] = [...levels].sort((a, b) => a - b) as [number, number, number]
  return { metric, intervalUs, high, mid, low }
}))

const filter: Arbitrary.Arbitrary<FilterInput> = Arbitrary.all({
  type: Arbitrary.schema(Schema.Literals(filterTypes)),
  matching: Arbitrary.schema(Schema.Boolean),
  allow: Arbitrary.schema(Schema.Boolean),
  a: Arbitrary.schema(Int(0, 32 * MiB)),
  b: Arbitrary.schema(Int(0, 32 * MiB))
}).pipe(Arbitrary.map(({ type, matching, allow, a, b }): FilterInput => {
  const [lo, hi] = a <= b ? [a, b] : [b, a]
  switch (type) {
    case "memcg":
      return { type, matching, allow, memcgId: a % 8 }
    case "addr":
      return { type, matching, allow, addrRange: { start: lo, end: hi } }
    case "target":
      return { type, matching, allow, targetIdx: a % 2 }
    case "hugepage_size":
      return { type, matching, allow, szRange: { min: lo, max: hi } }
    default:
      return { type, matching, allow }
  }
}))

/** A scheme: any action, pattern bounds, quota (with goals), watermarks when `metrics`, filters. */
export const scheme = (options: Options = {}): Arbitrary.Arbitrary<SchemeInput> => {
  const metrics = options.metrics === true
  return Arbitrary.all({
    action: Arbitrary.schema(SchemeSchema.fields.action),
    pattern,
    applyAggrs: Arbitrary.schema(Int(0, 3)),
    quota: quota(metrics),
    wmarks: metrics ? Arbitrary.array(wmarks, { maxLength: 1 }) : Arbitrary.Constant([]),
    filters: Arbitrary.array(filter, { maxLength: 2 })
  }).pipe(Arbitrary.map((d): SchemeInput => ({
    action: d.action,
    pattern: d.pattern,
    applyIntervalUs: d.applyAggrs * 5000,
    quota: d.quota,
    ...(d.wmarks[0] === undefined ? {} : { wmarks: d.wmarks[0] }),
    filters: d.filters
  })))
}

const valid = (config: DamonConfigInput): boolean => Result.isSuccess(decodeConfig(config))

/** A whole valid config: attrs, 1 to `maxTargets` targets, 0 to `maxSchemes` schemes. */
export const config = (options: Options = {}): Arbitrary.Arbitrary<DamonConfigInput> =>
  Arbitrary.all({
    attrs,
    targets: Arbitrary.schema(Int(1, options.maxTargets ?? 2)),
    schemes: Arbitrary.array(scheme(options), { maxLength: options.maxSchemes ?? 3 })
  }).pipe(
    Arbitrary.map(({ attrs, targets, schemes }): DamonConfigInput => ({
      ops: options.ops ?? "fake",
      targets: Array.from({ length: targets }, () => ({})),
      attrs,
      schemes
    })),
    Arbitrary.filter(valid)
  )

/** A sequence of 1 to `maxLength` valid configs to commit one after the other (same ops set). */
export const commitSequence = (options: Options & { readonly maxLength?: number } = {}): Arbitrary.Arbitrary<Array<DamonConfigInput>> =>
  Arbitrary.array(config(options), { minLength: 1, maxLength: options.maxLength ?? 4 })

/** An invalid config and the field its error must name. */
export interface Invalid {
  readonly config: unknown
  /** The field path the `InvalidArgument` names (its message starts with it). */
  readonly field: string
}

type Breaker = (c: DamonConfigInput) => Invalid

const withScheme = (c: DamonConfigInput, s: Record<string, unknown>, field: string): Invalid => {
  const i = c.schemes?.length ?? 0
  return { config: { ...c, schemes: [...(c.schemes ?? []), s] }, field: `schemes[${i}].${field}` }
}

/** Ways to break a valid config, each naming the field it breaks. */
const breakers: ReadonlyArray<Breaker> = [
  (c) => ({ config: { ...c, attrs: { ...c.attrs, minNrRegions: 2 } }, field: "attrs.minNrRegions" }),
  (c) => ({ config: { ...c, attrs: { ...c.attrs, sampleIntervalUs: (c.attrs?.aggrIntervalUs ?? 0) + 1 } }, field: "attrs.sampleIntervalUs" }),
  (c) => ({ config: { ...c, attrs: { ...c.attrs, maxNrRegions: 2 } }, field: "attrs.minNrRegions" }),
  (c) => ({ config: { ...c, attrs: { ...c.attrs, sampleUs: 5 } }, field: "attrs.sampleUs" }),
  (c) => withScheme(c, { action: "explode" }, "action"),
  (c) => withScheme(c, { quota: { ms: -1 } }, "quota.ms"),
  (c) => withScheme(c, { pattern: { minNrAccesses: 1.5 } }, "pattern.minNrAccesses"),
  (c) => withScheme(c, { wmarks: { metric: "tides" } }, "wmarks.metric"),
  (c) => withScheme(c, { filters: [{ type: "addr", addrRange: { start: 10, end: 5 } }] }, "filters[0].addrRange.end"),
  (c) => withScheme(c, { filters: [{ type: "bogus" }] }, "filters[0].type"),
  (c) => withScheme(c, { quota: { goals: [{ metric: "tides" }] } }, "quota.goals[0].metric"),
  (c) => withScheme(c, { applyIntervalUs: -3 }, "applyIntervalUs"),
  (c) => ({ config: { ...c, targets: [{ regions: [{ start: 8192, end: 4096 }] }] }, field: "targets[0].regions[0].end" }),
  (c) => ({ config: { ...c, minRegionSz: 3000 }, field: "minRegionSz" })
]

/** An invalid config: a valid one with one field broken, and the name of that field. */
export const invalidConfig = (options: Options = {}): Arbitrary.Arbitrary<Invalid> =>
  Arbitrary.all({ config: config(options), breaker: Arbitrary.schema(Int(0, breakers.length - 1)) }).pipe(
    Arbitrary.map(({ config, breaker }) => breakers[breaker]!(config))
  )

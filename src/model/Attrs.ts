/**
 * Monitoring attributes, `struct damon_attrs` and `struct damon_intervals_goal`, with the
 * kernel's defaults (`damon_new_ctx()`) and the validation rules of `damon_set_attrs()`.
 * Pure: no clock, no randomness.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { decode, ULong } from "../internal/validate.ts"
import { UINT_MAX } from "../internal/uint.ts"
import { type DamonError, invalidArgument } from "./DamonError.ts"

/** The monitoring-intervals auto-tuning goal. Mirrors `struct damon_intervals_goal`. */
export interface IntervalsGoal {
  /** Target ratio of observed access events to the theoretical maximum, in basis points. */
  readonly accessBp: number
  /** Tune every this many aggregations; `0` disables tuning. */
  readonly aggrs: number
  /** Lower bound of the tuned sampling interval, in microseconds. */
  readonly minSampleUs: number
  /** Upper bound of the tuned sampling interval, in microseconds. */
  readonly maxSampleUs: number
}

/** Monitoring attributes. Mirrors `struct damon_attrs`. */
export interface Attrs {
  /** Time between two access samplings, in microseconds. Defaults to `5000`. */
  readonly sampleIntervalUs: number
  /** Aggregation window, in microseconds. Defaults to `100000`. */
  readonly aggrIntervalUs: number
  /** Time between two `ops.update` calls, in microseconds. Defaults to `60000000`. */
  readonly opsUpdateIntervalUs: number
  /** Intervals auto-tuning goal. Defaults to all zero (off). */
  readonly intervalsGoal: IntervalsGoal
  /** Minimum number of regions. Defaults to `10`; must be at least 3. */
  readonly minNrRegions: number
  /** Maximum number of regions. Defaults to `1000`. */
  readonly maxNrRegions: number
  /**
   * Samples per aggregation (`aggr_samples`, kernel-private): fixed when the attrs are set from
   * outside, preserved by the intervals tuner so both intervals scale together. `0` = derive.
   */
  readonly aggrSamples: number
}

/** The kernel defaults of `damon_new_ctx()`. */
export const defaults: Attrs = {
  sampleIntervalUs: 5000,
  aggrIntervalUs: 100_000,
  opsUpdateIntervalUs: 60_000_000,
  intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
  minNrRegions: 10,
  maxNrRegions: 1000,
  aggrSamples: 0
}

const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** Schema of the intervals goal input; every field optional with the kernel default. */
export const IntervalsGoalSchema = Schema.Struct({
  accessBp: withDefault(ULong, 0),
  aggrs: withDefault(ULong, 0),
  minSampleUs: withDefault(ULong, 0),
  maxSampleUs: withDefault(ULong, 0)
})

/** Schema of the attrs input; every field optional with the kernel default. */
export const AttrsSchema = Schema.Struct({
  sampleIntervalUs: withDefault(ULong, defaults.sampleIntervalUs),
  aggrIntervalUs: withDefault(ULong, defaults.aggrIntervalUs),
  opsUpdateIntervalUs: withDefault(ULong, defaults.opsUpdateIntervalUs),
  intervalsGoal: withDefault(IntervalsGoalSchema, defaults.intervalsGoal),
  minNrRegions: withDefault(ULong, defaults.minNrRegions),
  maxNrRegions: withDefault(ULong, defaults.maxNrRegions),
  aggrSamples: withDefault(ULong, 0)
})

/** Input accepted by {@link make}: any subset of the fields. */
export type AttrsInput = typeof AttrsSchema.Encoded

/**
 * Checks the rules of `damon_set_attrs()` and returns the first broken one.
 *
 * **Details**
 * Mirrors the checks in `damon_set_attrs()` in `mm/damon/core.c`, in the kernel's order:
 * the intervals goal bounds (only when `aggrs != 0`), `min_nr_regions >= 3`,
 * `min_nr_regions <= max_nr_regions`, `sample_interval <= aggr_interval`.
 */
export const check = (attrs: Attrs, prefix = "attrs"): DamonError | undefined => {
  const goal = attrs.intervalsGoal
  if (goal.aggrs !== 0) {
    if (goal.minSampleUs > goal.maxSampleUs) {
      return invalidArgument(`${prefix}.intervalsGoal.minSampleUs`, goal.minSampleUs, `must be <= intervalsGoal.maxSampleUs (${goal.maxSampleUs})`)
    }
    if (attrs.sampleIntervalUs < goal.minSampleUs || attrs.sampleIntervalUs > goal.maxSampleUs) {
      return invalidArgument(
        `${prefix}.sampleIntervalUs`,
        attrs.sampleIntervalUs,
        `must be within intervalsGoal [minSampleUs, maxSampleUs] = [${goal.minSampleUs}, ${goal.maxSampleUs}] while intervalsGoal.aggrs != 0`
      )
    }
  }
  if (attrs.minNrRegions < 3) return invalidArgument(`${prefix}.minNrRegions`, attrs.minNrRegions, "must be >= 3")
  if (attrs.minNrRegions > attrs.maxNrRegions) {
    return invalidArgument(`${prefix}.minNrRegions`, attrs.minNrRegions, `must be <= maxNrRegions (${attrs.maxNrRegions})`)
  }
  if (attrs.sampleIntervalUs > attrs.aggrIntervalUs) {
    return invalidArgument(`${prefix}.sampleIntervalUs`, attrs.sampleIntervalUs, `must be <= aggrIntervalUs (${attrs.aggrIntervalUs})`)
  }
  return undefined
}

/**
 * Decodes and validates attrs input (defaults fill missing fields) into {@link Attrs}.
 *
 * **Details**
 * Field types first (non-negative integers that fit), then the `damon_set_attrs()` rules.
 */
export const make = (input: unknown = {}, prefix = "attrs"): Result.Result<Attrs, DamonError> => {
  const decoded = decode(AttrsSchema, input, prefix)
  if (Result.isFailure(decoded)) return decoded
  const error = check(decoded.success, prefix)
  return error === undefined ? decoded : Result.fail(error)
}

/** `max(sample_interval, 1)`: the divisor the kernel uses for every interval-to-samples conversion. */
export const sampleDivisor = (attrs: Attrs): number => Math.max(attrs.sampleIntervalUs, 1)

/**
 * The maximum `nr_accesses` a region can reach in one aggregation window.
 *
 * **Details**
 * Mirrors `damon_max_nr_accesses()`: `min(aggr_interval / sample_interval, UINT_MAX)`.
 */
export const maxNrAccesses = (attrs: Attrs): number =>
  Math.min(Math.floor(attrs.aggrIntervalUs / sampleDivisor(attrs)), UINT_MAX)

/** True when the two attrs differ in any user-visible field (R2 `damon_attrs_equals()` negated). */
export const differ = (a: Attrs, b: Attrs): boolean =>
  a.sampleIntervalUs !== b.sampleIntervalUs ||
  a.aggrIntervalUs !== b.aggrIntervalUs ||
  a.opsUpdateIntervalUs !== b.opsUpdateIntervalUs ||
  a.minNrRegions !== b.minNrRegions ||
  a.maxNrRegions !== b.maxNrRegions ||
  a.intervalsGoal.accessBp !== b.intervalsGoal.accessBp ||
  a.intervalsGoal.aggrs !== b.intervalsGoal.aggrs ||
  a.intervalsGoal.minSampleUs !== b.intervalsGoal.minSampleUs ||
  a.intervalsGoal.maxSampleUs !== b.intervalsGoal.maxSampleUs

/**
 * On-demand views of a running context's schemes and intervals, and the cheap goal commit:
 * the building blocks of the admin tree's `state` commands, each built only on `damonCall` or
 * `damosWalk`, exactly as the kernel's sysfs layer uses them since Linux 6.14
 * (`update_schemes_stats`, `update_schemes_tried_regions`, `update_schemes_tried_bytes`,
 * `update_schemes_effective_quotas`, `update_tuned_intervals`, `commit_schemes_quota_goals`).
 */
import * as Effect from "effect/Effect"
import * as Function from "effect/Function"
import type { QuotaGoalInput } from "./core/damos/DamosConfig.ts"
import type { Kdamond } from "./engine/Kdamond.ts"
import type { DamonError } from "./model/DamonError.ts"
import type { Stat } from "./model/Damos.ts"

/** Copies every scheme's statistics (`update_schemes_stats`, via `damonCall`). */
export const schemesStats = (k: Kdamond): Effect.Effect<Array<Stat>, DamonError> =>
  k.damonCall((ctx) => ctx.schemes.map((s) => ({ ...s.stat })))

/** Every scheme's effective size quota in bytes (`update_schemes_effective_quotas`, via `damonCall`). */
export const schemesEffectiveQuotas = (k: Kdamond): Effect.Effect<Array<number>, DamonError> =>
  k.damonCall((ctx) => ctx.schemes.map((s) => s.quota.esz))

/** The current (possibly auto-tuned) intervals (`update_tuned_intervals`, via `damonCall`). */
export const tunedIntervals = (
  k: Kdamond
): Effect.Effect<{ readonly sampleIntervalUs: number; readonly aggrIntervalUs: number }, DamonError> =>
  k.damonCall((ctx) => ({ sampleIntervalUs: ctx.attrs.sampleIntervalUs, aggrIntervalUs: ctx.attrs.aggrIntervalUs }))

/**
 * Commits new quota goals into the running schemes, by position, stopping at the shorter list
 * (`commit_schemes_quota_goals`, via `damonCall`): the cheap way to feed `user_input` goals.
 * Goals are validated first (and measured metrics need an ops set that measures them); a bad
 * one fails with `InvalidArgument` and changes nothing.
 *
 * @example
 * ```ts
 * yield* SchemesControl.commitSchemesQuotaGoals(kdamond, [[{ metric: "user_input", targetValue: 100, currentValue: 80 }]])
 * // or, data-last:
 * yield* SchemesControl.commitSchemesQuotaGoals([[{ metric: "user_input", targetValue: 100 }]])(kdamond)
 * ```
 * @since 0.2.0
 * @category control
 */
export const commitSchemesQuotaGoals: {
  (goalsPerScheme: ReadonlyArray<ReadonlyArray<QuotaGoalInput>>): (k: Kdamond) => Effect.Effect<void, DamonError>
  (k: Kdamond, goalsPerScheme: ReadonlyArray<ReadonlyArray<QuotaGoalInput>>): Effect.Effect<void, DamonError>
} = Function.dual(2, (k: Kdamond, goalsPerScheme: ReadonlyArray<ReadonlyArray<QuotaGoalInput>>) => k.commitQuotaGoals(goalsPerScheme))

/** A region a scheme was applied to, as `tried_regions/<N>/` shows it. */
export interface TriedRegion {
  readonly start: number
  readonly end: number
  /** `nrAccessesBp / 10000`, the value the scheme matched on. */
  readonly nrAccesses: number
  /** Age before the action's age reset. */
  readonly age: number
  readonly szFilterPassed: number
}

/** One scheme's tried regions during one apply pass. */
export interface SchemeTriedRegions {
  readonly regions: ReadonlyArray<TriedRegion>
  /** Sum of the tried regions' sizes (`tried_regions/total_bytes`). */
  readonly totalBytes: number
}

const collectTried = (k: Kdamond, keepRegions: boolean): Effect.Effect<Array<SchemeTriedRegions>, DamonError> =>
  Effect.gen(function*() {
    const perScheme = new Map<number, { regions: Array<TriedRegion>; totalBytes: number }>()
    const nrSchemes = yield* k.damosWalk((v) => {
      let entry = perScheme.get(v.schemeIndex)
      if (entry === undefined) {
        entry = { regions: [], totalBytes: 0 }
        perScheme.set(v.schemeIndex, entry)
      }
      entry.totalBytes += v.region.end - v.region.start
      if (keepRegions) {
        entry.regions.push({
          start: v.region.start,
          end: v.region.end,
          nrAccesses: Math.floor(v.region.nrAccessesBp / 10000),
          age: v.region.age,
          szFilterPassed: v.szFilterPassed
        })
      }
    })
    return Array.from({ length: nrSchemes }, (_, i) => perScheme.get(i) ?? { regions: [], totalBytes: 0 })
  })

/**
 * The regions every scheme was applied to during one full apply pass of each
 * (`update_schemes_tried_regions`, via `damosWalk`): `Busy` if another walk is pending,
 * `Canceled` if the kdamond stops, has no schemes, or all schemes are deactivated meanwhile.
 */
export const schemesTriedRegions = (k: Kdamond): Effect.Effect<Array<SchemeTriedRegions>, DamonError> =>
  collectTried(k, true)

/** Like {@link schemesTriedRegions} but only the byte totals (`update_schemes_tried_bytes`). */
export const schemesTriedBytes = (k: Kdamond): Effect.Effect<Array<number>, DamonError> =>
  Effect.map(collectTried(k, false), (per) => per.map((s) => s.totalBytes))

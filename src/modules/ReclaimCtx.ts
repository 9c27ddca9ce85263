/**
 * DAMON_RECLAIM's parameter context: from the module parameters to the engine config the module
 * starts or commits, i.e. the building half of `damon_reclaim_apply_parameters()` and
 * `damon_reclaim_new_scheme()` in `mm/damon/reclaim.c`. Pure: reads the System RAM ranges it is
 * given; starts and commits nothing (see `DamonReclaim.ts`).
 */
import * as Result from "effect/Result"
import type { SchemeInput } from "../core/damos/DamosConfig.ts"
import { u32, UINT_MAX, ULONG_MAX_SAFE } from "../internal/uint.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import {
  checkAddrUnit,
  checkMonAttrs,
  type DefaultRegion,
  type ModuleConfig,
  monitorRegion,
  PAGE_SIZE,
  paddrConfig,
  wmarksOf
} from "./ModulesCommon.ts"
import { PREFIX, type ReclaimParams } from "./ReclaimParams.ts"

/** What the parameters build: the config, and the monitored range (to write back when defaulted). */
export interface ReclaimBuild {
  readonly config: ModuleConfig
  readonly region: AddrRange
}

/**
 * Checks what DAMON_RECLAIM's `commit_inputs` store checks before accepting `Y`.
 *
 * **Details**
 * Mirrors `damon_reclaim_commit_inputs_store()` (linux-mm): `damon_validate_attrs()` on the
 * monitoring attributes parameters; anything else is found only when the inputs are applied.
 */
export const checkCommitInputs = (p: ReclaimParams): DamonError | undefined => checkMonAttrs(PREFIX, p)

/**
 * The pageout scheme: regions of at least a page, not accessed, for `min_age` or longer; page
 * them out, oldest first, under the quotas, while the watermarks allow; skip anonymous pages on
 * request.
 *
 * **Details**
 * Mirrors `damon_reclaim_new_scheme()` plus the goal and filter additions of
 * `damon_reclaim_apply_parameters()`: `min_age / aggr_interval` is stored in an `unsigned int`
 * (truncated, as C does); `quota_mem_pressure_us` adds a `some_mem_psi_us` goal, then
 * `quota_autotune_feedback` a `user_input` goal aiming at 10,000 with that current value;
 * `skip_anon` adds the ops filter `anon, matching=Y, allow=N`.
 */
export const schemeOf = (p: ReclaimParams, wmarks: NonNullable<SchemeInput["wmarks"]>): SchemeInput => {
  const goals: Array<NonNullable<NonNullable<SchemeInput["quota"]>["goals"]>[number]> = []
  if (p.quotaMemPressureUs !== 0) goals.push({ metric: "some_mem_psi_us", targetValue: p.quotaMemPressureUs })
  if (p.quotaAutotuneFeedback !== 0) {
    goals.push({ metric: "user_input", targetValue: 10_000, currentValue: p.quotaAutotuneFeedback })
  }
  return {
    pattern: {
      minSzRegion: PAGE_SIZE,
      maxSzRegion: ULONG_MAX_SAFE,
      minNrAccesses: 0,
      maxNrAccesses: 0,
      minAgeRegion: u32(Math.floor(p.minAgeUs / p.aggrIntervalUs)),
      maxAgeRegion: UINT_MAX
    },
    action: "pageout",
    applyIntervalUs: 0,
    quota: {
      ms: p.quotaMs,
      sz: p.quotaSz,
      resetIntervalMs: p.quotaResetIntervalMs,
      weightSz: 0,
      weightNrAccesses: 0,
      weightAge: 1,
      goals
    },
    wmarks,
    filters: p.skipAnon ? [{ type: "anon", matching: true, allow: false }] : []
  }
}

/**
 * Builds the parameter context from the parameters; the first invalid parameter is an
 * `InvalidArgument` naming it (`damon_reclaim.<name>`).
 *
 * **Details**
 * Mirrors `damon_reclaim_apply_parameters()` up to (not including) `damon_commit_ctx()`, in its
 * order: `addr_unit` (see `checkAddrUnit`), `aggr_interval != 0`, `damon_set_attrs()`'s rules,
 * the scheme, then the monitoring region (`damon_set_region_biggest_system_ram_default()` or the
 * System-RAMs span, per `defaultRegion`).
 */
export const buildReclaim = (
  p: ReclaimParams,
  ram: ReadonlyArray<AddrRange>,
  defaultRegion: DefaultRegion
): Result.Result<ReclaimBuild, DamonError> => {
  const addrError = checkAddrUnit(PREFIX, p.addrUnit)
  if (addrError !== undefined) return Result.fail(addrError)
  if (p.aggrIntervalUs === 0) return Result.fail(invalidArgument(`${PREFIX}.aggr_interval`, 0, "must not be 0"))
  const attrsError = checkMonAttrs(PREFIX, p)
  if (attrsError !== undefined) return Result.fail(attrsError)
  const wmarks = wmarksOf(PREFIX, p)
  if (Result.isFailure(wmarks)) return Result.fail(wmarks.failure)
  const region = monitorRegion(PREFIX, p, ram, defaultRegion)
  if (Result.isFailure(region)) return Result.fail(region.failure)
  const attrs = {
    sampleIntervalUs: p.sampleIntervalUs,
    aggrIntervalUs: p.aggrIntervalUs,
    minNrRegions: p.minNrRegions,
    maxNrRegions: p.maxNrRegions
  }
  return Result.succeed({
    config: paddrConfig(attrs, region.success, [schemeOf(p, wmarks.success)], p.addrUnit),
    region: region.success
  })
}

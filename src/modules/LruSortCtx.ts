/**
 * DAMON_LRU_SORT's parameter context: from the module parameters to the engine config the module
 * starts or commits, i.e. the building half of `damon_lru_sort_apply_parameters()` with
 * `damon_lru_sort_new_{hot,cold}_scheme()`, `damon_lru_sort_add_quota_goals()` and
 * `damon_lru_sort_add_filters()` in `mm/damon/lru_sort.c`. Pure: reads the System RAM ranges it
 * is given; starts and commits nothing (see `DamonLruSort.ts`).
 */
import * as Result from "effect/Result"
import type { SchemeInput } from "../core/damos/DamosConfig.ts"
import { u32, UINT_MAX, ULONG_MAX_SAFE } from "../internal/uint.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { AttrsInput } from "../model/Attrs.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Action } from "../model/Damos.ts"
import { type LruSortParams, PREFIX } from "./LruSortParams.ts"
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

/** What the parameters build: the config, and the monitored range (to write back when defaulted). */
export interface LruSortBuild {
  readonly config: ModuleConfig
  readonly region: AddrRange
  /** The hot scheme's `min_nr_accesses`. */
  readonly hotThres: number
  /** The cold scheme's `min_age_region`. */
  readonly coldThres: number
}

/**
 * The intervals `autotune_monitoring_intervals = Y` imposes: sample 5 ms, aggregation 100 ms, and
 * the goal of 0.4 % access events in 3 aggregations with the sample interval within [5 ms, 10 s].
 */
export const autotunedAttrs = {
  sampleIntervalUs: 5000,
  aggrIntervalUs: 100_000,
  intervalsGoal: { accessBp: 40, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10_000_000 }
} as const

/**
 * `damon_max_nr_accesses()`: samples per aggregation, `min(aggr / sample, UINT_MAX)` (a zero
 * sample interval counts as 1).
 */
const maxNrAccesses = (sampleIntervalUs: number, aggrIntervalUs: number): number =>
  Math.min(Math.floor(aggrIntervalUs / Math.max(sampleIntervalUs, 1)), UINT_MAX)

type Goal = NonNullable<NonNullable<SchemeInput["quota"]>["goals"]>[number]
type FilterInput = Record<string, unknown>

/**
 * One of the two schemes: the stub pattern (regions of at least a page, any access rate and
 * age) narrowed by the caller, apply interval 0, half of `quota_ms` (no size quota), weights
 * size 0 / accesses 1 / age 1, the watermarks.
 *
 * **Details**
 * Mirrors `damon_lru_sort_new_scheme()`.
 */
const schemeOf = (
  p: LruSortParams,
  action: Action,
  narrow: { readonly minNrAccesses: number; readonly maxNrAccesses: number; readonly minAgeRegion: number },
  wmarks: NonNullable<SchemeInput["wmarks"]>,
  goals: ReadonlyArray<Goal>,
  filters: ReadonlyArray<FilterInput>
): SchemeInput => ({
  pattern: { minSzRegion: PAGE_SIZE, maxSzRegion: ULONG_MAX_SAFE, ...narrow, maxAgeRegion: UINT_MAX },
  action,
  applyIntervalUs: 0,
  quota: {
    ms: Math.floor(p.quotaMs / 2),
    sz: 0,
    resetIntervalMs: p.quotaResetIntervalMs,
    weightSz: 0,
    weightNrAccesses: 1,
    weightAge: 1,
    goals
  },
  wmarks,
  filters
})

/**
 * Builds the parameter context from the parameters; the first invalid parameter is an
 * `InvalidArgument` naming it (`damon_lru_sort.<name>`).
 *
 * **Details**
 * Mirrors `damon_lru_sort_apply_parameters()` up to (not including) `damon_commit_ctx()`, in its
 * order: `addr_unit` (power-of-two minimum region size), `sample_interval != 0`, the autotune
 * override, `damon_set_attrs()`'s rules, `hot_thres = max_nr_accesses * hot_thres_access_freq /
 * 1000` and `cold_thres = cold_min_age / aggr_interval` (both `unsigned int`), the hot scheme
 * (`lru_prio`, nr_accesses `[hot_thres, UINT_MAX]`) then the cold one (`lru_deprio`,
 * nr_accesses `[0, 0]`, age `[cold_thres, UINT_MAX]`), the goals (`active_mem_bp > 10000` is
 * `-EINVAL`; hot aims at `active_mem_bp`, cold at `inactive_mem_bp = 10000 - active_mem_bp + 2`,
 * a deliberate 0.02 % overlap against ping-pong), the young filters (hot:
 * `young, matching=N, allow=N`; cold: `young, matching=Y, allow=N`), then the monitoring region
 * (`damon_set_region_system_rams_default()` or the biggest System RAM, per `defaultRegion`).
 */
export const buildLruSort = (
  p: LruSortParams,
  ram: ReadonlyArray<AddrRange>,
  defaultRegion: DefaultRegion
): Result.Result<LruSortBuild, DamonError> => {
  const addrError = checkAddrUnit(PREFIX, p.addrUnit)
  if (addrError !== undefined) return Result.fail(addrError)
  if (p.sampleIntervalUs === 0) return Result.fail(invalidArgument(`${PREFIX}.sample_interval`, 0, "must not be 0"))
  const attrs: AttrsInput = p.autotuneMonitoringIntervals
    ? { ...autotunedAttrs, minNrRegions: p.minNrRegions, maxNrRegions: p.maxNrRegions }
    : {
      sampleIntervalUs: p.sampleIntervalUs,
      aggrIntervalUs: p.aggrIntervalUs,
      minNrRegions: p.minNrRegions,
      maxNrRegions: p.maxNrRegions
    }
  const sampleUs = attrs.sampleIntervalUs!
  const aggrUs = attrs.aggrIntervalUs!
  const attrsError = checkMonAttrs(PREFIX, { ...p, sampleIntervalUs: sampleUs, aggrIntervalUs: aggrUs })
  if (attrsError !== undefined) return Result.fail(attrsError)
  const wmarks = wmarksOf(PREFIX, p)
  if (Result.isFailure(wmarks)) return Result.fail(wmarks.failure)
  const hotThres = u32(Number((BigInt(maxNrAccesses(sampleUs, aggrUs)) * BigInt(p.hotThresAccessFreq)) / 1000n))
  const coldThres = u32(Math.floor(p.coldMinAgeUs / aggrUs))
  if (p.activeMemBp > 10_000) {
    return Result.fail(invalidArgument(`${PREFIX}.active_mem_bp`, p.activeMemBp, "must be <= 10000"))
  }
  const goals = p.activeMemBp === 0
    ? { hot: [], cold: [] }
    : {
      hot: [{ metric: "active_mem_bp", targetValue: p.activeMemBp }] as const,
      cold: [{ metric: "inactive_mem_bp", targetValue: 10_000 - p.activeMemBp + 2 }] as const
    }
  const filters = p.filterYoungPages
    ? { hot: [{ type: "young", matching: false, allow: false }], cold: [{ type: "young", matching: true, allow: false }] }
    : { hot: [], cold: [] }
  const hotPattern = { minNrAccesses: hotThres, maxNrAccesses: UINT_MAX, minAgeRegion: 0 }
  const coldPattern = { minNrAccesses: 0, maxNrAccesses: 0, minAgeRegion: coldThres }
  const hot = schemeOf(p, "lru_prio", hotPattern, wmarks.success, goals.hot, filters.hot)
  const cold = schemeOf(p, "lru_deprio", coldPattern, wmarks.success, goals.cold, filters.cold)
  const region = monitorRegion(PREFIX, p, ram, defaultRegion)
  if (Result.isFailure(region)) return Result.fail(region.failure)
  return Result.succeed({
    config: paddrConfig(attrs, region.success, [hot, cold], p.addrUnit),
    region: region.success,
    hotThres,
    coldThres
  })
}

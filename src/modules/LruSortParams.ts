/**
 * DAMON_LRU_SORT's input parameters (`/sys/module/damon_lru_sort/parameters/`) as a typed record
 * with the kernel's defaults and a Schema, and the table that maps each kernel parameter name to
 * its field. Mirrors the `module_param*()` declarations of `mm/damon/lru_sort.c` (defaults from
 * its static initialisers). Pure; what the parameters mean is in `LruSortCtx.ts`.
 */
import * as Schema from "effect/Schema"
import { addrUnitParam, boolParam, type InputParam, ulongParam } from "./ModuleParams.ts"
import {
  monAttrsTable,
  type MonAttrsParams,
  regionTable,
  type RegionParams,
  type SchemeStats,
  statsParamNames,
  timeQuotaTable,
  type TimeQuotaParams,
  wmarksTable,
  type WmarksParams
} from "./ModulesCommon.ts"

/** The module parameter prefix (`MODULE_PARAM_PREFIX`, without the dot). */
export const PREFIX = "damon_lru_sort"

/** DAMON_LRU_SORT's input parameters. */
export interface LruSortParams extends MonAttrsParams, WmarksParams, TimeQuotaParams, RegionParams {
  /** `active_mem_bp`: target active/(active+inactive) LRU memory, bp (0 = off, at most 10000). Defaults to `0`. */
  readonly activeMemBp: number
  /** `autotune_monitoring_intervals`: tune sampling and aggregation intervals. Defaults to `false`. */
  readonly autotuneMonitoringIntervals: boolean
  /** `filter_young_pages`: re-check page youngness before each (de)prioritization. Defaults to `false`. */
  readonly filterYoungPages: boolean
  /** `hot_thres_access_freq`: hot region access frequency threshold, per-mille. Defaults to `500`. */
  readonly hotThresAccessFreq: number
  /** `cold_min_age`: regions not accessed for this long are cold, µs. Defaults to `120000000` (120 s). */
  readonly coldMinAgeUs: number
  /** `quota_ms`: time quota per reset interval, ms, split evenly between the two schemes. Defaults to `10`. */
  readonly quotaMs: number
  /** `quota_reset_interval_ms`. Defaults to `1000`. */
  readonly quotaResetIntervalMs: number
  /** `wmarks_interval`, µs. Defaults to `5000000`. */
  readonly wmarksIntervalUs: number
  /** `wmarks_high`, free memory per-mille. Defaults to `200`. */
  readonly wmarksHigh: number
  /** `wmarks_mid`. Defaults to `150`. */
  readonly wmarksMid: number
  /** `wmarks_low`. Defaults to `50`. */
  readonly wmarksLow: number
  /** `sample_interval`, µs. Defaults to `5000`. */
  readonly sampleIntervalUs: number
  /** `aggr_interval`, µs. Defaults to `100000`. */
  readonly aggrIntervalUs: number
  /** `min_nr_regions`. Defaults to `10`. */
  readonly minNrRegions: number
  /** `max_nr_regions`. Defaults to `1000`. */
  readonly maxNrRegions: number
  /** `monitor_region_start`, `addr_unit` units. Defaults to `0`. */
  readonly monitorRegionStart: number
  /** `monitor_region_end`. Defaults to `0`; both 0 = the default region, written back at enable. */
  readonly monitorRegionEnd: number
  /** `addr_unit`. Defaults to `1`; 0 is refused. */
  readonly addrUnit: number
}

/** The kernel's defaults. */
export const defaults: LruSortParams = {
  activeMemBp: 0,
  autotuneMonitoringIntervals: false,
  filterYoungPages: false,
  hotThresAccessFreq: 500,
  coldMinAgeUs: 120_000_000,
  quotaMs: 10,
  quotaResetIntervalMs: 1000,
  wmarksIntervalUs: 5_000_000,
  wmarksHigh: 200,
  wmarksMid: 150,
  wmarksLow: 50,
  sampleIntervalUs: 5000,
  aggrIntervalUs: 100_000,
  minNrRegions: 10,
  maxNrRegions: 1000,
  monitorRegionStart: 0,
  monitorRegionEnd: 0,
  addrUnit: 1
}


/** Schema of the typed parameters: every field optional, defaulting to the kernel's value. */
export const LruSortParamsSchema = Schema.Struct({
  activeMemBp: ulongParam(defaults.activeMemBp),
  autotuneMonitoringIntervals: boolParam(defaults.autotuneMonitoringIntervals),
  filterYoungPages: boolParam(defaults.filterYoungPages),
  hotThresAccessFreq: ulongParam(defaults.hotThresAccessFreq),
  coldMinAgeUs: ulongParam(defaults.coldMinAgeUs),
  quotaMs: ulongParam(defaults.quotaMs),
  quotaResetIntervalMs: ulongParam(defaults.quotaResetIntervalMs),
  wmarksIntervalUs: ulongParam(defaults.wmarksIntervalUs),
  wmarksHigh: ulongParam(defaults.wmarksHigh),
  wmarksMid: ulongParam(defaults.wmarksMid),
  wmarksLow: ulongParam(defaults.wmarksLow),
  sampleIntervalUs: ulongParam(defaults.sampleIntervalUs),
  aggrIntervalUs: ulongParam(defaults.aggrIntervalUs),
  minNrRegions: ulongParam(defaults.minNrRegions),
  maxNrRegions: ulongParam(defaults.maxNrRegions),
  monitorRegionStart: ulongParam(defaults.monitorRegionStart),
  monitorRegionEnd: ulongParam(defaults.monitorRegionEnd),
  addrUnit: addrUnitParam(defaults.addrUnit)
})

/** A typed patch: any subset of the input parameters. */
export type LruSortParamsInput = typeof LruSortParamsSchema.Encoded

/** Every input parameter, by kernel name (`enabled` and `commit_inputs` are commands, see `DamonLruSort.ts`). */
export const inputTable: ReadonlyArray<InputParam<LruSortParams>> = [
  { name: "active_mem_bp", key: "activeMemBp", kind: "ulong" },
  { name: "autotune_monitoring_intervals", key: "autotuneMonitoringIntervals", kind: "bool" },
  { name: "filter_young_pages", key: "filterYoungPages", kind: "bool" },
  { name: "hot_thres_access_freq", key: "hotThresAccessFreq", kind: "ulong" },
  { name: "cold_min_age", key: "coldMinAgeUs", kind: "ulong" },
  ...timeQuotaTable<LruSortParams>(),
  ...wmarksTable<LruSortParams>(),
  ...monAttrsTable<LruSortParams>(),
  ...regionTable<LruSortParams>()
]

/** The statistics of both schemes, as the read-only parameters show them. */
export interface LruSortStats {
  /** The `lru_prio` scheme: `*_lru_sort_tried_hot_regions`, `*_lru_sorted_hot_regions`, `nr_hot_quota_exceeds`. */
  readonly hot: SchemeStats
  /** The `lru_deprio` scheme: `*_lru_sort_tried_cold_regions`, `*_lru_sorted_cold_regions`, `nr_cold_quota_exceeds`. */
  readonly cold: SchemeStats
}

/** The read-only statistics parameters of the hot scheme. */
export const hotStatsTable = statsParamNames("lru_sort_tried_hot_regions", "lru_sorted_hot_regions", "hot_quota_exceeds")

/** The read-only statistics parameters of the cold scheme. */
export const coldStatsTable = statsParamNames("lru_sort_tried_cold_regions", "lru_sorted_cold_regions", "cold_quota_exceeds")

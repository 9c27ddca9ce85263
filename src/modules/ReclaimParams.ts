/**
 * DAMON_RECLAIM's input parameters (`/sys/module/damon_reclaim/parameters/`) as a typed record
 * with the kernel's defaults and a Schema, and the table that maps each kernel parameter name to
 * its field. Mirrors the `module_param*()` declarations of `mm/damon/reclaim.c` (defaults from its
 * static initialisers). Pure; what the parameters mean is in `ReclaimCtx.ts`.
 */
import * as Schema from "effect/Schema"
import { addrUnitParam, boolParam, type InputParam, ulongParam } from "./ModuleParams.ts"
import {
  monAttrsTable,
  type MonAttrsParams,
  regionTable,
  type RegionParams,
  statsParamNames,
  timeQuotaTable,
  type TimeQuotaParams,
  wmarksTable,
  type WmarksParams
} from "./ModulesCommon.ts"

/** The module parameter prefix (`MODULE_PARAM_PREFIX`, without the dot). */
export const PREFIX = "damon_reclaim"

/** DAMON_RECLAIM's input parameters. */
export interface ReclaimParams extends MonAttrsParams, WmarksParams, TimeQuotaParams, RegionParams {
  /** `min_age`: regions not accessed for this long are cold, µs. Defaults to `120000000` (120 s). */
  readonly minAgeUs: number
  /** `quota_ms`: time quota per reset interval, ms (0 = none). Defaults to `10`. */
  readonly quotaMs: number
  /** `quota_sz`: size quota per reset interval, bytes (0 = none). Defaults to `134217728` (128 MiB). */
  readonly quotaSz: number
  /** `quota_reset_interval_ms`: the quota charge window, ms. Defaults to `1000`. */
  readonly quotaResetIntervalMs: number
  /** `quota_mem_pressure_us`: target "some" memory PSI per window, µs (0 = off). Defaults to `0`. */
  readonly quotaMemPressureUs: number
  /** `quota_autotune_feedback`: user feedback aiming at 10,000 (0 = off). Defaults to `0`. */
  readonly quotaAutotuneFeedback: number
  /** `wmarks_interval`, µs. Defaults to `5000000`. */
  readonly wmarksIntervalUs: number
  /** `wmarks_high`, free memory per-mille. Defaults to `500`. */
  readonly wmarksHigh: number
  /** `wmarks_mid`. Defaults to `400`. */
  readonly wmarksMid: number
  /** `wmarks_low`. Defaults to `200`. */
  readonly wmarksLow: number
  /** `sample_interval`, µs. Defaults to `5000`. */
  readonly sampleIntervalUs: number
  /** `aggr_interval`, µs. Defaults to `100000`. */
  readonly aggrIntervalUs: number
  /** `min_nr_regions`. Defaults to `10`. */
  readonly minNrRegions: number
  /** `max_nr_regions`. Defaults to `1000`. */
  readonly maxNrRegions: number
  /** `monitor_region_start`, `addr_unit` units. Defaults to `0` (see `monitorRegionEnd`). */
  readonly monitorRegionStart: number
  /** `monitor_region_end`. Defaults to `0`; both 0 = the default region, written back at enable. */
  readonly monitorRegionEnd: number
  /** `addr_unit`. Defaults to `1`; 0 is refused. */
  readonly addrUnit: number
  /** `skip_anon`: do not reclaim anonymous pages. Defaults to `false`. */
  readonly skipAnon: boolean
}

/** The kernel's defaults. */
export const defaults: ReclaimParams = {
  minAgeUs: 120_000_000,
  quotaMs: 10,
  quotaSz: 128 * 1024 * 1024,
  quotaResetIntervalMs: 1000,
  quotaMemPressureUs: 0,
  quotaAutotuneFeedback: 0,
  wmarksIntervalUs: 5_000_000,
  wmarksHigh: 500,
  wmarksMid: 400,
  wmarksLow: 200,
  sampleIntervalUs: 5000,
  aggrIntervalUs: 100_000,
  minNrRegions: 10,
  maxNrRegions: 1000,
  monitorRegionStart: 0,
  monitorRegionEnd: 0,
  addrUnit: 1,
  skipAnon: false
}


/** Schema of the typed parameters: every field optional, defaulting to the kernel's value. */
export const ReclaimParamsSchema = Schema.Struct({
  minAgeUs: ulongParam(defaults.minAgeUs),
  quotaMs: ulongParam(defaults.quotaMs),
  quotaSz: ulongParam(defaults.quotaSz),
  quotaResetIntervalMs: ulongParam(defaults.quotaResetIntervalMs),
  quotaMemPressureUs: ulongParam(defaults.quotaMemPressureUs),
  quotaAutotuneFeedback: ulongParam(defaults.quotaAutotuneFeedback),
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
  addrUnit: addrUnitParam(defaults.addrUnit),
  skipAnon: boolParam(defaults.skipAnon)
})

/** A typed patch: any subset of the input parameters. */
export type ReclaimParamsInput = typeof ReclaimParamsSchema.Encoded

/** Every input parameter, by kernel name (`enabled` and `commit_inputs` are commands, see `DamonReclaim.ts`). */
export const inputTable: ReadonlyArray<InputParam<ReclaimParams>> = [
  { name: "min_age", key: "minAgeUs", kind: "ulong" },
  ...timeQuotaTable<ReclaimParams>(),
  { name: "quota_sz", key: "quotaSz", kind: "ulong" },
  { name: "quota_mem_pressure_us", key: "quotaMemPressureUs", kind: "ulong" },
  { name: "quota_autotune_feedback", key: "quotaAutotuneFeedback", kind: "ulong" },
  ...wmarksTable<ReclaimParams>(),
  ...monAttrsTable<ReclaimParams>(),
  ...regionTable<ReclaimParams>(),
  { name: "skip_anon", key: "skipAnon", kind: "bool" }
]

/**
 * The read-only statistics parameters:
 * `DEFINE_DAMON_MODULES_DAMOS_STATS_PARAMS(stat, reclaim_tried_regions, reclaimed_regions, quota_exceeds)`.
 */
export const statsTable = statsParamNames("reclaim_tried_regions", "reclaimed_regions", "quota_exceeds")

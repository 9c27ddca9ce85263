/**
 * The values behind the DAMON admin tree (`/sys/kernel/mm/damon/admin`), one record per
 * directory as the kernel's `struct damon_sysfs_*` objects, with the kernel's defaults (the
 * `*_alloc()` functions of `mm/damon/sysfs.c`, `sysfs-schemes.c` and `sysfs-common.c`).
 * Unsigned-long values are bigints so u64 input round-trips exactly. Pure data; the file view
 * (names, modes, parse and format) is `Tree.ts`. Leaves out the NEXT-only files (`pause`,
 * `monitoring_attrs/probes`, `quotas/fail_charge_{num,denom}`, tried-region `probes`).
 *
 * **Gotchas**
 * The records are mutated in place by file writes and by the `state` commands' copies.
 */
import type { Action, FilterType, GoalMetric, GoalTuner, WmarkMetric } from "../model/Damos.ts"

/** A `damon_sysfs_ul_range` (`min`/`max` files). */
export interface ULRange {
  min: bigint
  max: bigint
}

/** `targets/<T>/regions/<R>/`. */
export interface RegionDir {
  start: bigint
  end: bigint
}

/** `targets/<T>/`. */
export interface TargetDir {
  pid: number
  obsolete: boolean
  regions: Array<RegionDir>
}

/** `monitoring_attrs/`. */
export interface AttrsDir {
  sampleUs: bigint
  aggrUs: bigint
  updateUs: bigint
  goal: { accessBp: bigint; aggrs: bigint; minSampleUs: bigint; maxSampleUs: bigint }
  nrRegions: ULRange
}

/** Which filter types a filters directory accepts (`enum damos_sysfs_filter_handle_layer`). */
export type FilterLayer = "core" | "ops" | "both"

/** `<filters dir>/<F>/`. */
export interface FilterDir {
  type: FilterType
  matching: boolean
  allow: boolean
  /** Raw text as written (kept with its newline, as the kernel keeps it); `null` = never written. */
  memcgPath: string | null
  addrStart: bigint
  addrEnd: bigint
  min: bigint
  max: bigint
  targetIdx: number
}

/** `core_filters/`, `ops_filters/` or `filters/`. */
export interface FiltersDir {
  readonly layer: FilterLayer
  items: Array<FilterDir>
}

/** `quotas/goals/<G>/`. */
export interface GoalDir {
  metric: GoalMetric
  targetValue: bigint
  currentValue: bigint
  nid: number
  /** Raw memcg path text; `null` = never written. */
  path: string | null
}

/** `quotas/`. */
export interface QuotasDir {
  ms: bigint
  sz: bigint
  resetIntervalMs: bigint
  effectiveSz: bigint
  goalTuner: GoalTuner
  weights: { sz: number; nrAccesses: number; age: number }
  goals: Array<GoalDir>
}

/** `watermarks/`. */
export interface WatermarksDir {
  metric: WmarkMetric
  intervalUs: bigint
  high: bigint
  mid: bigint
  low: bigint
}

/** `stats/`. */
export interface StatsDir {
  nrTried: bigint
  szTried: bigint
  nrApplied: bigint
  szApplied: bigint
  szOpsFilterPassed: bigint
  qtExceeds: bigint
  nrSnapshots: bigint
  maxNrSnapshots: bigint
}

/** `tried_regions/<N>/`. */
export interface TriedRegionDir {
  readonly start: bigint
  readonly end: bigint
  readonly nrAccesses: number
  readonly age: number
  readonly szFilterPassed: bigint
}

/** `tried_regions/`. */
export interface TriedRegionsDir {
  totalBytes: bigint
  regions: Array<TriedRegionDir>
}

/** `schemes/<S>/`. */
export interface SchemeDir {
  action: Action
  accessPattern: { sz: ULRange; nrAccesses: ULRange; age: ULRange }
  applyIntervalUs: bigint
  quotas: QuotasDir
  watermarks: WatermarksDir
  coreFilters: FiltersDir
  opsFilters: FiltersDir
  filters: FiltersDir
  stats: StatsDir
  triedRegions: TriedRegionsDir
  targetNid: number
  dests: Array<{ id: number; weight: number }>
}

/** `contexts/<C>/`. */
export interface ContextDir {
  operations: string
  addrUnit: bigint
  attrs: AttrsDir
  targets: Array<TargetDir>
  schemes: Array<SchemeDir>
}

/** `kdamonds/<K>/`. */
export interface KdamondDir {
  refreshMs: number
  contexts: Array<ContextDir>
}

/** The admin root: `kdamonds/`. */
export interface AdminRoot {
  kdamonds: Array<KdamondDir>
}

/** `NUMA_NO_NODE`. */
export const NUMA_NO_NODE = -1

/** A region with the kernel's defaults (`damon_sysfs_region_alloc()`: zeroed). */
export const newRegion = (): RegionDir => ({ start: 0n, end: 0n })

/** A target with the kernel's defaults (`damon_sysfs_target_alloc()`: zeroed, no regions). */
export const newTarget = (): TargetDir => ({ pid: 0, obsolete: false, regions: [] })

/** Monitoring attributes with the kernel's defaults (`damon_sysfs_attrs_add_dirs()`). */
export const newAttrs = (): AttrsDir => ({
  sampleUs: 5000n,
  aggrUs: 100_000n,
  updateUs: 60_000_000n,
  goal: { accessBp: 0n, aggrs: 0n, minSampleUs: 0n, maxSampleUs: 0n },
  nrRegions: { min: 10n, max: 1000n }
})

/** A filter with the kernel's defaults (`damon_sysfs_scheme_filter_alloc()`: zeroed, type anon). */
export const newFilter = (): FilterDir => ({
  type: "anon",
  matching: false,
  allow: false,
  memcgPath: null,
  addrStart: 0n,
  addrEnd: 0n,
  min: 0n,
  max: 0n,
  targetIdx: 0
})

/** A quota goal with the kernel's defaults (`damos_sysfs_quota_goal_alloc()`: zeroed, `user_input`). */
export const newGoal = (): GoalDir => ({ metric: "user_input", targetValue: 0n, currentValue: 0n, nid: 0, path: null })

/** A migration destination with the kernel's defaults (zeroed). */
export const newDest = (): { id: number; weight: number } => ({ id: 0, weight: 0 })

const zeroStats = (): StatsDir => ({
  nrTried: 0n,
  szTried: 0n,
  nrApplied: 0n,
  szApplied: 0n,
  szOpsFilterPassed: 0n,
  qtExceeds: 0n,
  nrSnapshots: 0n,
  maxNrSnapshots: 0n
})

/**
 * A scheme with the kernel's defaults: action `stat`, apply interval 0 (= aggregation interval),
 * every access-pattern bound 0, quotas and weights 0 with the `consist` tuner, watermark metric
 * `none`, no filters, goals or destinations, `target_nid` -1.
 *
 * **Details**
 * Mirrors `damon_sysfs_scheme_alloc(DAMOS_STAT, 0)` plus `damon_sysfs_scheme_add_dirs()`.
 */
export const newScheme = (): SchemeDir => ({
  action: "stat",
  accessPattern: { sz: { min: 0n, max: 0n }, nrAccesses: { min: 0n, max: 0n }, age: { min: 0n, max: 0n } },
  applyIntervalUs: 0n,
  quotas: {
    ms: 0n,
    sz: 0n,
    resetIntervalMs: 0n,
    effectiveSz: 0n,
    goalTuner: "consist",
    weights: { sz: 0, nrAccesses: 0, age: 0 },
    goals: []
  },
  watermarks: { metric: "none", intervalUs: 0n, high: 0n, mid: 0n, low: 0n },
  coreFilters: { layer: "core", items: [] },
  opsFilters: { layer: "ops", items: [] },
  filters: { layer: "both", items: [] },
  stats: zeroStats(),
  triedRegions: { totalBytes: 0n, regions: [] },
  targetNid: NUMA_NO_NODE,
  dests: []
})

/** A context with the kernel's defaults (`damon_sysfs_context_alloc(DAMON_OPS_VADDR)`, `addr_unit` 1). */
export const newContext = (): ContextDir => ({
  operations: "vaddr",
  addrUnit: 1n,
  attrs: newAttrs(),
  targets: [],
  schemes: []
})

/** A kdamond directory with the kernel's defaults (no contexts, `refresh_ms` 0). */
export const newKdamond = (): KdamondDir => ({ refreshMs: 0, contexts: [] })

/** An empty admin root (no kdamonds). */
export const newRoot = (): AdminRoot => ({ kdamonds: [] })

/** `n` fresh items (the `*_add_dirs(nr)` functions: old children are dropped, new ones get defaults). */
export const fresh = <A>(n: number, make: () => A): Array<A> => Array.from({ length: n }, make)

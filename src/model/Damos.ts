/**
 * DAMOS schemes: `struct damos` and its parts (access pattern, action, quota with goals,
 * watermarks, filters, migration destinations, stats) as in `include/linux/damon.h` (R2).
 *
 * Two shapes: {@link SchemeConfig} is what users write (immutable, validated by
 * `DamosConfig.decode`); {@link Damos} is the running scheme a kdamond owns, with the kernel's
 * private state (quota charging, watermark activation, walk bookkeeping). Pure data.
 */
import type { AddrRange, SizeRange } from "./AddrRange.ts"
import type { Target } from "./Target.ts"

/** Every DAMOS action, by its sysfs name (R2 order, including `collapse`). */
export const actions = [
  "willneed",
  "cold",
  "pageout",
  "hugepage",
  "nohugepage",
  "collapse",
  "lru_prio",
  "lru_deprio",
  "migrate_hot",
  "migrate_cold",
  "stat"
] as const

/** A DAMOS action. Mirrors `enum damos_action`. */
export type Action = (typeof actions)[number]

/** Access pattern: closed ranges of size (bytes), nr_accesses (samples/window) and age (windows). */
export interface AccessPattern {
  readonly minSzRegion: number
  readonly maxSzRegion: number
  readonly minNrAccesses: number
  readonly maxNrAccesses: number
  readonly minAgeRegion: number
  readonly maxAgeRegion: number
}

/** Quota goal metrics, by sysfs name. Mirrors `enum damos_quota_goal_metric` (R2). */
export const goalMetrics = [
  "user_input",
  "some_mem_psi_us",
  "node_mem_used_bp",
  "node_mem_free_bp",
  "node_memcg_used_bp",
  "node_memcg_free_bp",
  "active_mem_bp",
  "inactive_mem_bp",
  "node_eligible_mem_bp"
] as const

/** A quota goal metric. */
export type GoalMetric = (typeof goalMetrics)[number]

/** A quota auto-tuning goal. Mirrors `struct damos_quota_goal`. */
export interface QuotaGoal {
  readonly metric: GoalMetric
  /** Target value of the metric (non-zero). */
  readonly targetValue: number
  /** Current value: set by the user for `user_input`, measured for every other metric. */
  readonly currentValue: number
  /** NUMA node for the node metrics. */
  readonly nid: number
  /** Memory cgroup id for the memcg metrics. */
  readonly memcgId: number
}

/** Goal tuners (R2). */
export type GoalTuner = "consist" | "temporal"

/** Quota parameters. Mirrors the public part of `struct damos_quota`. */
export interface Quota {
  /** Charge window length, in milliseconds. */
  readonly resetIntervalMs: number
  /** Time quota per window, in milliseconds; `0` = none. */
  readonly ms: number
  /** Size quota per window, in bytes; `0` = none. */
  readonly sz: number
  readonly goals: ReadonlyArray<QuotaGoal>
  readonly goalTuner: GoalTuner
  /** Prioritisation weights (per-mille in sysfs). */
  readonly weightSz: number
  readonly weightNrAccesses: number
  readonly weightAge: number
}

/** Watermark metrics. */
export type WmarkMetric = "none" | "free_mem_rate"

/** Watermarks. Mirrors the public part of `struct damos_watermarks`. */
export interface Watermarks {
  readonly metric: WmarkMetric
  /** Re-check interval while deactivated, in microseconds. */
  readonly intervalUs: number
  readonly high: number
  readonly mid: number
  readonly low: number
}

/** Filter types by sysfs name. Mirrors `enum damos_filter_type`. */
export const filterTypes = ["anon", "active", "memcg", "young", "hugepage_size", "unmapped", "addr", "target"] as const

/** A filter type. */
export type FilterType = (typeof filterTypes)[number]

/** Filter types the core layer handles; every other type is handled by the ops layer. */
export const coreFilterTypes: ReadonlyArray<FilterType> = ["addr", "target"]

/** True for the ops-handled filter types. Mirrors `damos_filter_for_ops()`. */
export const isOpsFilterType = (type: FilterType): boolean => type !== "addr" && type !== "target"

/** A DAMOS filter. Mirrors `struct damos_filter`; only the field its type uses is present. */
export type Filter =
  | { readonly type: "anon" | "active" | "young" | "unmapped"; readonly matching: boolean; readonly allow: boolean }
  | { readonly type: "memcg"; readonly matching: boolean; readonly allow: boolean; readonly memcgId: number }
  | { readonly type: "addr"; readonly matching: boolean; readonly allow: boolean; readonly addrRange: AddrRange }
  | { readonly type: "target"; readonly matching: boolean; readonly allow: boolean; readonly targetIdx: number }
  | {
    readonly type: "hugepage_size"
    readonly matching: boolean
    readonly allow: boolean
    readonly szRange: SizeRange
  }

/** A weighted migration destination. Mirrors one entry of `struct damos_migrate_dests`. */
export interface MigrateDest {
  readonly nid: number
  readonly weight: number
}

/** Statistics. Mirrors `struct damos_stat` (R2). */
export interface Stat {
  nrTried: number
  szTried: number
  nrApplied: number
  szApplied: number
  szOpsFilterPassed: number
  qtExceeds: number
  nrSnapshots: number
}

/**
 * A running scheme's statistics, in a class of their own: an object literal with these keys in
 * this order shares V8's hidden class with every such literal, the schema of a scheme's
 * running state among them (`Schema.Struct({ nrTried: ULong, ... })`), whose values are
 * objects; the shared fields are then stored untyped and each byte count added in an apply pass
 * allocated a number (docs/performance.md, "The apply pass, measured inside the run").
 */
class SchemeStat implements Stat {
  // `declare`: no class-field initialiser, which would store `undefined` first and untype the fields again
  declare nrTried: number
  declare szTried: number
  declare nrApplied: number
  declare szApplied: number
  declare szOpsFilterPassed: number
  declare qtExceeds: number
  declare nrSnapshots: number
  constructor(from: Stat) {
    this.nrTried = from.nrTried
    this.szTried = from.szTried
    this.nrApplied = from.nrApplied
    this.szApplied = from.szApplied
    this.szOpsFilterPassed = from.szOpsFilterPassed
    this.qtExceeds = from.qtExceeds
    this.nrSnapshots = from.nrSnapshots
  }
}

/** Statistics for a running scheme: a copy of `from`, or all zero. */
export const makeStat = (from?: Stat): Stat => new SchemeStat(from ?? noStat)

const noStat: Stat = new SchemeStat({ nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, szOpsFilterPassed: 0, qtExceeds: 0, nrSnapshots: 0 })

/** A scheme as the user writes it. */
export interface SchemeConfig {
  readonly pattern: AccessPattern
  readonly action: Action
  /** Time between applications, in microseconds; `0` = the aggregation interval. */
  readonly applyIntervalUs: number
  readonly quota: Quota
  readonly wmarks: Watermarks
  /** Migration target node when `dests` is empty; `-1` = none. */
  readonly targetNid: number
  readonly dests: ReadonlyArray<MigrateDest>
  /** Filters in the order they were added; each lands in the core or ops list by type. */
  readonly filters: ReadonlyArray<Filter>
  /** Stop applying after this many snapshots; `0` = unlimited. */
  readonly maxNrSnapshots: number
}

/** Mutable goal state: the config plus the PSI baseline the kernel keeps. */
export interface GoalState {
  metric: GoalMetric
  targetValue: number
  currentValue: number
  nid: number
  memcgId: number
  /** `last_psi_total`: PSI total at the previous measurement, in microseconds. */
  lastPsiTotal: number
}

/** Mutable quota state: parameters plus the kernel's private charging state. */
export interface QuotaState {
  resetIntervalMs: number
  ms: number
  sz: number
  goals: Array<GoalState>
  goalTuner: GoalTuner
  weightSz: number
  weightNrAccesses: number
  weightAge: number
  /**
   * Effective size quota of the current window, in bytes. The kernel's `ULONG_MAX` ("unlimited")
   * is represented as `Number.MAX_SAFE_INTEGER`; every computed value saturates there.
   */
  esz: number
  /** Feedback-loop state, in bytes x 10000 (may exceed 2^53: kept as bigint). */
  eszBp: bigint
  totalChargedSz: number
  totalChargedNs: number
  chargedSz: number
  /**
   * Start of the current charge window, in milliseconds of the kdamond clock; `-1` = no window
   * yet (the kernel uses `0` plus `total_charged_sz == 0`, but time 0 is a valid virtual time).
   */
  chargedFrom: number
  /** The target where the last window stopped; `null` = none. */
  chargeTargetFrom: Target | null
  /** Address where the last window stopped (`r.end`); `0` = none. */
  chargeAddrFrom: number
  /** Lowest score that still fits in the quota (prioritisation). */
  minScore: number
}

/** Mutable watermark state. */
export interface WatermarksState {
  metric: WmarkMetric
  intervalUs: number
  high: number
  mid: number
  low: number
  /** Private: whether the scheme is active; true at creation. */
  activated: boolean
}

/**
 * A running scheme, owned by one kdamond.
 *
 * **Gotchas**
 * Mutated in place by the kdamond (stats, quota charging, activation, walk bookkeeping).
 */
export interface Damos {
  pattern: AccessPattern
  action: Action
  applyIntervalUs: number
  quota: QuotaState
  wmarks: WatermarksState
  targetNid: number
  dests: Array<MigrateDest>
  coreFilters: Array<Filter>
  opsFilters: Array<Filter>
  stat: Stat
  maxNrSnapshots: number
  /** Private: sample interval count at which the scheme is applied next. */
  nextApplySis: number
  /**
   * Private (`last_applied`): an ops-defined id of the last entity (e.g. folio start address) the
   * action was applied to, so an ops set does not apply twice to an entity spanning regions;
   * `-1` = none. Reset after every apply pass of the scheme.
   */
  lastApplied: number
  /** Private: this scheme finished its pass for the pending walk. */
  walkCompleted: boolean
  /** Private: the last core filter that matched allowed the region. */
  coreFiltersAllowed: boolean
  coreFiltersDefaultReject: boolean
  opsFiltersDefaultReject: boolean
}

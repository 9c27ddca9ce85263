/**
 * Metrics of every kdamond of the admin tree and of its schemes, as Prometheus families: the
 * kdamond's own counters (`Kdamond.stats`) and each scheme's statistics and effective quota (the
 * numbers `update_schemes_stats` and `update_schemes_effective_quotas` copy into
 * `schemes/<S>/stats/` and `quotas/effective_bytes`). Everything is read through the engine's
 * public API: `stats`, `isRunning` and one `damonCall` per running kdamond; nothing reaches into
 * a kdamond, and the admin tree is neither locked nor changed (a scrape never makes a `state`
 * command fail `EBUSY`). The kernel has no counterpart (DAMON exports tracepoints, not metrics).
 */
import * as Effect from "effect/Effect"
import type { Kdamond } from "../engine/Kdamond.ts"
import { type KdamondStats, latencyBucketsUs } from "../engine/KdamondStats.ts"
import type { Stat } from "../model/Damos.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { format, histogramSamples, type Labels, type MetricFamily, type MetricType } from "./Prometheus.ts"

/** One running scheme, as one `damonCall` saw it. */
export interface SchemeMetrics {
  /** Position in the running context (`schemes/<S>/`). */
  readonly index: number
  readonly action: string
  readonly stat: Stat
  /**
   * Effective size quota of the current charge window, in bytes, as `quotas/effective_bytes`
   * shows it: `0` for a scheme without any quota (the kernel's `esz = sz`), `Infinity` for the
   * engine's saturated 2^53-1 (the kernel's `ULONG_MAX`, "no size limit" under a time quota or goals).
   */
  readonly effectiveQuotaBytes: number
}

/** One `kdamonds/<K>/` directory. */
export interface KdamondMetrics {
  /** `<K>` in `kdamonds/<K>/` (not the engine's `Kdamond.index`, which counts running kdamonds). */
  readonly index: number
  readonly running: boolean
  /** The kdamond's counters; `undefined` if the directory was never turned on. */
  readonly stats: KdamondStats | undefined
  /** Its schemes, only while it runs (a stopped kdamond serves no `damonCall`). */
  readonly schemes: ReadonlyArray<SchemeMetrics>
}

/** What one scrape reports. */
export type MetricsSnapshot = ReadonlyArray<KdamondMetrics>

/**
 * The snapshot of one kdamond directory: `isRunning`, `stats`, and, while it runs, one
 * `damonCall` copying every scheme's action, stats and effective quota.
 *
 * **Details**
 * One call rather than `SchemesControl.schemesStats` plus `schemesEffectiveQuotas` (and a third
 * for the actions): a `commit` between separate calls could change the schemes, and one call sees
 * one consistent context. The copy is the one `schemesStats` makes. If the kdamond stops before
 * the call is served, the directory is reported as stopped, without schemes.
 */
export const snapshotKdamond = (index: number, kdamond: Kdamond | undefined): Effect.Effect<KdamondMetrics> =>
  Effect.gen(function*() {
    if (kdamond === undefined) return { index, running: false, stats: undefined, schemes: [] }
    if (!(yield* kdamond.isRunning)) return { index, running: false, stats: yield* kdamond.stats, schemes: [] }
    const schemes = yield* kdamond.damonCall((ctx) =>
      ctx.schemes.map((s, i): SchemeMetrics => ({
        index: i,
        action: s.action,
        stat: { ...s.stat },
        effectiveQuotaBytes: s.quota.esz >= Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : s.quota.esz
      }))
    ).pipe(Effect.option)
    const stats = yield* kdamond.stats
    if (schemes._tag === "None") return { index, running: yield* kdamond.isRunning, stats, schemes: [] }
    return { index, running: true, stats, schemes: schemes.value }
  })

/** Snapshots every kdamond directory of the admin tree, in index order. */
export const collect: Effect.Effect<MetricsSnapshot, never, Sysfs> = Effect.gen(function*() {
  const sysfs = yield* Sysfs
  const entries = yield* sysfs.kdamonds
  return yield* Effect.forEach(entries, (e) => snapshotKdamond(e.index, e.kdamond))
})

/** Upper bounds of the `damonCall` latency histogram, in seconds (the engine's buckets are µs). */
export const latencyBucketsSeconds: ReadonlyArray<number> = latencyBucketsUs.map((us) => us / 1e6)

const kdamondLabels = (k: { readonly index: number }): Labels => [["kdamond", String(k.index)]]

const schemeLabels = (k: KdamondMetrics, s: SchemeMetrics): Labels => [
  ["kdamond", String(k.index)],
  ["scheme", String(s.index)],
  ["action", s.action]
]

/** A family of one number per started kdamond or per running scheme: name, type, help, value. */
type Spec<A> = readonly [name: string, type: MetricType, help: string, get: (a: A) => number]

const kdamondSpecs: ReadonlyArray<Spec<KdamondStats>> = [
  ["damon_kdamond_samples_total", "counter", "Sample intervals done since the kdamond started.", (s) => s.samples],
  [
    "damon_kdamond_region_checks_total",
    "counter",
    "Region checks (one page each) done since the kdamond started.",
    (s) => s.regionChecks
  ],
  [
    "damon_kdamond_aggregations_total",
    "counter",
    "Aggregation windows completed since the kdamond started.",
    (s) => s.aggregations
  ],
  [
    "damon_kdamond_nr_regions",
    "gauge",
    "Monitoring regions over all targets after the last aggregation.",
    (s) => s.nrRegions
  ],
  [
    "damon_kdamond_damon_calls_served_total",
    "counter",
    "damon_call functions run (repeat runs counted each).",
    (s) => s.callsServed
  ],
  [
    "damon_kdamond_damon_calls_canceled_total",
    "counter",
    "Pending damon_call requests cancelled because the kdamond stopped.",
    (s) => s.callsCanceled
  ],
  ["damon_kdamond_walks_completed_total", "counter", "damos_walk requests completed.", (s) => s.walksCompleted],
  [
    "damon_kdamond_walks_canceled_total",
    "counter",
    "damos_walk requests cancelled or withdrawn.",
    (s) => s.walksCanceled
  ]
]

const schemeSpecs: ReadonlyArray<Spec<SchemeMetrics>> = [
  [
    "damon_scheme_nr_tried_total",
    "counter",
    "Regions the scheme was tried on (stats/nr_tried).",
    (s) => s.stat.nrTried
  ],
  [
    "damon_scheme_sz_tried_bytes_total",
    "counter",
    "Bytes the scheme was tried on (stats/sz_tried).",
    (s) => s.stat.szTried
  ],
  [
    "damon_scheme_nr_applied_total",
    "counter",
    "Regions the action was applied to (stats/nr_applied).",
    (s) => s.stat.nrApplied
  ],
  [
    "damon_scheme_sz_applied_bytes_total",
    "counter",
    "Bytes the action was applied to (stats/sz_applied).",
    (s) => s.stat.szApplied
  ],
  [
    "damon_scheme_sz_ops_filter_passed_bytes_total",
    "counter",
    "Bytes that passed the operations-layer filters (stats/sz_ops_filter_passed).",
    (s) => s.stat.szOpsFilterPassed
  ],
  [
    "damon_scheme_qt_exceeds_total",
    "counter",
    "Charge windows that ended with the quota full (stats/qt_exceeds).",
    (s) => s.stat.qtExceeds
  ],
  [
    "damon_scheme_nr_snapshots_total",
    "counter",
    "Completed per-target apply passes of the scheme (stats/nr_snapshots).",
    (s) => s.stat.nrSnapshots
  ],
  [
    "damon_scheme_effective_quota_bytes",
    "gauge",
    "Effective size quota of the current charge window (quotas/effective_bytes): " +
    "0 without any quota, +Inf for ULONG_MAX.",
    (s) => s.effectiveQuotaBytes
  ]
]

/**
 * The families of a snapshot, in a fixed order: kdamond families (label `kdamond`), then scheme
 * families (labels `kdamond`, `scheme`, `action`).
 *
 * **Details**
 * `damon_kdamond_running` has a sample for every directory; the other kdamond families only for
 * directories that were turned on (their counters restart at the next `on`, which Prometheus
 * reads as a counter reset). Scheme families only cover running kdamonds. Call latency is
 * measured on the kdamond's clock: virtual seconds for a virtual-time kdamond.
 */
export const families = (snapshot: MetricsSnapshot): Array<MetricFamily> => {
  type Started = KdamondMetrics & { readonly stats: KdamondStats }
  const started = snapshot.filter((k): k is Started => k.stats !== undefined)
  const running: MetricFamily = {
    name: "damon_kdamond_running",
    type: "gauge",
    help: "1 while the kdamond runs (kdamonds/<K>/state shows on), 0 otherwise.",
    samples: snapshot.map((k) => ({ labels: kdamondLabels(k), value: k.running ? 1 : 0 }))
  }
  const latency: MetricFamily = {
    name: "damon_kdamond_damon_call_latency_seconds",
    type: "histogram",
    help: "Queueing latency of served damon_call requests (enqueue to run), on the kdamond's clock.",
    samples: started.flatMap(({ stats, ...k }) =>
      histogramSamples(kdamondLabels(k), latencyBucketsSeconds, stats.callLatencyBuckets, stats.callLatencySumUs / 1e6)
    )
  }
  return [
    running,
    ...kdamondSpecs.map(([name, type, help, get]): MetricFamily => ({
      name,
      type,
      help,
      samples: started.map((k) => ({ labels: kdamondLabels(k), value: get(k.stats) }))
    })),
    latency,
    ...schemeSpecs.map(([name, type, help, get]): MetricFamily => ({
      name,
      type,
      help,
      samples: snapshot.flatMap((k) => k.schemes.map((s) => ({ labels: schemeLabels(k, s), value: get(s) })))
    }))
  ]
}

/** The Prometheus text of a snapshot. */
export const formatMetrics = (snapshot: MetricsSnapshot): string => format(families(snapshot))

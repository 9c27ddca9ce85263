/**
 * The Prometheus text exposition: the exact text for a given metrics snapshot (kdamond and
 * scheme families, the latency histogram), escaping, values, and family omission.
 */
import { assert, describe, it } from "@effect/vitest"
import { formatMetrics, latencyBucketsSeconds, type MetricsSnapshot } from "../../src/http/DamonMetrics.ts"
import { escapeHelp, escapeLabelValue, format, formatValue, histogramSamples } from "../../src/http/Prometheus.ts"

/** A scheme's stats in the order of `schemes/<S>/stats/`. */
const stat = (...v: readonly [number, number, number, number, number, number, number]) => ({
  nrTried: v[0],
  szTried: v[1],
  nrApplied: v[2],
  szApplied: v[3],
  szOpsFilterPassed: v[4],
  qtExceeds: v[5],
  nrSnapshots: v[6]
})

const snapshot: MetricsSnapshot = [
  {
    index: 0,
    running: true,
    stats: {
      samples: 120,
      regionChecks: 1980,
      aggregations: 6,
      nrRegions: 17,
      callsServed: 5,
      callsCanceled: 1,
      walksCompleted: 2,
      walksCanceled: 0,
      callLatencyBuckets: [1, 2, 0, 1, 0, 0, 0, 0, 0, 1],
      callLatencySumUs: 250_345
    },
    schemes: [
      {
        index: 0,
        action: "pageout",
        stat: stat(10, 40960, 4, 16384, 8192, 1, 6),
        effectiveQuotaBytes: 1048576
      },
      { index: 1, action: "stat", stat: stat(0, 0, 0, 0, 0, 0, 6), effectiveQuotaBytes: Number.POSITIVE_INFINITY }
    ]
  },
  { index: 1, running: false, stats: undefined, schemes: [] }
]

const expected = `# HELP damon_kdamond_running 1 while the kdamond runs (kdamonds/<K>/state shows on), 0 otherwise.
# TYPE damon_kdamond_running gauge
damon_kdamond_running{kdamond="0"} 1
damon_kdamond_running{kdamond="1"} 0
# HELP damon_kdamond_samples_total Sample intervals done since the kdamond started.
# TYPE damon_kdamond_samples_total counter
damon_kdamond_samples_total{kdamond="0"} 120
# HELP damon_kdamond_region_checks_total Region checks (one page each) done since the kdamond started.
# TYPE damon_kdamond_region_checks_total counter
damon_kdamond_region_checks_total{kdamond="0"} 1980
# HELP damon_kdamond_aggregations_total Aggregation windows completed since the kdamond started.
# TYPE damon_kdamond_aggregations_total counter
damon_kdamond_aggregations_total{kdamond="0"} 6
# HELP damon_kdamond_nr_regions Monitoring regions over all targets after the last aggregation.
# TYPE damon_kdamond_nr_regions gauge
damon_kdamond_nr_regions{kdamond="0"} 17
# HELP damon_kdamond_damon_calls_served_total damon_call functions run (repeat runs counted each).
# TYPE damon_kdamond_damon_calls_served_total counter
damon_kdamond_damon_calls_served_total{kdamond="0"} 5
# HELP damon_kdamond_damon_calls_canceled_total Pending damon_call requests cancelled because the kdamond stopped.
# TYPE damon_kdamond_damon_calls_canceled_total counter
damon_kdamond_damon_calls_canceled_total{kdamond="0"} 1
# HELP damon_kdamond_walks_completed_total damos_walk requests completed.
# TYPE damon_kdamond_walks_completed_total counter
damon_kdamond_walks_completed_total{kdamond="0"} 2
# HELP damon_kdamond_walks_canceled_total damos_walk requests cancelled or withdrawn.
# TYPE damon_kdamond_walks_canceled_total counter
damon_kdamond_walks_canceled_total{kdamond="0"} 0
# HELP damon_kdamond_damon_call_latency_seconds Queueing latency of served damon_call requests (enqueue to run), on the kdamond's clock.
# TYPE damon_kdamond_damon_call_latency_seconds histogram
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.00001"} 1
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.00005"} 3
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.0001"} 3
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.0005"} 4
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.001"} 4
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.005"} 4
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.01"} 4
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.05"} 4
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="0.1"} 4
damon_kdamond_damon_call_latency_seconds_bucket{kdamond="0",le="+Inf"} 5
damon_kdamond_damon_call_latency_seconds_sum{kdamond="0"} 0.250345
damon_kdamond_damon_call_latency_seconds_count{kdamond="0"} 5
# HELP damon_scheme_nr_tried_total Regions the scheme was tried on (stats/nr_tried).
# TYPE damon_scheme_nr_tried_total counter
damon_scheme_nr_tried_total{kdamond="0",scheme="0",action="pageout"} 10
damon_scheme_nr_tried_total{kdamond="0",scheme="1",action="stat"} 0
# HELP damon_scheme_sz_tried_bytes_total Bytes the scheme was tried on (stats/sz_tried).
# TYPE damon_scheme_sz_tried_bytes_total counter
damon_scheme_sz_tried_bytes_total{kdamond="0",scheme="0",action="pageout"} 40960
damon_scheme_sz_tried_bytes_total{kdamond="0",scheme="1",action="stat"} 0
# HELP damon_scheme_nr_applied_total Regions the action was applied to (stats/nr_applied).
# TYPE damon_scheme_nr_applied_total counter
damon_scheme_nr_applied_total{kdamond="0",scheme="0",action="pageout"} 4
damon_scheme_nr_applied_total{kdamond="0",scheme="1",action="stat"} 0
# HELP damon_scheme_sz_applied_bytes_total Bytes the action was applied to (stats/sz_applied).
# TYPE damon_scheme_sz_applied_bytes_total counter
damon_scheme_sz_applied_bytes_total{kdamond="0",scheme="0",action="pageout"} 16384
damon_scheme_sz_applied_bytes_total{kdamond="0",scheme="1",action="stat"} 0
# HELP damon_scheme_sz_ops_filter_passed_bytes_total Bytes that passed the operations-layer filters (stats/sz_ops_filter_passed).
# TYPE damon_scheme_sz_ops_filter_passed_bytes_total counter
damon_scheme_sz_ops_filter_passed_bytes_total{kdamond="0",scheme="0",action="pageout"} 8192
damon_scheme_sz_ops_filter_passed_bytes_total{kdamond="0",scheme="1",action="stat"} 0
# HELP damon_scheme_qt_exceeds_total Charge windows that ended with the quota full (stats/qt_exceeds).
# TYPE damon_scheme_qt_exceeds_total counter
damon_scheme_qt_exceeds_total{kdamond="0",scheme="0",action="pageout"} 1
damon_scheme_qt_exceeds_total{kdamond="0",scheme="1",action="stat"} 0
# HELP damon_scheme_nr_snapshots_total Completed per-target apply passes of the scheme (stats/nr_snapshots).
# TYPE damon_scheme_nr_snapshots_total counter
damon_scheme_nr_snapshots_total{kdamond="0",scheme="0",action="pageout"} 6
damon_scheme_nr_snapshots_total{kdamond="0",scheme="1",action="stat"} 6
# HELP damon_scheme_effective_quota_bytes Effective size quota of the current charge window (quotas/effective_bytes): 0 without any quota, +Inf for ULONG_MAX.
# TYPE damon_scheme_effective_quota_bytes gauge
damon_scheme_effective_quota_bytes{kdamond="0",scheme="0",action="pageout"} 1048576
damon_scheme_effective_quota_bytes{kdamond="0",scheme="1",action="stat"} +Inf
`

describe("Prometheus", () => {
  it("formatMetrics - exact text for a snapshot: kdamond families, cumulative histogram, scheme families", () => {
    assert.strictEqual(formatMetrics(snapshot), expected)
  })

  it("formatMetrics - a tree without kdamonds is an empty exposition; a never-started kdamond only has running", () => {
    assert.strictEqual(formatMetrics([]), "")
    assert.strictEqual(
      formatMetrics([{ index: 3, running: false, stats: undefined, schemes: [] }]),
      "# HELP damon_kdamond_running 1 while the kdamond runs (kdamonds/<K>/state shows on), 0 otherwise.\n" +
        "# TYPE damon_kdamond_running gauge\n" +
        "damon_kdamond_running{kdamond=\"3\"} 0\n"
    )
  })

  it("latency buckets - the engine's microsecond bounds in seconds, ending with +Inf", () => {
    assert.deepStrictEqual(
      latencyBucketsSeconds.map(formatValue),
      ["0.00001", "0.00005", "0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1", "+Inf"]
    )
  })

  it("escaping - label values escape backslash, quote and newline; HELP escapes backslash and newline", () => {
    assert.strictEqual(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd")
    assert.strictEqual(escapeHelp("x \\ \"y\"\nz"), "x \\\\ \"y\"\\nz")
    const text = format([{
      name: "t_gauge",
      type: "gauge",
      help: "line one\nback\\slash",
      samples: [{ labels: [["path", "C:\\dir\n\"q\""], ["k", ""]], value: -1.5 }, { labels: [], value: Number.NaN }]
    }])
    assert.strictEqual(
      text,
      "# HELP t_gauge line one\\nback\\\\slash\n# TYPE t_gauge gauge\nt_gauge{path=\"C:\\\\dir\\n\\\"q\\\"\",k=\"\"} -1.5\nt_gauge NaN\n"
    )
  })

  it("values - +Inf, -Inf, NaN and plain decimals", () => {
    assert.deepStrictEqual(
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 0, 42, 0.25, 2 ** 53].map(formatValue),
      ["+Inf", "-Inf", "NaN", "0", "42", "0.25", "9007199254740992"]
    )
  })

  it("format - families without samples are left out", () => {
    assert.strictEqual(
      format([
        { name: "a_total", type: "counter", help: "a", samples: [] },
        { name: "b_total", type: "counter", help: "b", samples: [{ labels: [], value: 1 }] }
      ]),
      "# HELP b_total b\n# TYPE b_total counter\nb_total 1\n"
    )
  })

  it("histogramSamples - cumulative buckets, an added +Inf bucket when the last bound is finite, sum and count", () => {
    const samples = histogramSamples([["k", "0"]], [1, 2], [3, 4], 9.5)
    assert.deepStrictEqual(samples.map((s) => [s.suffix, s.labels, s.value]), [
      ["_bucket", [["k", "0"], ["le", "1"]], 3],
      ["_bucket", [["k", "0"], ["le", "2"]], 7],
      ["_bucket", [["k", "0"], ["le", "+Inf"]], 7],
      ["_sum", [["k", "0"]], 9.5],
      ["_count", [["k", "0"]], 7]
    ])
  })
})

/**
 * The accuracy report (what `effect-damon report accuracy` prints): DAMON and the fixed
 * baseline at the same number of checks per sample on one workload, each window judged against
 * the exact truth, summarised as percentiles. `reportAccuracy` runs it, `formatComparison`
 * prints it.
 */
import type * as Effect from "effect/Effect"
import type { DamonError } from "../model/DamonError.ts"
import { type Comparison, compare, type EvaluateOptions, type Evaluation } from "./Evaluate.ts"
import type { Summary } from "./Summary.ts"
import type { WorkloadSpec } from "./Workload.ts"

/** What to report on. */
export interface AccuracyReportOptions extends EvaluateOptions {
  readonly workload: WorkloadSpec
}

/** Runs DAMON, then the baseline at DAMON's mean checks per sample, on `options.workload`. */
export const reportAccuracy = (options: AccuracyReportOptions): Effect.Effect<Comparison, DamonError> => {
  const { workload, ...rest } = options
  return compare(workload, rest)
}

const fmt = (v: number | null, digits: number): string => (v === null ? "-" : v.toFixed(digits))

const row = (label: string, s: Summary, digits: number): string =>
  `${label.padEnd(16)}${[s.p10, s.p25, s.median, s.p75, s.p90].map((v) => fmt(v, digits).padStart(9)).join("")}${fmt(s.mean, digits).padStart(9)}` +
  `${String(s.count).padStart(8)}${s.missing > 0 ? ` (${s.missing} undefined)` : ""}`

const block = (e: Evaluation): Array<string> => [
  `## ${e.monitor === "damon" ? "DAMON (adaptive regions)" : "baseline (fixed regions, no split/merge)"}: ` +
  `${e.checksPerSample.toFixed(1)} checks per sample, ${Math.round(e.checksPerSec).toLocaleString("en-US")} checks/s`,
  `${"".padEnd(16)}${["p10", "p25", "median", "p75", "p90", "mean"].map((h) => h.padStart(9)).join("")}${"windows".padStart(8)}`,
  row("WSS error %", e.summary.wssErrorPct, 2),
  row("hot precision", e.summary.hotPrecision, 3),
  row("hot recall", e.summary.hotRecall, 3),
  row("cold precision", e.summary.coldPrecision, 3),
  row("cold recall", e.summary.coldRecall, 3),
  `pooled over windows: WSS error ${fmt(e.pooled.wssErrorPct, 2)} %, hot precision ${fmt(e.pooled.hotPrecision, 3)}, hot recall ${fmt(e.pooled.hotRecall, 3)}`
]

/** The report as text: the run's parameters, then one block per monitor (`name` defaults to the workload's). */
export const formatComparison = (c: Comparison, name: string = c.damon.workload): string => {
  const d = c.damon
  const a = d.attrs
  return [
    `# accuracy on ${name}: ${d.windows.length} windows over ${d.durationUs / 1e6} s; sample ${a.sampleIntervalUs} us, ` +
    `aggr ${a.aggrIntervalUs} us, regions ${a.minNrRegions}..${a.maxNrRegions}` +
    (a.intervalsGoal.aggrs === 0 ? "" : `, intervals tuning ${a.intervalsGoal.accessBp} bp every ${a.intervalsGoal.aggrs} aggregations`),
    `# truth: accesses per page per ${d.truthTickUs} us tick; hot = accessed in >= ${d.hotThreshold * 100}% of ticks ` +
    `(DAMON: nr_accesses >= ${d.hotThreshold * 100}% of the maximum); WSS = bytes accessed in the window ` +
    `(DAMON: regions with nr_accesses >= 1)`,
    ...block(d),
    ...block(c.baseline)
  ].join("\n")
}

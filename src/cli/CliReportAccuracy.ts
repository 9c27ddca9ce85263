/**
 * The `report accuracy` command's definition: its options and defaults, cheap to load (the
 * implementation, `ReportAccuracy.ts`, is imported when the command runs).
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { lazy } from "./CliMonitor.ts"
import type { WorkloadFlagValues } from "./WorkloadInput.ts"

/** The flags of `report accuracy`. */
export interface ReportAccuracyOptions extends WorkloadFlagValues, EvaluationFlagValues {
  readonly sampleUs: number
  readonly aggrUs: number
  readonly minNrRegions: number
  readonly maxNrRegions: number
  /** 0 = the sampling interval. */
  readonly truthTickUs: number
}

/** The flags of how each setting is run and judged, shared with `report sweep`. */
export interface EvaluationFlagValues {
  readonly durationMs: number
  readonly seed: number
  readonly updateUs: number
  readonly hotThreshold: number
  readonly warmupMs: number
}

/** The defaults of the flags. */
export const defaultReportAccuracyOptions: ReportAccuracyOptions = {
  workload: "stairs",
  trace: "",
  rate: 1,
  dataOnly: false,
  skipBadLines: false,
  durationMs: 60_000,
  seed: 1,
  sampleUs: 5000,
  aggrUs: 100_000,
  updateUs: 1_000_000,
  minNrRegions: 10,
  maxNrRegions: 1000,
  hotThreshold: 0.5,
  truthTickUs: 0,
  warmupMs: 0
}

const d = defaultReportAccuracyOptions

/** The flags naming the workload, shared with `report sweep`. */
export const workloadFlags = {
  workload: Flag.String("workload").pipe(
    Flag.withDescription("masim config: a shipped name (stairs, zigzag, ...) or a path (ignored with --trace)"),
    Flag.withDefault(d.workload)
  ),
  trace: Flag.String("trace").pipe(
    Flag.withDescription("a valgrind lackey trace (--tool=lackey --trace-mem=yes), plain or gzip; - reads stdin"),
    Flag.withDefault(d.trace)
  ),
  rate: Flag.Finite("rate").pipe(Flag.withDescription("trace replay rate, accesses per microsecond of world time"), Flag.withDefault(d.rate)),
  dataOnly: Flag.Boolean("data-only").pipe(
    Flag.withDescription("replay loads and stores only, not instruction fetches (I lines still advance time)"),
    Flag.withDefault(d.dataOnly)
  ),
  skipBadLines: Flag.Boolean("skip-bad-lines").pipe(
    Flag.withDescription("skip malformed trace lines (counted) instead of failing on the first"),
    Flag.withDefault(d.skipBadLines)
  )
}

/** The flags of how a monitor is run and judged, shared with `report sweep`. */
export const evaluationFlags = {
  durationMs: Flag.Int("duration-ms").pipe(Flag.withDescription("world time monitored, ms"), Flag.withDefault(d.durationMs)),
  seed: Flag.Int("seed").pipe(Flag.withDefault(d.seed)),
  updateUs: Flag.Int("update-us").pipe(
    Flag.withDescription("ops update interval (us): how often vaddr re-reads the mappings"),
    Flag.withDefault(d.updateUs)
  ),
  hotThreshold: Flag.Finite("hot-threshold").pipe(
    Flag.withDescription("a byte is hot when accessed in at least this fraction of ticks (0, 1]"),
    Flag.withDefault(d.hotThreshold)
  ),
  warmupMs: Flag.Int("warmup-ms").pipe(Flag.withDescription("windows ending before this are left out of the summaries"), Flag.withDefault(d.warmupMs))
}

/** The `accuracy` command (a subcommand of `report`). */
export const reportAccuracyCommand = Command.make(
  "accuracy",
  {
    ...workloadFlags,
    ...evaluationFlags,
    sampleUs: Flag.Int("sample-us").pipe(Flag.withDescription("sampling interval (us)"), Flag.withDefault(d.sampleUs)),
    aggrUs: Flag.Int("aggr-us").pipe(Flag.withDescription("aggregation interval (us)"), Flag.withDefault(d.aggrUs)),
    minNrRegions: Flag.Int("min-regions").pipe(Flag.withDefault(d.minNrRegions)),
    maxNrRegions: Flag.Int("max-regions").pipe(Flag.withDefault(d.maxNrRegions)),
    truthTickUs: Flag.Int("truth-tick-us").pipe(
      Flag.withDescription("tick of the truth's frequencies (us); 0 = the sampling interval"),
      Flag.withDefault(d.truthTickUs)
    )
  },
  lazy(() => import("./ReportAccuracy.ts"), (m, o: ReportAccuracyOptions) => m.runReportAccuracy(o))
).pipe(Command.withDescription("DAMON's accuracy against the exact truth, beside a fixed-granularity baseline at the same cost"))

/**
 * The `report accuracy` command's definition: its options and defaults, cheap to load (the
 * implementation, `ReportAccuracy.ts`, is imported when the command runs).
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import {
  defaultEvaluationFlags,
  defaultWorkloadFlags,
  evaluationFlags,
  type EvaluationFlagValues,
  truthTickUs,
  workloadFlags,
  type WorkloadFlagValues
} from "./AccuracyFlags.ts"
import { lazy } from "./CliMonitor.ts"

/** The flags of `report accuracy`. */
export interface ReportAccuracyOptions extends WorkloadFlagValues, EvaluationFlagValues {
  readonly sampleUs: number
  readonly aggrUs: number
  readonly minNrRegions: number
  readonly maxNrRegions: number
  /** 0 = the sampling interval. */
  readonly truthTickUs: number
}

/** The defaults of the flags. */
export const defaultReportAccuracyOptions: ReportAccuracyOptions = {
  ...defaultWorkloadFlags,
  ...defaultEvaluationFlags,
  sampleUs: 5000,
  aggrUs: 100_000,
  minNrRegions: 10,
  maxNrRegions: 1000,
  truthTickUs: 0
}

const d = defaultReportAccuracyOptions

/** The `accuracy` command (a subcommand of `report`). */
export const reportAccuracyCommand = Command.make(
  "accuracy",
  {
    ...workloadFlags,
    durationMs: evaluationFlags.durationMs,
    seed: evaluationFlags.seed,
    sampleUs: Flag.Int("sample-us").pipe(Flag.withDescription("sampling interval (us)"), Flag.withDefault(d.sampleUs)),
    aggrUs: Flag.Int("aggr-us").pipe(Flag.withDescription("aggregation interval (us)"), Flag.withDefault(d.aggrUs)),
    updateUs: evaluationFlags.updateUs,
    minNrRegions: Flag.Int("min-regions").pipe(Flag.withDefault(d.minNrRegions)),
    maxNrRegions: Flag.Int("max-regions").pipe(Flag.withDefault(d.maxNrRegions)),
    hotThreshold: evaluationFlags.hotThreshold,
    truthTickUs: truthTickUs("the sampling interval"),
    warmupMs: evaluationFlags.warmupMs
  },
  lazy(() => import("./ReportAccuracy.ts"), (m, o: ReportAccuracyOptions) => m.runReportAccuracy(o))
).pipe(Command.withDescription("DAMON's accuracy against the exact truth, beside a fixed-granularity baseline at the same cost"))

/**
 * `effect-damon report accuracy`: DAMON against the fixed-granularity baseline at the same
 * number of checks per sample, on a masim workload or a recorded lackey trace (a file, plain or
 * gzip, or `-` for stdin), each aggregation window judged against the exact truth. The work is
 * `AccuracyReport.reportAccuracy` of `effect-damon/accuracy`; this file only maps flags to it.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { formatComparison, reportAccuracy } from "../accuracy/AccuracyReport.ts"
import { checkOptions, type EvaluateOptions } from "../accuracy/Evaluate.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { ReportAccuracyOptions } from "./CliReportAccuracy.ts"
import { namingStdin, workloadOf } from "./WorkloadInput.ts"

/** Runs the report with `options` and prints it. */
export const runReportAccuracy = (options: ReportAccuracyOptions): Effect.Effect<void, DamonError> =>
  Effect.scoped(Effect.gen(function*() {
    const evaluation: EvaluateOptions = {
      durationUs: options.durationMs * 1000,
      seed: options.seed,
      hotThreshold: options.hotThreshold,
      warmupUs: options.warmupMs * 1000,
      ...(options.truthTickUs > 0 ? { truthTickUs: options.truthTickUs } : {}),
      attrs: {
        sampleIntervalUs: options.sampleUs,
        aggrIntervalUs: options.aggrUs,
        opsUpdateIntervalUs: options.updateUs,
        minNrRegions: options.minNrRegions,
        maxNrRegions: options.maxNrRegions
      }
    }
    // Bad options are refused before stdin is read.
    yield* Effect.fromResult(checkOptions(evaluation))
    const workload = yield* workloadOf(options)
    const comparison = yield* reportAccuracy({ workload, ...evaluation }).pipe(Effect.mapError(namingStdin(options, workload)))
    yield* Console.log(options.trace === "-" ? formatComparison(comparison, "stdin") : formatComparison(comparison))
  }))


/**
 * `effect-damon report sweep`: DAMON on one workload (masim, a lackey trace file, or stdin) under
 * every combination of the flags' lists, on worker threads, printed as `SweepReport.formatTable`
 * (or as JSON) and optionally drawn (`--output`); a sweep longer than two seconds shows its
 * progress on a terminal, as `record` does. The work is `Sweep.run` of `effect-damon/accuracy`; this file
 * only maps flags to it.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { plan, run, type SweepFailed, type SweepOptions, type SweepProgress, type SweepResult } from "../accuracy/Sweep.ts"
import { formatTable, sweepSpec } from "../accuracy/SweepReport.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { RenderError } from "../report/Render.ts"
import { distinctGoals, goalText, type ReportSweepOptions } from "./CliReportSweep.ts"
import { formatOf, writePicture } from "./PictureFile.ts"
import { makeProgress, type Progress } from "./Progress.ts"
import { namingStdin, workloadOf } from "./WorkloadInput.ts"

/** The sweep the flags describe, but its workload: only the lists given make axes (an absent one keeps the default). */
export const sweepOptionsOf = (o: ReportSweepOptions): Omit<SweepOptions, "workload"> => ({
  grid: {
    ...(o.sampleUs.length > 0 ? { sampleIntervalUs: o.sampleUs } : {}),
    ...(o.aggrUs.length > 0 ? { aggrIntervalUs: o.aggrUs } : {}),
    ...(o.minNrRegions.length > 0 ? { minNrRegions: o.minNrRegions } : {}),
    ...(o.maxNrRegions.length > 0 ? { maxNrRegions: o.maxNrRegions } : {}),
    ...(o.intervalsGoal.length > 0 ? { intervalsGoal: o.intervalsGoal } : {})
  },
  base: { opsUpdateIntervalUs: o.updateUs },
  durationUs: o.durationMs * 1000,
  seed: o.seed,
  hotThreshold: o.hotThreshold,
  warmupUs: o.warmupMs * 1000,
  metric: o.metric,
  ...(o.truthTickUs > 0 ? { truthTickUs: o.truthTickUs } : {}),
  ...(Option.isSome(o.workers) ? { workers: o.workers.value } : {})
})

/** The result as printed: stdin was copied to a temporary file, so the source is named, not the copy. */
export const asShown = (result: SweepResult, o: Pick<ReportSweepOptions, "trace">): SweepResult =>
  o.trace === "-" && result.workload.kind === "trace" ? { ...result, workload: { ...result.workload, path: "stdin" } } : result

/** `effect-damon report sweep`: {@link runReportSweepWith} with a progress line on a terminal. */
export const runReportSweep = (o: ReportSweepOptions): Effect.Effect<void, DamonError | SweepFailed | RenderError> =>
  Effect.scoped(Effect.gen(function*() {
    const progress = yield* makeProgress()
    yield* Effect.addFinalizer(() => progress.done)
    yield* runReportSweepWith(o, progress)
  }))

/** Runs the sweep with `o`, showing `progress` as settings end, prints the table, and draws the picture when asked. */
export const runReportSweepWith = (o: ReportSweepOptions, progress: Progress): Effect.Effect<void, DamonError | SweepFailed | RenderError> =>
  Effect.scoped(Effect.gen(function*() {
    // Bad options and a bad --output are refused before stdin is read and anything runs.
    if (Option.isSome(o.output)) yield* formatOf(o.output.value)
    if (!distinctGoals(o.intervalsGoal)) {
      return yield* Effect.fail(invalidArgument("--intervals-goal", o.intervalsGoal.map(goalText).join(" "), "must each be given once (off is 0,0,0,0)"))
    }
    const options = sweepOptionsOf(o)
    yield* Effect.fromResult(plan(options))
    const workload = yield* workloadOf(o)
    const onProgress = (p: SweepProgress) => progress.update(p.fraction, `${p.done} of ${p.total} settings`)
    const result = yield* run({ ...options, workload }, { onProgress }).pipe(Effect.mapError(namingStdin(o, workload)))
    // the line is erased before the table is printed, on the same terminal
    yield* progress.done
    const shown = asShown(result, o)
    yield* Console.log(o.json ? JSON.stringify(shown, null, 2) : formatTable(shown))
    if (Option.isSome(o.output)) {
      // stdout stays one JSON document with --json
      const wrote = yield* writePicture(sweepSpec(shown), o.output.value)
      yield* o.json ? Console.error(wrote) : Console.log(wrote)
    }
  }))

/**
 * `effect-damon report sweep`: DAMON on one workload (masim, a lackey trace file, or stdin) under
 * every combination of the flags' lists, on worker threads, printed as `SweepReport.formatTable`
 * (or as JSON) and optionally drawn (`--output`). The work is `Sweep.run` of `effect-damon/accuracy`; this file
 * only maps flags to it.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { run, type SweepFailed, type SweepOptions } from "../accuracy/Sweep.ts"
import { formatTable, sweepSpec } from "../accuracy/SweepReport.ts"
import type { WorkloadSpec } from "../accuracy/Workload.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { RenderError } from "../report/Render.ts"
import type { ReportSweepOptions } from "./CliReportSweep.ts"
import { formatOf, writePicture } from "./PictureFile.ts"
import { workloadOf } from "./WorkloadInput.ts"

/** The sweep the flags describe on `workload`: only the lists given make axes (an absent one keeps the default). */
export const sweepOptionsOf = (o: ReportSweepOptions, workload: WorkloadSpec): SweepOptions => ({
  workload,
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

/** Runs the sweep with `o`, prints the table, and draws the picture when asked. */
export const runReportSweep = (o: ReportSweepOptions): Effect.Effect<void, DamonError | SweepFailed | RenderError> =>
  Effect.scoped(Effect.gen(function*() {
    // A bad --output is refused before the sweep runs, not after.
    if (Option.isSome(o.output)) yield* formatOf(o.output.value)
    const result = yield* run(sweepOptionsOf(o, yield* workloadOf(o)))
    // stdin was copied to a temporary file: the table names the source, not the copy.
    const shown = o.trace === "-" && result.workload.kind === "trace" ? { ...result, workload: { ...result.workload, path: "stdin" } } : result
    yield* Console.log(o.json ? JSON.stringify(shown, null, 2) : formatTable(shown))
    if (Option.isSome(o.output)) {
      // stdout stays one JSON document with --json
      const wrote = yield* writePicture(sweepSpec(shown), o.output.value)
      yield* o.json ? Console.error(wrote) : Console.log(wrote)
    }
  }))

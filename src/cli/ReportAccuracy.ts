/**
 * `effect-damon report accuracy`: DAMON against the fixed-granularity baseline at the same
 * number of checks per sample, on a masim workload or a recorded lackey trace (a file, plain or
 * gzip, or `-` for stdin), each aggregation window judged against the exact truth. The work is
 * `AccuracyReport.reportAccuracy` of `effect-damon/accuracy`; this file only maps flags to it.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { formatComparison, reportAccuracy } from "../accuracy/AccuracyReport.ts"
import { stdinChunks } from "../accuracy/TraceReplay.ts"
import type { WorkloadSpec } from "../accuracy/Workload.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { ReportAccuracyOptions } from "./CliReportAccuracy.ts"


/**
 * Standard input copied to a temporary file (both monitors replay the trace, and stdin can be
 * read once), streamed in bounded memory; the file is removed when the scope closes.
 */
const stdinToFile = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "effect-damon-trace-"))
    const path = join(dir, "stdin.lackey")
    return { dir, path, fd: openSync(path, "w") }
  }),
  ({ dir, fd }) =>
    Effect.sync(() => {
      closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    })
).pipe(Effect.tap(({ fd }) => Stream.runForEach(stdinChunks, (chunk) =>
  Effect.sync(() => {
    for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off)
  }))))

/** Runs the report with `options` and prints it. */
export const runReportAccuracy = (options: ReportAccuracyOptions): Effect.Effect<void, DamonError> =>
  Effect.scoped(Effect.gen(function*() {
    const tracePath = options.trace === "-" ? (yield* stdinToFile).path : options.trace
    const workload: WorkloadSpec = tracePath === ""
      ? { kind: "masim", name: options.workload }
      : {
        kind: "trace",
        path: tracePath,
        accessesPerUs: options.rate,
        instructions: !options.dataOnly,
        skipBadLines: options.skipBadLines
      }
    const comparison = yield* reportAccuracy({
      workload,
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
    })
    yield* Console.log(options.trace === "-" ? formatComparison(comparison, "stdin") : formatComparison(comparison))
  }))


/**
 * `effect-damon report accuracy`: DAMON against the fixed-granularity baseline at the same
 * number of checks per sample, on a masim workload or a recorded lackey trace (a file, plain or
 * gzip, or `-` for stdin), each aggregation window judged against the exact truth. The work is
 * `AccuracyReport.reportAccuracy` of `effect-damon/accuracy`; this file only maps flags to it.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Console, Effect, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import { formatComparison, reportAccuracy } from "../accuracy/AccuracyReport.ts"
import { stdinChunks } from "../accuracy/TraceReplay.ts"
import type { WorkloadSpec } from "../accuracy/Workload.ts"
import type { DamonError } from "../model/DamonError.ts"

/** The flags of `report accuracy`. */
export interface ReportAccuracyOptions {
  /** A shipped masim name or a masim file (used when `trace` is empty). */
  readonly workload: string
  /** A lackey trace file (plain or gzip), `-` for stdin, or empty for the masim workload. */
  readonly trace: string
  readonly rate: number
  /** Replay loads and stores only (no instruction fetches). */
  readonly dataOnly: boolean
  readonly skipBadLines: boolean
  readonly durationMs: number
  readonly seed: number
  readonly sampleUs: number
  readonly aggrUs: number
  readonly updateUs: number
  readonly minNrRegions: number
  readonly maxNrRegions: number
  readonly hotThreshold: number
  /** 0 = the sampling interval. */
  readonly truthTickUs: number
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

const d = defaultReportAccuracyOptions

/** The `accuracy` command (a subcommand of `report`). */
export const reportAccuracyCommand = Command.make(
  "accuracy",
  {
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
    ),
    durationMs: Flag.Int("duration-ms").pipe(Flag.withDescription("world time monitored, ms"), Flag.withDefault(d.durationMs)),
    seed: Flag.Int("seed").pipe(Flag.withDefault(d.seed)),
    sampleUs: Flag.Int("sample-us").pipe(Flag.withDescription("sampling interval (us)"), Flag.withDefault(d.sampleUs)),
    aggrUs: Flag.Int("aggr-us").pipe(Flag.withDescription("aggregation interval (us)"), Flag.withDefault(d.aggrUs)),
    updateUs: Flag.Int("update-us").pipe(
      Flag.withDescription("ops update interval (us): how often vaddr re-reads the mappings"),
      Flag.withDefault(d.updateUs)
    ),
    minNrRegions: Flag.Int("min-regions").pipe(Flag.withDefault(d.minNrRegions)),
    maxNrRegions: Flag.Int("max-regions").pipe(Flag.withDefault(d.maxNrRegions)),
    hotThreshold: Flag.Finite("hot-threshold").pipe(
      Flag.withDescription("a byte is hot when accessed in at least this fraction of ticks (0, 1]"),
      Flag.withDefault(d.hotThreshold)
    ),
    truthTickUs: Flag.Int("truth-tick-us").pipe(
      Flag.withDescription("tick of the truth's frequencies (us); 0 = the sampling interval"),
      Flag.withDefault(d.truthTickUs)
    ),
    warmupMs: Flag.Int("warmup-ms").pipe(Flag.withDescription("windows ending before this are left out of the summaries"), Flag.withDefault(d.warmupMs))
  },
  (options) => runReportAccuracy(options)
).pipe(Command.withDescription("DAMON's accuracy against the exact truth, beside a fixed-granularity baseline at the same cost"))

/**
 * The `report sweep` command's definition: its options, their parsing and defaults, cheap to load
 * (the implementation, `ReportSweep.ts`, is imported when the command runs).
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import type * as Option from "effect/Option"
import type { IntervalsGoal } from "../model/Attrs.ts"
import type { SweepMetric } from "../accuracy/Sweep.ts"
import { evaluationFlags, type EvaluationFlagValues, truthTickUs, workloadFlags, type WorkloadFlagValues } from "./AccuracyFlags.ts"
import { lazy } from "./CliMonitor.ts"

/** The flags of `report sweep`. An empty list keeps that attribute at its default. */
export interface ReportSweepOptions extends WorkloadFlagValues, EvaluationFlagValues {
  readonly sampleUs: ReadonlyArray<number>
  readonly aggrUs: ReadonlyArray<number>
  readonly minNrRegions: ReadonlyArray<number>
  readonly maxNrRegions: ReadonlyArray<number>
  /** `null`: tuning off. */
  readonly intervalsGoal: ReadonlyArray<IntervalsGoal | null>
  /** 0 = 5000 us, the same tick for every setting. */
  readonly truthTickUs: number
  /** None = every core; at most 256. */
  readonly workers: Option.Option<number>
  readonly metric: SweepMetric
  /** A picture of the results (.svg or .png) besides the table. */
  readonly output: Option.Option<string>
  /** The results as JSON (`Sweep.SweepResult`) instead of the table. */
  readonly json: boolean
}

/**
 * `"2500,5000"` as `[2500, 5000]`: positive integers, comma-separated, no duplicates (a setting
 * twice would be run twice); `undefined` for anything else.
 */
export const parseIntList = (text: string): Array<number> | undefined => {
  const parts = text.split(",").map((p) => p.trim())
  if (!parts.every((p) => /^\d{1,15}$/.test(p))) return undefined
  const values = parts.map(Number)
  if (values.some((v) => v <= 0) || new Set(values).size !== values.length) return undefined
  return values
}

/**
 * An intervals auto-tuning goal, `access_bp,aggrs,min_sample_us,max_sample_us` (the kernel's
 * `intervals_goal` files, in their order), or `off`; `undefined` for anything else.
 */
export const parseIntervalsGoal = (text: string): IntervalsGoal | null | undefined => {
  if (text.trim() === "off") return null
  const parts = text.split(",").map((p) => p.trim())
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,15}$/.test(p))) return undefined
  const [accessBp, aggrs, minSampleUs, maxSampleUs] = parts.map(Number) as [number, number, number, number]
  return { accessBp, aggrs, minSampleUs, maxSampleUs }
}

/** A goal as the flag takes it. */
export const goalText = (g: IntervalsGoal | null): string => (g === null ? "off" : `${g.accessBp},${g.aggrs},${g.minSampleUs},${g.maxSampleUs}`)

/** Whether no goal repeats (`off` is the goal `0,0,0,0`, tuning off): a repeated one would run twice. */
export const distinctGoals = (goals: ReadonlyArray<IntervalsGoal | null>): boolean => {
  const texts = goals.map((g) => goalText(g ?? { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 }))
  return new Set(texts).size === texts.length
}

const listRule = "must be positive integers separated by commas, each once (2500,5000)"

const intList = (name: string, description: string): Flag.Flag<ReadonlyArray<number>> =>
  Flag.String(name).pipe(
    Flag.mapTryCatch(
      (text) => {
        const values = parseIntList(text)
        if (values === undefined) throw new Error("bad")
        return values
      },
      () => listRule
    ),
    Flag.withDescription(`${description}: values to try, comma-separated (default: the kernel's)`),
    Flag.withDefault([])
  )

const metrics: ReadonlyArray<SweepMetric> = ["wssErrorPct", "hotPrecision", "hotRecall", "hotF1"]

/** The `sweep` command (a subcommand of `report`). */
export const reportSweepCommand = Command.make(
  "sweep",
  {
    ...workloadFlags,
    ...evaluationFlags,
    sampleUs: intList("sample-us", "sampling intervals (us)"),
    aggrUs: intList("aggr-us", "aggregation intervals (us)"),
    minNrRegions: intList("min-regions", "minimum numbers of regions"),
    maxNrRegions: intList("max-regions", "maximum numbers of regions"),
    intervalsGoal: Flag.String("intervals-goal").pipe(
      Flag.mapTryCatch(
        (text) => {
          const goal = parseIntervalsGoal(text)
          if (goal === undefined) throw new Error("bad")
          return goal
        },
        () => "must be off or access_bp,aggrs,min_sample_us,max_sample_us (four integers >= 0)"
      ),
      Flag.withDescription("an intervals auto-tuning goal to try, or off; repeat for more, each once (default: off)"),
      Flag.atLeast(0)
    ),
    truthTickUs: truthTickUs("5000, the same tick for every setting"),
    workers: Flag.Int("workers").pipe(
      Flag.filter((n) => Number.isSafeInteger(n) && n >= 0 && n <= 256, () => "must be an integer in [0, 256]"),
      Flag.withDescription("worker threads, up to 256 (0 runs every setting in this thread; default: every core)"),
      Flag.optional
    ),
    metric: Flag.Literals("metric", metrics).pipe(
      Flag.withDescription("the accuracy figure of the Pareto front"),
      Flag.withDefault("wssErrorPct" as const)
    ),
    output: Flag.String("output").pipe(
      Flag.withDescription("also draw accuracy against cost to this file: .svg or .png"),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print the results as JSON (every setting's attributes, figures and summaries) instead of the table"),
      Flag.withDefault(false)
    )
  },
  lazy(() => import("./ReportSweep.ts"), (m, o: ReportSweepOptions) => m.runReportSweep(o))
).pipe(
  Command.withDescription(
    "DAMON under every combination of the given intervals, region limits and tuning goals, each judged against the exact truth: accuracy against cost, the Pareto front marked"
  ),
  Command.withExamples([
    {
      command: "effect-damon report sweep --workload stairs --sample-us 2500,5000 --max-regions 100,1000 --duration-ms 60000",
      description: "four settings on stairs, a minute of world time each"
    },
    {
      command: "effect-damon report sweep --trace prog.lackey.gz --rate 0.05 --aggr-us 50000,100000,200000 --output sweep.svg",
      description: "a recorded trace, with the picture"
    }
  ])
)

/**
 * Parameter sweeps: one workload monitored by DAMON under every combination of a grid of
 * monitoring attributes (intervals, region limits, intervals auto-tuning goals), each setting
 * judged against the same truth (one tick for all), reported as accuracy against cost (pages
 * checked per second) with the Pareto front marked.
 *
 * Settings run on worker threads (`node:worker_threads`, one evaluation at a time per worker,
 * all cores by default). A setting's result depends only on the workload, the setting, the
 * options and the seed, never on the worker that ran it or on the number of workers.
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Attrs from "../model/Attrs.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import {
  type AccuracySummary,
  checkOptions,
  defaultOpsUpdateIntervalUs,
  type EvaluateOptions,
  type Evaluation,
  evaluateDamon,
  type PooledAccuracy
} from "./Evaluate.ts"
import { checkWorkload, type WorkloadSpec } from "./Workload.ts"

/** The values to combine; a missing field keeps the kernel default (or `base`'s value). */
export interface SweepGrid {
  readonly sampleIntervalUs?: ReadonlyArray<number>
  readonly aggrIntervalUs?: ReadonlyArray<number>
  readonly minNrRegions?: ReadonlyArray<number>
  readonly maxNrRegions?: ReadonlyArray<number>
  /** Intervals auto-tuning goals (`null`: tuning off). */
  readonly intervalsGoal?: ReadonlyArray<Attrs.IntervalsGoal | null>
}

/** The accuracy figure the Pareto front is drawn for. */
export type SweepMetric = "wssErrorPct" | "hotPrecision" | "hotRecall" | "hotF1"

/** A sweep. */
export interface SweepOptions {
  readonly workload: WorkloadSpec
  readonly grid: SweepGrid
  /** Attributes every setting starts from (`opsUpdateIntervalUs` defaults to 1 s, as in `Evaluate`). */
  readonly base?: Attrs.AttrsInput
  readonly durationUs: number
  readonly seed?: number
  readonly hotThreshold?: number
  /** The truth's tick, the same for every setting. Defaults to 5000 (the default sampling interval). */
  readonly truthTickUs?: number
  readonly warmupUs?: number
  /** Worker threads; 0 runs every setting in the calling thread. Defaults to the cores available. */
  readonly workers?: number
  /** The figure of the Pareto front. Defaults to `"wssErrorPct"`. */
  readonly metric?: SweepMetric
}

/** One setting's result. */
export interface SweepPoint {
  readonly index: number
  readonly attrs: Attrs.Attrs
  readonly checksPerSec: number
  readonly checksPerSample: number
  /** Medians over the windows. */
  readonly wssErrorPct: number | null
  readonly hotPrecision: number | null
  readonly hotRecall: number | null
  /** Harmonic mean of the pooled hot precision and recall. */
  readonly hotF1: number | null
  /** Every figure's summary, and the pooled ones. */
  readonly summary: AccuracySummary
  readonly pooled: PooledAccuracy
  /** On the Pareto front: no other setting is as cheap and as accurate, and better in one. */
  readonly pareto: boolean
}

/** A combination the rules of `damon_set_attrs()` refuse, and why. */
export interface SkippedSetting {
  readonly attrs: Attrs.AttrsInput
  readonly reason: string
}

/** A sweep's results, in grid order. */
export interface SweepResult {
  readonly workload: WorkloadSpec
  readonly metric: SweepMetric
  readonly truthTickUs: number
  readonly hotThreshold: number
  readonly durationUs: number
  readonly points: ReadonlyArray<SweepPoint>
  readonly skipped: ReadonlyArray<SkippedSetting>
  readonly workers: number
}

/** A setting failed on a worker (or the worker died). */
export class SweepFailed extends Data.TaggedError("SweepFailed")<{ readonly index: number; readonly detail: string }> {
  override get message(): string {
    return `sweep setting ${this.index} failed: ${this.detail}`
  }
}

/** How far a sweep is, after each setting ends. */
export interface SweepProgress {
  /** Settings finished, of `total`. */
  readonly done: number
  readonly total: number
  /**
   * The share of the settings' samples done: what an ETA should use. (A setting's work grows with
   * its samples; its regions settle where the workload puts them, often far below the maximum that
   * orders the dispatch, so {@link expectedCost} would run ahead.)
   */
  readonly fraction: number
}

/** What a caller of {@link run} may follow. */
export interface SweepHooks {
  /** After each setting ends, in the calling thread; a failed one counts too (the sweep then fails). */
  readonly onProgress?: (progress: SweepProgress) => Effect.Effect<void>
}

/**
 * Every combination of the grid over `base` (with `opsUpdateIntervalUs` 1 s unless `base` says),
 * in order; combinations the attrs rules refuse are skipped with the reason.
 */
export const expandGrid = (grid: SweepGrid, base: Attrs.AttrsInput = {}): { readonly settings: Array<Attrs.Attrs>; readonly skipped: Array<SkippedSetting> } => {
  const from: Attrs.AttrsInput = { opsUpdateIntervalUs: defaultOpsUpdateIntervalUs, ...base }
  const axis = <A>(values: ReadonlyArray<A> | undefined): ReadonlyArray<A | undefined> => (values === undefined || values.length === 0 ? [undefined] : values)
  const settings: Array<Attrs.Attrs> = []
  const skipped: Array<SkippedSetting> = []
  for (const sampleIntervalUs of axis(grid.sampleIntervalUs)) {
    for (const aggrIntervalUs of axis(grid.aggrIntervalUs)) {
      for (const minNrRegions of axis(grid.minNrRegions)) {
        for (const maxNrRegions of axis(grid.maxNrRegions)) {
          for (const goal of axis(grid.intervalsGoal)) {
            const input: Attrs.AttrsInput = {
              ...from,
              ...(sampleIntervalUs === undefined ? {} : { sampleIntervalUs }),
              ...(aggrIntervalUs === undefined ? {} : { aggrIntervalUs }),
              ...(minNrRegions === undefined ? {} : { minNrRegions }),
              ...(maxNrRegions === undefined ? {} : { maxNrRegions }),
              ...(goal === undefined ? {} : { intervalsGoal: goal ?? { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 } })
            }
            const attrs = Attrs.make(input)
            if (Result.isSuccess(attrs)) settings.push(attrs.success)
            else skipped.push({ attrs: input, reason: attrs.failure.message })
          }
        }
      }
    }
  }
  return { settings, skipped }
}

const metricOf = (p: Omit<SweepPoint, "pareto">, m: SweepMetric): number | null => p[m]

/** Error to minimise: the WSS error itself, or one minus a ratio. */
const lossOf = (p: Omit<SweepPoint, "pareto">, m: SweepMetric): number | null => {
  const v = metricOf(p, m)
  return v === null ? null : m === "wssErrorPct" ? v : 1 - v
}

/** Marks the points no other point dominates (cheaper or equal and more accurate or equal, better in one). */
export const markPareto = (points: ReadonlyArray<Omit<SweepPoint, "pareto">>, metric: SweepMetric): Array<SweepPoint> =>
  points.map((p) => {
    const loss = lossOf(p, metric)
    if (loss === null) return { ...p, pareto: false }
    const dominated = points.some((q) => {
      const lq = lossOf(q, metric)
      return q !== p && lq !== null && q.checksPerSec <= p.checksPerSec && lq <= loss && (q.checksPerSec < p.checksPerSec || lq < loss)
    })
    return { ...p, pareto: !dominated }
  })

/** The point of one evaluation (before the front is known). */
export const pointOf = (index: number, e: Evaluation): Omit<SweepPoint, "pareto"> => {
  const p = e.pooled.hotPrecision
  const r = e.pooled.hotRecall
  return {
    index,
    attrs: e.attrs,
    checksPerSec: e.checksPerSec,
    checksPerSample: e.checksPerSample,
    wssErrorPct: e.summary.wssErrorPct.median,
    hotPrecision: e.summary.hotPrecision.median,
    hotRecall: e.summary.hotRecall.median,
    hotF1: p === null || r === null || p + r === 0 ? null : (2 * p * r) / (p + r),
    summary: e.summary,
    pooled: e.pooled
  }
}

/** A job for a worker: evaluate DAMON on `workload` with `options`. */
export interface SweepJob {
  readonly index: number
  readonly workload: WorkloadSpec
  readonly options: EvaluateOptions
}

/** A worker's answer. */
export type SweepReply =
  | { readonly index: number; readonly ok: true; readonly point: Omit<SweepPoint, "pareto"> }
  | { readonly index: number; readonly ok: false; readonly detail: string }

/** Runs one job in this thread (what a worker does). */
export const runJob = (job: SweepJob): Effect.Effect<SweepReply> =>
  evaluateDamon(job.workload, job.options).pipe(
    Effect.map((e): SweepReply => ({ index: job.index, ok: true, point: pointOf(job.index, e) })),
    Effect.catch((e) => Effect.succeed<SweepReply>({ index: job.index, ok: false, detail: e.message }))
  )

const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./SweepWorker.ts" : "./SweepWorker.js", import.meta.url)

/** Sends `job` to `worker` and waits for its reply (a dead worker fails the setting). */
const onWorker = (worker: Worker, job: SweepJob): Effect.Effect<SweepReply, SweepFailed> =>
  Effect.callback<SweepReply, SweepFailed>((resume) => {
    const cleanup = () => {
      worker.off("message", onMessage)
      worker.off("error", onError)
      worker.off("exit", onExit)
    }
    const onMessage = (reply: SweepReply) => {
      cleanup()
      resume(Effect.succeed(reply))
    }
    const onError = (e: Error) => {
      cleanup()
      resume(Effect.fail(new SweepFailed({ index: job.index, detail: `worker error: ${e.message}` })))
    }
    const onExit = (code: number) => {
      cleanup()
      resume(Effect.fail(new SweepFailed({ index: job.index, detail: `worker exited with code ${code}` })))
    }
    worker.on("message", onMessage)
    worker.on("error", onError)
    worker.on("exit", onExit)
    worker.postMessage(job)
    return Effect.sync(cleanup)
  })

/**
 * A setting's expected cost, for dispatch order only: region checks over the run (samples times
 * the most regions), the bulk of a setting's work.
 */
export const expectedCost = (attrs: Attrs.Attrs, durationUs: number): number => (durationUs / attrs.sampleIntervalUs) * attrs.maxNrRegions

/** Job indices costliest first (ties in grid order): the order workers take settings in. */
export const dispatchOrder = (costs: ReadonlyArray<number>): Array<number> =>
  costs.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]! || a - b)

/**
 * Runs `jobs` on `n` workers, each taking the next job when done, the costliest first (so one
 * expensive setting does not start last and run alone: settings differ in cost by 10x and more);
 * replies in job order, and each setting's result does not depend on where or when it ran.
 */
const runOnWorkers = (
  jobs: ReadonlyArray<SweepJob>,
  costs: ReadonlyArray<number>,
  n: number,
  ended: (index: number) => Effect.Effect<void>
): Effect.Effect<Array<SweepReply>, SweepFailed> =>
  Effect.scoped(Effect.gen(function*() {
    const replies: Array<SweepReply | undefined> = jobs.map(() => undefined)
    const order = dispatchOrder(costs).map((i) => jobs[i]!)
    let next = 0
    const drive = (worker: Worker): Effect.Effect<void, SweepFailed> =>
      Effect.suspend(() => {
        if (next >= order.length) return Effect.void
        const job = order[next++]!
        return onWorker(worker, job).pipe(
          Effect.tap((reply) => Effect.sync(() => (replies[job.index] = reply))),
          Effect.andThen(ended(job.index)),
          Effect.andThen(drive(worker))
        )
      })
    const workers = yield* Effect.forEach(
      Array.from({ length: Math.min(n, jobs.length) }, (_, i) => i),
      () => Effect.acquireRelease(Effect.sync(() => new Worker(workerUrl)), (w) => Effect.promise(() => w.terminate()))
    )
    yield* Effect.forEach(workers, drive, { concurrency: "unbounded", discard: true })
    return replies.map((r) => r!)
  }))

/**
 * The most combinations a grid may make (refused ones included): far beyond any sweep one waits
 * for, and it keeps a mistyped list from building millions of settings in memory first.
 */
export const maxGridCombinations = 10_000

/** A sweep's options checked, before any setting runs: see {@link plan}. */
export interface SweepPlan {
  readonly workers: number
  readonly settings: ReadonlyArray<Attrs.Attrs>
  readonly skipped: ReadonlyArray<SkippedSetting>
  /** Each setting's evaluation options, in grid order. */
  readonly evaluations: ReadonlyArray<EvaluateOptions>
  readonly truthTickUs: number
  readonly hotThreshold: number
  readonly metric: SweepMetric
}

/**
 * Checks everything of a sweep but its workload and lists its settings, running nothing (the
 * default `workers` is the cores available). Lets a caller refuse bad options before it prepares
 * the workload (the CLI reads a trace from stdin after).
 */
export const plan = (options: Omit<SweepOptions, "workload">): Result.Result<SweepPlan, DamonError> => {
  const workers = options.workers ?? availableParallelism()
  if (!(Number.isSafeInteger(workers) && workers >= 0 && workers <= 256)) {
    return Result.fail(invalidArgument("workers", workers, "must be an integer in [0, 256]"))
  }
  const g = options.grid
  const combinations = [g.sampleIntervalUs, g.aggrIntervalUs, g.minNrRegions, g.maxNrRegions, g.intervalsGoal]
    .reduce((n, axis) => n * Math.max(1, axis?.length ?? 0), 1)
  if (combinations > maxGridCombinations) {
    return Result.fail(invalidArgument("grid", `${combinations} combinations`, `must make at most ${maxGridCombinations}`))
  }
  const { settings, skipped } = expandGrid(g, options.base)
  if (settings.length === 0) {
    const why = skipped.length === 0 ? "" : ` (${skipped.length === 1 ? "refused" : `all ${skipped.length} refused; the first`}: ${skipped[0]!.reason})`
    return Result.fail(invalidArgument("grid", JSON.stringify(g), `has no valid setting${why}`))
  }
  const truthTickUs = options.truthTickUs ?? 5000
  const hotThreshold = options.hotThreshold ?? 0.5
  const evaluations = settings.map((attrs): EvaluateOptions => ({
    attrs,
    durationUs: options.durationUs,
    truthTickUs,
    hotThreshold,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.warmupUs === undefined ? {} : { warmupUs: options.warmupUs })
  }))
  const bad = checkOptions(evaluations[0]!)
  if (Result.isFailure(bad)) return Result.fail(bad.failure)
  return Result.succeed({ workers, settings, skipped, evaluations, truthTickUs, hotThreshold, metric: options.metric ?? "wssErrorPct" })
}

/**
 * Runs the sweep. Bad options are an `InvalidArgument` before anything runs ({@link plan}, then
 * the workload); a setting failing fails the sweep with `SweepFailed` naming it; settings the
 * attrs rules refuse are listed in `skipped`. `hooks.onProgress` hears of each setting that ends.
 */
export const run = (options: SweepOptions, hooks: SweepHooks = {}): Effect.Effect<SweepResult, DamonError | SweepFailed> =>
  Effect.gen(function*() {
    const { workers, settings, skipped, evaluations, truthTickUs, hotThreshold, metric } = yield* Effect.fromResult(plan(options))
    const badWorkload = checkWorkload(options.workload)
    if (badWorkload !== undefined) return yield* Effect.fail(badWorkload)
    const jobs = evaluations.map((evaluation, index): SweepJob => ({ index, workload: options.workload, options: evaluation }))
    const costs = settings.map((a) => expectedCost(a, options.durationUs))
    const samples = settings.map((a) => options.durationUs / a.sampleIntervalUs)
    const totalSamples = samples.reduce((a, b) => a + b, 0)
    let done = 0
    let doneSamples = 0
    const onProgress = hooks.onProgress
    const ended = (index: number): Effect.Effect<void> =>
      onProgress === undefined ? Effect.void : Effect.suspend(() => {
        done++
        doneSamples += samples[index]!
        // exactly 1 at the end, whatever the rounding of the sum
        return onProgress({ done, total: jobs.length, fraction: done === jobs.length ? 1 : doneSamples / totalSamples })
      })
    const replies = workers === 0
      ? yield* Effect.forEach(jobs, (job) => Effect.tap(runJob(job), () => ended(job.index)))
      : yield* runOnWorkers(jobs, costs, workers, ended)
    const points: Array<Omit<SweepPoint, "pareto">> = []
    for (const reply of replies) {
      if (!reply.ok) return yield* Effect.fail(new SweepFailed({ index: reply.index, detail: reply.detail }))
      points.push(reply.point)
    }
    return {
      workload: options.workload,
      metric,
      truthTickUs,
      hotThreshold,
      durationUs: options.durationUs,
      points: markPareto(points, metric),
      skipped,
      workers
    }
  })

/**
 * Accuracy runs: one workload monitored by DAMON (a kdamond with `vaddr`) or by the
 * fixed-granularity baseline, in a virtual world of its own, each window judged against the
 * exact truth of the same span of world time; and the comparison of the two at equal cost (the
 * baseline checks as many pages per sample as DAMON did on average).
 *
 * A run is a pure function of (workload, attrs, options, seed): the world is virtual and every
 * generator seeded, so sweeps can run settings in any order on any number of workers.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import { threeRegions } from "../core/ThreeRegions.ts"
import { makeRng } from "../core/Rng.ts"
import * as Damon from "../Damon.ts"
import * as World from "../engine/World.ts"
import * as Attrs from "../model/Attrs.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { DAMON_MIN_REGION_SZ, type DamonCtx } from "../model/DamonCtx.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { vaddrOps } from "../ops/vaddr.ts"
import { type EstimateRegion, windowAccuracy, type WindowAccuracy } from "./Accuracy.ts"
import * as FixedMonitor from "./FixedMonitor.ts"
import { type Summary, summarize } from "./Summary.ts"
import { instantiate, type WorkloadRun, type WorkloadSpec, workloadName } from "./Workload.ts"

/**
 * `opsUpdateIntervalUs` of accuracy runs unless given: 1 s rather than the kernel's 60 s, since a
 * trace's touched ranges (its mappings) grow as it is read.
 */
export const defaultOpsUpdateIntervalUs = 1_000_000

/** How to run and judge. */
export interface EvaluateOptions {
  /**
   * DAMON's monitoring attributes (the baseline uses the intervals and `opsUpdateIntervalUs`);
   * the kernel's defaults but `opsUpdateIntervalUs` ({@link defaultOpsUpdateIntervalUs}).
   */
  readonly attrs?: Attrs.AttrsInput
  /** World time to monitor, in microseconds. */
  readonly durationUs: number
  /** Seed of the monitor's generator and of the machine's layout. Defaults to 1. */
  readonly seed?: number
  /** Frequency from which a byte is hot, in (0, 1]. Defaults to 0.5. */
  readonly hotThreshold?: number
  /** Tick of the truth's frequencies, in microseconds. Defaults to the sampling interval. */
  readonly truthTickUs?: number
  /** Windows ending before this world time are left out of the summaries. Defaults to 0. */
  readonly warmupUs?: number
}

/** The summaries of a run's windows. */
export interface AccuracySummary {
  readonly wssErrorPct: Summary
  readonly hotPrecision: Summary
  readonly hotRecall: Summary
  readonly coldPrecision: Summary
  readonly coldRecall: Summary
}

/** Totals over the summarised windows (bytes summed before dividing). */
export interface PooledAccuracy {
  /** `sum |estimate - truth| / sum truth`, in percent. */
  readonly wssErrorPct: number | null
  readonly hotPrecision: number | null
  readonly hotRecall: number | null
}

/** One monitor's run. */
export interface Evaluation {
  readonly monitor: "damon" | "baseline"
  readonly workload: string
  readonly attrs: Attrs.Attrs
  readonly durationUs: number
  readonly hotThreshold: number
  readonly truthTickUs: number
  readonly samples: number
  /** Pages checked (accessed-bit tests) over the run. */
  readonly checks: number
  readonly checksPerSample: number
  readonly checksPerSec: number
  /** Every window, warm-up included. */
  readonly windows: ReadonlyArray<WindowAccuracy>
  readonly summary: AccuracySummary
  readonly pooled: PooledAccuracy
}

/** DAMON and the baseline at the same number of checks per sample. */
export interface Comparison {
  readonly damon: Evaluation
  readonly baseline: Evaluation
}

/** Options with their defaults, validated. */
export interface Checked {
  readonly attrs: Attrs.Attrs
  readonly durationUs: number
  readonly seed: number
  readonly hotThreshold: number
  readonly truthTickUs: number
  readonly warmupUs: number
}

/** Validates `options` (defaults filled in); the first bad field is an `InvalidArgument`. */
export const checkOptions = (options: EvaluateOptions): Result.Result<Checked, DamonError> => {
  const attrs = Attrs.make({ opsUpdateIntervalUs: defaultOpsUpdateIntervalUs, ...options.attrs })
  if (Result.isFailure(attrs)) return Result.fail(attrs.failure)
  const { durationUs } = options
  if (!(Number.isFinite(durationUs) && durationUs > 0)) return Result.fail(invalidArgument("durationUs", durationUs, "must be a positive finite number of microseconds"))
  const seed = options.seed ?? 1
  if (!Number.isSafeInteger(seed)) return Result.fail(invalidArgument("seed", seed, "must be a safe integer"))
  const hotThreshold = options.hotThreshold ?? 0.5
  if (!(hotThreshold > 0 && hotThreshold <= 1)) return Result.fail(invalidArgument("hotThreshold", hotThreshold, "must be in (0, 1]"))
  const truthTickUs = options.truthTickUs ?? attrs.success.sampleIntervalUs
  if (!(truthTickUs > 0 && Number.isFinite(truthTickUs))) return Result.fail(invalidArgument("truthTickUs", truthTickUs, "must be a positive finite number of microseconds"))
  const warmupUs = options.warmupUs ?? 0
  if (!(warmupUs >= 0 && warmupUs < durationUs)) return Result.fail(invalidArgument("warmupUs", warmupUs, `must be in [0, durationUs (${durationUs}))`))
  return Result.succeed({ attrs: attrs.success, durationUs, seed, hotThreshold, truthTickUs, warmupUs })
}

const pooledOf = (ws: ReadonlyArray<WindowAccuracy>): PooledAccuracy => {
  let err = 0
  let wss = 0
  let both = 0
  let est = 0
  let hot = 0
  for (const w of ws) {
    err += Math.abs(w.wssEstBytes - w.wssTrueBytes)
    wss += w.wssTrueBytes
    both += w.hotBothBytes
    est += w.hotEstBytes
    hot += w.hotTrueBytes
  }
  return { wssErrorPct: wss > 0 ? (err / wss) * 100 : null, hotPrecision: est > 0 ? both / est : null, hotRecall: hot > 0 ? both / hot : null }
}

const evaluationOf = (
  monitor: Evaluation["monitor"],
  w: WorkloadSpec,
  c: Checked,
  windows: ReadonlyArray<WindowAccuracy>,
  samples: number,
  checks: number
): Evaluation => {
  const kept = windows.filter((x) => x.endUs > c.warmupUs)
  return {
    monitor,
    workload: workloadName(w),
    attrs: c.attrs,
    durationUs: c.durationUs,
    hotThreshold: c.hotThreshold,
    truthTickUs: c.truthTickUs,
    samples,
    checks,
    checksPerSample: samples > 0 ? checks / samples : 0,
    checksPerSec: checks / (c.durationUs / 1e6),
    windows,
    summary: {
      wssErrorPct: summarize(kept.map((x) => x.wssErrorPct)),
      hotPrecision: summarize(kept.map((x) => x.hotPrecision)),
      hotRecall: summarize(kept.map((x) => x.hotRecall)),
      coldPrecision: summarize(kept.map((x) => x.coldPrecision)),
      coldRecall: summarize(kept.map((x) => x.coldRecall))
    },
    pooled: pooledOf(kept)
  }
}

/** Runs `body` in a fresh virtual world with the workload's feeder started; fails if the feeder does. */
const inWorld = <A>(
  run: WorkloadRun,
  body: (world: World.World) => Effect.Effect<A, DamonError, World.WorldClock | Damon.Damon | Scope.Scope>
): Effect.Effect<A, DamonError> => {
  const world = World.makeVirtual()
  const layer = Damon.layer.pipe(
    Layer.provide(OpsRegistry.layer({ vaddr: vaddrOps(run.space) })),
    Layer.provideMerge(Layer.succeed(World.WorldClock, world))
  )
  return Effect.scoped(Effect.gen(function*() {
    const feeder = yield* run.start
    const main = body(world)
    if (feeder === undefined) return yield* main
    // A bad trace fails the run at once instead of after the whole duration.
    return yield* Effect.raceFirst(main, Effect.andThen(Fiber.join(feeder), Effect.never))
  })).pipe(Effect.provide(layer))
}

/** Monitors `w` with a kdamond (`vaddr`, the given attrs) and judges every aggregation window. */
export const evaluateDamon = (w: WorkloadSpec, options: EvaluateOptions): Effect.Effect<Evaluation, DamonError> =>
  Effect.gen(function*() {
    const c = yield* Effect.fromResult(checkOptions(options))
    const run = yield* Effect.fromResult(instantiate(w, c.truthTickUs, c.seed))
    return yield* inWorld(run, (world) =>
      Effect.gen(function*() {
        const damon = yield* Damon.Damon
        const windows: Array<WindowAccuracy> = []
        const kdamond = yield* damon.start({ ops: "vaddr", targets: [{ pid: run.pid }], attrs: c.attrs }, { seed: c.seed, stopAtUs: c.durationUs })
        const onWindow = (ctx: DamonCtx): void => {
          const truth = run.closeWindow(world.nowUs())
          // The regions themselves, judged now and not kept: no copy per window. The kdamond
          // was started with the one target it monitors.
          const regions: ReadonlyArray<EstimateRegion> = ctx.targets[0]!.regions
          windows.push(windowAccuracy(truth, { regions, maxNrAccesses: Attrs.maxNrAccesses(ctx.attrs) }, { hotThreshold: c.hotThreshold }))
        }
        const aggregations = yield* Effect.forkChild(Effect.ignore(kdamond.damonCallRepeat(onWindow, { at: "aggregation" })), { startImmediately: true })
        yield* kdamond.join
        yield* Fiber.join(aggregations)
        // The regions checked, counted by the kdamond at each check (no user function at every
        // sample, which would keep vaddr writing every sample; see `DamonOps.settle`).
        const stats = yield* kdamond.stats
        return evaluationOf("damon", w, c, windows, stats.samples, stats.regionChecks)
      })
    )
  })

const rangesOf = (mappings: ReadonlyArray<AddrRange>): ReadonlyArray<AddrRange> => threeRegions(mappings, DAMON_MIN_REGION_SZ) ?? mappings

/**
 * Monitors `w` with the fixed-granularity baseline (`nrRegions` regions over vaddr's three
 * regions of the process, re-cut every `opsUpdateIntervalUs` as vaddr re-reads them) at the
 * attrs' sampling and aggregation intervals, and judges every window.
 */
export const evaluateBaseline = (w: WorkloadSpec, options: EvaluateOptions & { readonly nrRegions: number }): Effect.Effect<Evaluation, DamonError> =>
  Effect.gen(function*() {
    const c = yield* Effect.fromResult(checkOptions(options))
    if (!(Number.isSafeInteger(options.nrRegions) && options.nrRegions >= 1)) {
      return yield* Effect.fail(invalidArgument("nrRegions", options.nrRegions, "must be an integer >= 1"))
    }
    const run = yield* Effect.fromResult(instantiate(w, c.truthTickUs, c.seed))
    return yield* inWorld(run, (world) =>
      Effect.gen(function*() {
        const participant = world.join()
        const rng = makeRng(c.seed)
        const sampler = run.space.sampler(rng)
        const { sampleIntervalUs, aggrIntervalUs, opsUpdateIntervalUs } = c.attrs
        const perWindow = Math.max(1, Math.floor(aggrIntervalUs / Math.max(sampleIntervalUs, 1)))
        const windows: Array<WindowAccuracy> = []
        let now = world.nowUs()
        let regions = FixedMonitor.partition(rangesOf(run.space.mappings(run.pid, now)), options.nrRegions)
        let nextUpdateUs = now + opsUpdateIntervalUs
        let samples = 0
        let checks = 0
        FixedMonitor.prepare(regions, sampler, run.pid, rng, now)
        while (now + sampleIntervalUs <= c.durationUs) {
          yield* participant.sleepUntil(now + sampleIntervalUs)
          now = world.nowUs()
          checks += FixedMonitor.check(regions, sampler, run.pid, now)
          samples++
          if (samples % perWindow === 0) {
            const truth = run.closeWindow(now)
            windows.push(windowAccuracy(truth, { regions: FixedMonitor.aggregate(regions), maxNrAccesses: perWindow }, { hotThreshold: c.hotThreshold }))
            if (now >= nextUpdateUs) {
              regions = FixedMonitor.partition(rangesOf(run.space.mappings(run.pid, now)), options.nrRegions)
              nextUpdateUs = now + opsUpdateIntervalUs
            }
          }
          FixedMonitor.prepare(regions, sampler, run.pid, rng, now)
        }
        participant.leave()
        return evaluationOf("baseline", w, c, windows, samples, checks)
      })
    )
  })

/**
 * DAMON on `w`, then the baseline with DAMON's mean number of checks per sample (rounded), both
 * judged the same way.
 */
export const compare = (w: WorkloadSpec, options: EvaluateOptions): Effect.Effect<Comparison, DamonError> =>
  Effect.gen(function*() {
    const damon = yield* evaluateDamon(w, options)
    const nrRegions = Math.max(1, Math.round(damon.checksPerSample))
    const baseline = yield* evaluateBaseline(w, { ...options, nrRegions })
    return { damon, baseline }
  })

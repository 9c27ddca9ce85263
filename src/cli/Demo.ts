/**
 * The main job of `npm start`: monitor a masim workload on the simulated machine in virtual time
 * with a DAMOS `pageout` scheme (regions idle for five seconds are paged out), and print what
 * DAMON sees: an access snapshot with the scheme's stats every few aggregations, the resident
 * set, and at the end a time x address heatmap folded into a `HeatmapGrid` as the aggregations
 * come. The demo paces the kdamond (`PacedRun.ts`), so memory is bounded whatever the run length
 * and no aggregation is lost; runs longer than two seconds show progress on a terminal. Built on
 * the public engine API (`Damon.start`, the event stream, `SchemesControl`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Damon from "../Damon.ts"
import type { MonitorEvent } from "../engine/Events.ts"
import * as World from "../engine/World.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Stat } from "../model/Damos.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { biggestSystemRamRange } from "../ops/paddr.ts"
import * as HeatmapGrid from "../report/HeatmapGrid.ts"
import { formatHeatmap } from "../report/HeatmapText.ts"
import { schemesStats } from "../SchemesControl.ts"
import { cycleMs } from "../sim/MasimConfig.ts"
import { SimMachine } from "../sim/SimMachine.ts"
import { simOps } from "../sim/SimOps.ts"
import { simSpace } from "../sim/SimSpace.ts"
import { runPaced } from "./PacedRun.ts"
import { makeProgress } from "./Progress.ts"
import { formatAccessSnapshot, formatSize } from "./Report.ts"
import { loadWorkload } from "./Workloads.ts"

export { loadWorkload } from "./Workloads.ts"

/** Options of the demo (the CLI flags). */
export interface DemoOptions {
  /** A shipped masim config name (`stairs`, `zigzag`, ...) or a path to a masim file. */
  readonly workload: string
  readonly ops: "vaddr" | "fvaddr" | "paddr"
  readonly seed: number
  /** Virtual run time in milliseconds; 0 = one full cycle of the workload's phases. */
  readonly durationMs: number
  /** Print an access snapshot every this many aggregations; 0 = about ten over the run. */
  readonly reportEvery: number
  readonly sampleUs: number
  readonly aggrUs: number
  readonly minNrRegions: number
  readonly maxNrRegions: number
  readonly width: number
  readonly height: number
  readonly color: boolean
  /** Run the pageout scheme (default true). */
  readonly pageout?: boolean
}

/** The defaults `npm start` uses. */
export const defaultOptions: DemoOptions = {
  workload: "stairs",
  ops: "vaddr",
  seed: 1,
  durationMs: 0,
  reportEvery: 0,
  sampleUs: 5000,
  aggrUs: 100_000,
  minNrRegions: 10,
  maxNrRegions: 1000,
  width: 80,
  height: 30,
  color: false,
  pageout: true
}

const PID = 42

/** Regions idle this long are paged out by the demo's scheme. */
const PAGEOUT_IDLE_US = 5_000_000

/** The monitoring target for the chosen ops set: the process, its mapped ranges, or physical RAM. */
const targetFor = (machine: SimMachine, ops: DemoOptions["ops"]) => {
  if (ops === "paddr") return { pid: null, regions: [biggestSystemRamRange(simSpace(machine))] }
  if (ops === "vaddr") return { pid: PID }
  const vmas = machine.process(PID)!.vmasAt(0)
  return { pid: PID, regions: vmas.map((v) => ({ start: v.start, end: v.end })) }
}

/** Refuses values the demo cannot honour, naming the flag (the CLI's parser refuses them first). */
const checkOptions = (o: DemoOptions): DamonError | undefined => {
  const atLeast: ReadonlyArray<readonly [string, number, number]> = [
    ["--duration-ms", o.durationMs, 0],
    ["--report-every", o.reportEvery, 0],
    ["--sample-us", o.sampleUs, 1],
    ["--aggr-us", o.aggrUs, 1],
    ["--min-regions", o.minNrRegions, 1],
    ["--max-regions", o.maxNrRegions, 1],
    ["--width", o.width, 1],
    ["--height", o.height, 1]
  ]
  for (const [flag, v, min] of atLeast) if (!Number.isSafeInteger(v) || v < min) return invalidArgument(flag, v, `must be an integer >= ${min}`)
  if (o.ops !== "vaddr" && o.ops !== "fvaddr" && o.ops !== "paddr") return invalidArgument("--ops", o.ops, "must be vaddr, fvaddr or paddr")
  return undefined
}

const statLine = (s: Stat | undefined): string =>
  s === undefined ? "pageout: no stats yet" : `pageout: tried ${s.nrTried} regions (${formatSize(s.szTried)}), applied to ${s.nrApplied} (sz_applied ${formatSize(s.szApplied)})`

const demoFlags: Readonly<Record<string, string>> = {
  "attrs.minNrRegions": "--min-regions",
  "attrs.maxNrRegions": "--max-regions",
  "attrs.sampleIntervalUs": "--sample-us",
  "attrs.aggrIntervalUs": "--aggr-us"
}

/** An error about a config field, said with the demo's flag for it. */
const asFlag = (e: DamonError): DamonError => {
  const r = e.reason
  const flag = r._tag === "InvalidArgument" ? demoFlags[r.field] : undefined
  return flag === undefined || r._tag !== "InvalidArgument" ? e : invalidArgument(flag, JSON.parse(r.value) as unknown, r.rule)
}

/**
 * Runs the demo: monitors the workload for the configured virtual time and prints snapshots,
 * the pageout scheme's stats and the heatmap. Fails with `InvalidArgument` naming the flag for a
 * bad workload, a bad value or bad attrs, before anything runs.
 */
export const runDemo = (options: DemoOptions): Effect.Effect<void, DamonError> =>
  Effect.gen(function*() {
    const bad = checkOptions(options)
    if (bad !== undefined) return yield* Effect.fail(bad)
    const config = loadWorkload(options.workload)
    if (Result.isFailure(config)) return yield* Effect.fail(config.failure)
    const machine = SimMachine.withMasim(config.success, { seed: options.seed, pid: PID, loop: true })
    if (Result.isFailure(machine)) return yield* Effect.fail(machine.failure)
    const m = machine.success
    const durationMs = options.durationMs > 0 ? options.durationMs : cycleMs(config.success)
    const aggregations = Math.max(1, Math.floor((durationMs * 1000) / options.aggrUs))
    const reportEvery = options.reportEvery > 0 ? options.reportEvery : Math.max(1, Math.floor(aggregations / 10))
    const pageout = options.pageout !== false
    const runtime = Damon.layer.pipe(Layer.provide(OpsRegistry.layer(simOps(m))), Layer.provideMerge(World.layerVirtual))
    const grid = HeatmapGrid.make({ width: options.width, height: options.height, expectedDurationUs: durationMs * 1000 })
    if (Result.isFailure(grid)) return yield* Effect.fail(grid.failure)
    const schemes = pageout ? [{ action: "pageout" as const, pattern: { maxNrAccesses: 0, minAgeRegion: Math.ceil(PAGEOUT_IDLE_US / options.aggrUs) } }] : []
    const world = { nowUs: 0 }
    const run = yield* Effect.scoped(Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const clock = yield* World.WorldClock
      const progress = yield* makeProgress()
      yield* Effect.addFinalizer(() => progress.done)
      let last: Stat | undefined
      // The kdamond runs half an aggregation past the end, so the last aggregation's stats are still served.
      const start = damon.start(
        {
          ops: options.ops,
          targets: [targetFor(m, options.ops)],
          attrs: {
            sampleIntervalUs: options.sampleUs,
            aggrIntervalUs: options.aggrUs,
            minNrRegions: options.minNrRegions,
            maxNrRegions: options.maxNrRegions
          },
          schemes
        },
        { seed: options.seed, stopAtUs: durationMs * 1000 + Math.max(options.sampleUs, options.aggrUs / 2) }
      )
      let reason = "running"
      const onEvent = (event: MonitorEvent, kdamond: { readonly index: number }, stats: Effect.Effect<Array<Stat>, DamonError>) =>
        Effect.gen(function*() {
          if (event._tag === "Started") {
            yield* Console.log(
              `effect-damon demo: masim '${config.success.name}' (${config.success.regions.length} regions, ` +
                `${formatSize(config.success.regions.reduce((n, r) => n + r.size, 0))}), ops ${options.ops}, ` +
                `${durationMs / 1000} s of virtual time, seed ${options.seed}` +
                (pageout ? `; scheme: pageout regions idle for ${PAGEOUT_IDLE_US / 1e6} s` : "")
            )
          }
          if (event._tag === "Stopped") reason = event.reason._tag
          if (event._tag !== "Aggregated" || event.atUs > durationMs * 1000) return
          HeatmapGrid.add(grid.success, event)
          yield* progress.update(event.atUs / (durationMs * 1000), `${(event.atUs / 1e6).toFixed(1)} of ${durationMs / 1000} s virtual`)
          // A damonCall is served when the kdamond wakes for its next sample, after this handler
          // let time move on: ask at every aggregation, print the answer of the previous one.
          if (pageout) {
            yield* Effect.forkScoped(Effect.ignore(Effect.tap(stats, (s) => Effect.sync(() => void (last = s[0] ?? last)))), { startImmediately: true })
          }
          const due = event.nrAggregations % reportEvery === 0
          world.nowUs = clock.nowUs()
          if (!due) return
          yield* Console.log(`\n${formatAccessSnapshot(event, `kdamond.${kdamond.index} aggregation ${event.nrAggregations}`)}`)
          yield* Console.log(`# resident ${formatSize(m.residentBytes(clock.nowUs(), PID))}${pageout ? `; ${statLine(last)}` : ""}`)
        })
      yield* runPaced(start, options.aggrUs, (e, k) => onEvent(e, k, schemesStats(k)))
      return { reason, last }
    })).pipe(Effect.provide(runtime))
    yield* Console.log(`\n${formatHeatmap(grid.success, { color: options.color })}`)
    yield* Console.log(
      `\nkdamond stopped (${run.reason}) after ${grid.success.nrSnapshots} aggregations` +
        (pageout ? `\n${statLine(run.last)}; resident at the end ${formatSize(m.residentBytes(world.nowUs, PID))}` : "")
    )
  }).pipe(Effect.mapError(asFlag))

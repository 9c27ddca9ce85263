/**
 * The main job of `npm start`: monitor a masim workload on the simulated machine in virtual time
 * and print what DAMON sees, an access snapshot every few aggregations and a time x address
 * heatmap at the end, folded into a `HeatmapGrid` as the aggregations come (memory bounded
 * whatever the run length). Built only on the public engine API (`Damon.start`, the kdamond's
 * event stream), like any Effect application would.
 */
import { Console, Effect, Layer, Result, Stream } from "effect"
import * as Damon from "../Damon.ts"
import type { MonitorEvent } from "../engine/Events.ts"
import * as World from "../engine/World.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { biggestSystemRamRange } from "../ops/paddr.ts"
import type { MasimConfig } from "../sim/MasimConfig.ts"
import { cycleMs } from "../sim/MasimConfig.ts"
import { loadMasimConfig, loadMasimConfigFile, masimConfigNames } from "../sim/MasimFiles.ts"
import { SimMachine } from "../sim/SimMachine.ts"
import { simOps } from "../sim/SimOps.ts"
import { simSpace } from "../sim/SimSpace.ts"
import * as HeatmapGrid from "../report/HeatmapGrid.ts"
import { formatHeatmap } from "../report/HeatmapText.ts"
import { formatAccessSnapshot, formatSize } from "./Report.ts"

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
  color: false
}

const PID = 42

/** Loads the workload by shipped name or by path. */
export const loadWorkload = (workload: string): Result.Result<MasimConfig, DamonError> =>
  (masimConfigNames as ReadonlyArray<string>).includes(workload) ? loadMasimConfig(workload) : loadMasimConfigFile(workload)

/** The monitoring target for the chosen ops set: the process, its mapped ranges, or physical RAM. */
const targetFor = (machine: SimMachine, ops: DemoOptions["ops"]) => {
  if (ops === "paddr") return { pid: null, regions: [biggestSystemRamRange(simSpace(machine))] }
  if (ops === "vaddr") return { pid: PID }
  const vmas = machine.process(PID)!.vmasAt(0)
  return { pid: PID, regions: vmas.map((v) => ({ start: v.start, end: v.end })) }
}

/**
 * Runs the demo: monitors the workload for the configured virtual time and prints snapshots
 * and the heatmap. Fails with `InvalidArgument` for a bad workload file or bad attrs.
 */
export const runDemo = (options: DemoOptions): Effect.Effect<void, DamonError> =>
  Effect.gen(function*() {
    const config = loadWorkload(options.workload)
    if (Result.isFailure(config)) return yield* Effect.fail(config.failure)
    const machine = SimMachine.withMasim(config.success, { seed: options.seed, pid: PID, loop: true })
    if (Result.isFailure(machine)) return yield* Effect.fail(machine.failure)
    if (options.ops !== "vaddr" && options.ops !== "fvaddr" && options.ops !== "paddr") {
      return yield* Effect.fail(invalidArgument("--ops", options.ops, "must be vaddr, fvaddr or paddr"))
    }
    const durationMs = options.durationMs > 0 ? options.durationMs : cycleMs(config.success)
    const aggregations = Math.max(1, Math.floor((durationMs * 1000) / Math.max(options.aggrUs, 1)))
    const reportEvery = options.reportEvery > 0 ? options.reportEvery : Math.max(1, Math.floor(aggregations / 10))
    const registry = OpsRegistry.layer(simOps(machine.success))
    const runtime = Damon.layer.pipe(Layer.provide([registry, World.layerVirtual]))
    const grid = HeatmapGrid.make({ width: options.width, height: options.height, expectedDurationUs: durationMs * 1000 })
    if (Result.isFailure(grid)) return yield* Effect.fail(grid.failure)
    const started = yield* Effect.scoped(Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const kdamond = yield* damon.start(
        {
          ops: options.ops,
          targets: [targetFor(machine.success, options.ops)],
          attrs: {
            sampleIntervalUs: options.sampleUs,
            aggrIntervalUs: options.aggrUs,
            minNrRegions: options.minNrRegions,
            maxNrRegions: options.maxNrRegions
          }
        },
        { seed: options.seed, stopAtUs: durationMs * 1000, eventBufferSize: 1 << 16 }
      )
      let lastSeq = 0
      let dropped = 0
      yield* Stream.runForEach(kdamond.events, (event: MonitorEvent) =>
        Effect.gen(function*() {
          if (lastSeq !== 0 && event.seq !== lastSeq + 1) dropped += event.seq - lastSeq - 1
          lastSeq = event.seq
          if (event._tag === "Started") {
            yield* Console.log(
              `effect-damon demo: masim '${config.success.name}' (${config.success.regions.length} regions, ` +
                `${formatSize(config.success.regions.reduce((n, r) => n + r.size, 0))}), ops ${options.ops}, ` +
                `${durationMs / 1000} s of virtual time, seed ${options.seed}`
            )
          }
          if (event._tag !== "Aggregated") return
          HeatmapGrid.add(grid.success, event)
          if (event.nrAggregations % reportEvery === 0) {
            yield* Console.log(`\n${formatAccessSnapshot(event, `kdamond.${kdamond.index} aggregation ${event.nrAggregations}`)}`)
          }
        }))
      return { reason: yield* kdamond.join, dropped }
    })).pipe(Effect.provide(runtime))
    yield* Console.log(`\n${formatHeatmap(grid.success, { color: options.color })}`)
    yield* Console.log(
      `\nkdamond stopped (${started.reason._tag}) after ${grid.success.nrSnapshots} aggregations` +
        (started.dropped > 0 ? `; ${started.dropped} events were dropped by the slow reader` : "")
    )
  })

/**
 * Runs a masim workload under the simulated machine in virtual time, seeded, and hands every
 * aggregation snapshot to a callback, as a report would see them from `record` or the demo.
 */
import { Effect, Layer, Result, Stream } from "effect"
import { Damon, type Events, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"

export const PID = 42

/** What a run leaves behind: the workload's region addresses and the number of snapshots. */
export interface Run {
  /** Address range of each masim region, in the workload's order. */
  readonly regions: ReadonlyArray<{ readonly name: string; readonly start: number; readonly end: number }>
  readonly nrSnapshots: number
}

/** Monitors `workload` with vaddr for `seconds` of virtual time with the default intervals. */
export const monitorWorkload = (
  workload: string,
  options: { readonly seconds: number; readonly seed: number; readonly minNrRegions?: number },
  onSnapshot: (snapshot: Extract<Events.MonitorEvent, { _tag: "Aggregated" }>) => void
): Effect.Effect<Run> =>
  Effect.gen(function*() {
    const config = Result.getOrThrow(MasimFiles.loadMasimConfig(workload))
    const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: options.seed, pid: PID, loop: true }))
    const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
    let nrSnapshots = 0
    yield* Effect.scoped(Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const kdamond = yield* damon.start(
        {
          ops: "vaddr",
          targets: [{ pid: PID }],
          attrs: { sampleIntervalUs: 5000, aggrIntervalUs: 100_000, minNrRegions: options.minNrRegions ?? 10, maxNrRegions: 1000 }
        },
        { seed: options.seed, stopAtUs: options.seconds * 1_000_000, eventBufferSize: 1 << 16 }
      )
      yield* Stream.runForEach(kdamond.events, (event) =>
        Effect.sync(() => {
          if (event._tag !== "Aggregated") return
          nrSnapshots++
          onSnapshot(event)
        }))
      yield* kdamond.join
    })).pipe(Effect.provide(layer), Effect.orDie)
    const process = machine.process(PID)!
    const regions = config.regions.map((r, i) => ({ name: r.name, start: process.regionStart[i]!, end: process.regionStart[i]! + r.size }))
    return { regions, nrSnapshots }
  })

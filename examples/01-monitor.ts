/**
 * Monitor a masim workload in virtual time and print, once per second of workload time, the
 * hottest region DAMON found. Run: `node --conditions=development examples/01-monitor.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Stream } from "effect"
import { Damon, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"

export const main = Effect.gen(function*() {
  // a simulated machine running masim's zigzag as process 42
  const workload = yield* Effect.fromResult(MasimFiles.loadMasimConfig("zigzag"))
  const machine = yield* Effect.fromResult(SimMachine.SimMachine.withMasim(workload, { pid: 42, seed: 1 }))
  const runtime = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))

  yield* Effect.scoped(Effect.gen(function*() {
    const damon = yield* Damon.Damon
    const kdamond = yield* damon.start(
      { ops: "vaddr", targets: [{ pid: 42 }], attrs: { sampleIntervalUs: 5_000, aggrIntervalUs: 100_000 } },
      { seed: 1, stopAtUs: 30_000_000 }
    )
    yield* kdamond.events.pipe(
      Stream.filter((e) => e._tag === "Aggregated" && e.nrAggregations % 10 === 0),
      Stream.runForEach((e) => {
        if (e._tag !== "Aggregated") return Effect.void
        const hottest = e.targets[0]!.regions.reduce((a, b) => (b.nrAccesses > a.nrAccesses ? b : a))
        const mib = ((hottest.end - hottest.start) / 2 ** 20).toFixed(1)
        return Console.log(`t=${e.atUs / 1e6}s hottest: 0x${hottest.start.toString(16)} (${mib} MiB) ${hottest.nrAccesses}/20`)
      })
    )
    yield* Console.log(`stopped: ${(yield* kdamond.join)._tag}`)
  })).pipe(Effect.provide(runtime))
})

if (import.meta.main) NodeRuntime.runMain(main)

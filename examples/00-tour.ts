/**
 * The README's tour of the API, kept compiling and running by `spec/examples.test.ts`.
 * Run: `node --conditions=development examples/00-tour.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Result, Stream } from "effect"
import { Damon, MasimFiles, OpsRegistry, SchemesControl, SimMachine, SimOps, World } from "effect-damon"

// an address space: a simulated machine running masim's zigzag as process 42
const workload = Result.getOrThrow(MasimFiles.loadMasimConfig("zigzag"))
const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(workload, { pid: 42 }))
const DamonLive = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))

export const main = Effect.gen(function*() {
  const damon = yield* Damon.Damon
  // start a kdamond (stopped when the scope closes); bad config is a typed InvalidArgument
  const kdamond = yield* damon.start(
    {
      ops: "vaddr",
      targets: [{ pid: 42 }],
      attrs: { sampleIntervalUs: 5_000, aggrIntervalUs: 100_000, minNrRegions: 10, maxNrRegions: 1000 },
      schemes: [{ action: "pageout", pattern: { maxNrAccesses: 0 } }]
    },
    { seed: 1, stopAtUs: 60_000_000 }
  )
  // events: every aggregation's regions, without slowing the kdamond down
  yield* Effect.forkScoped(Stream.runDrain(kdamond.events))
  // damonCall: run a function on the kdamond, with exclusive access to the context
  const nrRegions = yield* kdamond.damonCall((ctx) => ctx.targets[0]!.regions.length, { at: "aggregation" })
  // damosWalk (through SchemesControl): the regions the scheme acts on during its next pass
  const [tried] = yield* SchemesControl.schemesTriedRegions(kdamond)
  // commit: change parameters online, atomically
  yield* kdamond.commit({ ops: "vaddr", targets: [{ pid: 42 }], attrs: { aggrIntervalUs: 200_000 } })
  yield* Console.log(`${nrRegions} regions; pageout tried on ${tried!.regions.length} regions`)
}).pipe(Effect.scoped, Effect.provide(DamonLive))

if (import.meta.main) NodeRuntime.runMain(main)

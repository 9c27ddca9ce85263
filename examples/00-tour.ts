/**
 * The README's tour of the API, kept compiling and running by `spec/examples.test.ts`.
 * Run: `node --conditions=development examples/00-tour.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Result, Stream } from "effect"
import { Damon, type DamonConfigInput, OpsRegistry, SchemesControl, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"

// an address space: a simulated machine running masim's zigzag as process 42
const workload = Result.getOrThrow(MasimFiles.loadMasimConfig("zigzag"))
const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(workload, { pid: 42 }))
// one world: every kdamond of this runtime and the machine share its (virtual) clock
const DamonLive = Damon.layer.pipe(Layer.provide(OpsRegistry.layer(SimOps.simOps(machine))), Layer.provideMerge(World.layerVirtual))

// a typed config: the editor completes every field, the compiler refuses a misspelt one
const config: DamonConfigInput = {
  ops: "vaddr",
  targets: [{ pid: 42 }],
  attrs: { sampleIntervalUs: 5_000, aggrIntervalUs: 100_000, minNrRegions: 10, maxNrRegions: 1000 },
  schemes: [{ action: "pageout", pattern: { maxNrAccesses: 0 } }]
}

export const main = Effect.gen(function*() {
  const damon = yield* Damon.Damon
  // start a kdamond (stopped when the scope closes); bad values are a typed InvalidArgument
  const kdamond = yield* damon.start(config, { seed: 1, stopAtUs: 60_000_000 })
  // events: every aggregation's regions, without slowing the kdamond down
  yield* Effect.forkScoped(Stream.runDrain(kdamond.events))
  // damonCall: run a function on the kdamond, with exclusive access to the context
  const nrRegions = yield* kdamond.damonCall((ctx) => ctx.targets[0]!.regions.length, { at: "aggregation" })
  // damosWalk (through SchemesControl): the regions the scheme acts on during its next pass
  const [tried] = yield* SchemesControl.schemesTriedRegions(kdamond)
  // commit: change parameters online, atomically
  yield* kdamond.commit({ ...config, attrs: { aggrIntervalUs: 200_000 } })
  // a second kdamond joins at the world's current time, not at the workload's start
  const world = yield* World.WorldClock
  yield* world.sleep(10_000_000)
  yield* damon.start({ ops: "vaddr", targets: [{ pid: 42 }] }, { seed: 2, stopAtUs: 1_000_000 })
  yield* Console.log(`${nrRegions} regions; pageout tried on ${tried!.regions.length} regions`)
  yield* Console.log(`a second kdamond joined at world time ${world.nowUs() / 1e6} s`)
}).pipe(Effect.scoped, Effect.provide(DamonLive))

if (import.meta.main) NodeRuntime.runMain(main)

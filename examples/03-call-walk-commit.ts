/**
 * The synchronous control API: read the running context with `damonCall`, see exactly which
 * regions a scheme acts on with `damosWalk`, and change parameters online with `commit`.
 * Real time here (a 5 ms sampling interval), as an application would run it.
 * Run: `node --conditions=development examples/03-call-walk-commit.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { Damon, OpsRegistry, SchemesControl, World, type DamonConfigInput } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"

export const main = Effect.gen(function*() {
  const workload = yield* Effect.fromResult(MasimFiles.loadMasimConfig("zigzag"))
  const machine = yield* Effect.fromResult(SimMachine.SimMachine.withMasim(workload, { pid: 42, seed: 1 }))
  const runtime = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerReal]))
  const config = {
    ops: "vaddr",
    targets: [{ pid: 42 }],
    schemes: [{ action: "stat", pattern: { minNrAccesses: 10 } }]
  } satisfies DamonConfigInput
  yield* Effect.scoped(Effect.gen(function*() {
    const kdamond = yield* (yield* Damon.Damon).start(config, { seed: 1 })
    yield* Effect.sleep("1 second")

    // damonCall: runs on the kdamond between loop phases, with exclusive access to the context
    const regions = yield* kdamond.damonCall((ctx) => ctx.targets[0]!.regions.length, { at: "aggregation" })
    yield* Console.log(`regions after 1 s: ${regions}`)

    // damosWalk: every region the scheme is applied to during its next pass
    const tried = yield* SchemesControl.schemesTriedRegions(kdamond)
    yield* Console.log(`hot regions tried by the stat scheme: ${tried[0]!.regions.length}, ${tried[0]!.totalBytes} bytes`)

    // commit: new attrs and a second scheme, online; stats of the kept scheme survive
    yield* kdamond.commit({
      ...config,
      attrs: { sampleIntervalUs: 10_000, aggrIntervalUs: 200_000 },
      schemes: [...config.schemes, { action: "cold", pattern: { maxNrAccesses: 0 } }]
    })
    const after = yield* kdamond.damonCall((ctx) => ({ sample: ctx.attrs.sampleIntervalUs, schemes: ctx.schemes.map((s) => s.action) }))
    yield* Console.log(`after commit: sample ${after.sample} us, schemes ${after.schemes.join(", ")}`)

    // a bad commit is refused with a typed error and changes nothing
    const refused = yield* Effect.flip(kdamond.commit({ ...config, attrs: { minNrRegions: 1 } }))
    yield* Console.log(`refused: ${refused.errno} ${refused.message}`)
  })).pipe(Effect.provide(runtime))
})

if (import.meta.main) NodeRuntime.runMain(main)

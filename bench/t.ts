import { Effect, Layer, Result } from "effect"
import { Damon, MasimFiles, OpsRegistry, SimMachine, SimOps } from "effect-damon"
const MiB = 1024 * 1024
const config = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
const S = [
  { action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 50 }, quota: { sz: 64 * MiB, resetIntervalMs: 1000, weightAge: 1 } },
  { action: "cold", pattern: { maxNrAccesses: 2 }, quota: { ms: 2, resetIntervalMs: 1000, weightNrAccesses: 1, weightAge: 1 } },
  { action: "stat", pattern: { minNrAccesses: 5 } }
]
for (let i = 0; i < 12; i++) {
  const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: 42 }))
  const layer = Damon.layer.pipe(Layer.provide(OpsRegistry.layer(SimOps.simOps(machine))))
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start({ ops: "vaddr", targets: [{ pid: 42 }], schemes: S, attrs: { minNrRegions: 1000, maxNrRegions: 1000 } }, { time: "virtual", seed: 1, stopAtUs: 20_000_000 })
    yield* k.join
  })).pipe(Effect.provide(layer)))
}

import { Clock, Effect, Fiber, Layer, Scheduler } from "effect"
import { Damon, OpsRegistry } from "effect-damon"
import { WorldClock } from "./src/engine/World.ts"
import { ExplorerScheduler } from "./src/testing/Scheduler.ts"
import * as Strategy from "./src/testing/Strategy.ts"
import * as StepWorld from "./src/testing/StepWorld.ts"
import { makeFakeOps } from "./spec/support/FakeOps.ts"

const MiB = 1 << 20
const one = (seed: number) => Effect.gen(function*() {
  const sched = new ExplorerScheduler(Strategy.chooser(Strategy.random, seed))
  const world = StepWorld.make()
  const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer({ fake: makeFakeOps({ hot: [{ start: 0, end: 16 * MiB }], initRange: { start: 0, end: 64 * MiB }, apply: {} }) }), Layer.succeed(WorldClock, world)]))
  let results: Array<unknown> = []
  const program = Effect.gen(function*() {
    const damon = yield* Damon.Damon
    const k = yield* damon.start({ ops: "fake", targets: [{}], attrs: { sampleIntervalUs: 1000, aggrIntervalUs: 5000, minNrRegions: 3, maxNrRegions: 10 }, schemes: [{ action: "stat" }] }, { seed })
    const clients = []
    for (let c = 0; c < 3; c++) {
      clients.push(yield* Effect.forkChild(Effect.gen(function*() {
        for (let i = 0; i < 4; i++) {
          yield* Effect.yieldNow
          const r = yield* Effect.exit(k.damonCall((ctx) => ctx.passedSampleIntervals, { at: i % 2 === 0 ? "sample" : "aggregation" }))
          yield* Effect.yieldNow
          results.push(r._tag === "Success" ? r.value : "fail")
          yield* world.sleep(1500 * c)
        }
        yield* Effect.exit(k.damosWalk(() => {}))
      })))
    }
    yield* Fiber.joinAll(clients)
    yield* k.stop
  }).pipe(Effect.scoped, Effect.provide(layer), Effect.provideService(Scheduler.Scheduler, sched), Effect.provideService(Clock.Clock, world.clock))
  const fiber = yield* Effect.forkDetach(program, { startImmediately: true })
  yield* Effect.sync(() => {
    let guard = 0
    while (guard++ < 100000) {
      if (sched.step()) continue
      if (!world.advance(1e9)) break
    }
  })
  return { exit: fiber.pollUnsafe()?._tag, steps: sched.steps, now: world.nowUs(), results: results.length, dev: sched.deviations.length }
})
Effect.runPromise(Effect.gen(function*() {
  console.log(yield* one(1))
  const t0 = performance.now()
  const N = 1500
  for (let i = 0; i < N; i++) yield* one(i)
  console.log("per schedule ms", ((performance.now() - t0) / N).toFixed(2))
}))

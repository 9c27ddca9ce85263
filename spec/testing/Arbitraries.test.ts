/**
 * The config arbitraries, as a user would use them with `it.effect.prop`: every generated config
 * starts a kdamond (and, with memory metrics, every scheme kind including watermarks and measured
 * goals), every commit sequence commits, and every invalid config is refused with an error naming
 * the field it breaks, before anything starts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Exit, Layer, Option } from "effect"
import { Damon, Damos, OpsRegistry, World } from "effect-damon"
import { Arbitraries, FakeOps } from "effect-damon/testing"

const runtime = Damon.layer.pipe(Layer.provide([
  OpsRegistry.layer({ fake: FakeOps.make({ freeMemRate: { value: 500 } }) }),
  World.layerVirtual
]))

/**
 * 30 generated configs per property (60 invalid ones below): each run starts a kdamond, so the
 * runs show that what the generators make is startable, committable or refused by field; that
 * they make every action, filter type, quota goal and watermark is asserted on 400 samples by the
 * last test, where a sample costs no kdamond.
 */
const runs = { arbitrary: { runs: 30, seed: 1 } }

describe("Arbitraries", () => {
  it.effect.prop("a generated config starts a kdamond that serves calls", { config: Arbitraries.config({ metrics: true }) }, ({ config }) =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      assert.strictEqual(yield* k.damonCall((ctx) => ctx.schemes.length), config.schemes?.length ?? 0)
      yield* k.stop
    }).pipe(Effect.scoped, Effect.provide(runtime)), runs)

  it.effect.prop("a commit sequence commits, one config after the other", { configs: Arbitraries.commitSequence() }, ({ configs }) =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(configs[0]!, { seed: 1 })
      for (const c of configs) {
        yield* k.commit(c)
        assert.strictEqual(yield* k.damonCall((ctx) => ctx.attrs.sampleIntervalUs), c.attrs?.sampleIntervalUs)
      }
      yield* k.stop
    }).pipe(Effect.scoped, Effect.provide(runtime)), runs)

  it.effect.prop("an invalid config is refused, naming the field it breaks; nothing starts", { bad: Arbitraries.invalidConfig() }, ({ bad }) =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const exit = yield* Effect.exit(damon.start(bad.config as never))
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
      assert.strictEqual(error?.reason._tag, "InvalidArgument")
      assert.isTrue(error!.message.startsWith(`${bad.field}:`), `${error!.message} should name ${bad.field}`)
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.scoped, Effect.provide(runtime)), { arbitrary: { runs: 60, seed: 2 } })

  it.effect("schemes cover every action, every filter type, quotas with goals and watermarks", () =>
    Effect.gen(function*() {
      const schemes = yield* Arbitrary.sampleEffect(Arbitraries.scheme({ metrics: true }), { seed: 3, count: 400, size: 20 })
      assert.deepStrictEqual(new Set(schemes.map((s) => s.action)), new Set(Damos.actions))
      assert.deepStrictEqual(new Set(schemes.flatMap((s) => (s.filters ?? []).map((f) => ("type" in f ? f.type : "anon")))), new Set(Damos.filterTypes))
      assert.isTrue(schemes.some((s) => (s.quota?.goals?.length ?? 0) > 0 && s.quota!.goals!.some((g) => g.metric !== "user_input")))
      assert.isTrue(schemes.some((s) => s.wmarks?.metric === "free_mem_rate"))
      const plain = yield* Arbitrary.sampleEffect(Arbitraries.scheme(), { seed: 3, count: 200, size: 20 })
      assert.isFalse(plain.some((s) => s.wmarks !== undefined || (s.quota?.goals ?? []).some((g) => g.metric !== "user_input")))
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonError, DamonCtx, OpsRegistry, Region, Target, World, type DamonConfigInput } from "effect-damon"
import * as BuildCtx from "../../src/core/BuildCtx.ts"
import * as CommitCtx from "../../src/core/CommitCtx.ts"
import { makeFakeOps } from "../support/FakeOps.ts"
import { untyped } from "../support/untyped.ts"

const MiB = 1 << 20
const hot = [{ start: 0, end: 10 * MiB }]
const fake = makeFakeOps({ hot, initRange: { start: 0, end: 100 * MiB }, apply: {} })
const other = makeFakeOps({ id: "other", hot, apply: {} })
const TestDamon = Damon.layer.pipe(Layer.provide(OpsRegistry.layer({ fake, other })))

const reasonOf = <A>(exit: Exit.Exit<A, DamonError>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.findErrorOption(exit), (e) => e.reason._tag)) : undefined

const base = { ops: "fake", targets: [{}], schemes: [{ action: "pageout", pattern: { maxNrAccesses: 0 } }] } satisfies DamonConfigInput

/** A deep copy of everything observable in a context, for "nothing changed" checks. */
const observe = (ctx: DamonCtx.DamonCtx) =>
  JSON.stringify(ctx, (_k, v) => (typeof v === "bigint" ? v.toString() : v))

describe("commit", () => {
  it.effect("commit - new attrs take effect and rescale; scheme stats and kept regions are preserved", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(base, { seed: 1 })
      yield* TestClock.adjust("1 second")
      const before = yield* k.damonCall((ctx) => ({
        stat: { ...ctx.schemes[0]!.stat },
        regions: ctx.targets[0]!.regions.map((r) => [r.start, r.end])
      }))
      assert.isTrue(before.stat.nrTried > 0)
      yield* k.commit({ ...base, attrs: { sampleIntervalUs: 10_000, aggrIntervalUs: 200_000 } })
      const after = yield* k.damonCall((ctx) => ({
        attrs: ctx.attrs,
        stat: { ...ctx.schemes[0]!.stat },
        regions: ctx.targets[0]!.regions.map((r) => [r.start, r.end])
      }))
      assert.strictEqual(after.attrs.sampleIntervalUs, 10_000)
      assert.deepStrictEqual(after.stat, before.stat)
      assert.deepStrictEqual(after.regions, before.regions)
      const sis0 = yield* k.damonCall((ctx) => ctx.passedSampleIntervals)
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* k.damonCall((ctx) => ctx.passedSampleIntervals)) - sis0, 10)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("commit - a commit that fails validation changes nothing and the kdamond runs on", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(base, { seed: 1 })
      yield* TestClock.adjust("300 millis")
      const bad = [
        { ...base, attrs: { minNrRegions: 2 } },
        { ...base, schemes: [{ action: "explode" }] },
        { ...base, ops: "nope" },
        { ...base, targets: [{}, { obsolete: true }] },
        { ...base, minRegionSz: 4095 }
      ]
      for (const config of bad) {
        const snapshot = yield* k.damonCall(observe)
        assert.strictEqual(reasonOf(yield* Effect.exit(k.commit(untyped(config)))), "InvalidArgument")
        assert.strictEqual(yield* k.damonCall(observe), snapshot)
      }
      assert.isTrue(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("commit - schemes are matched by position: kept ones keep stats, extra ones are added and removed", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(base, { seed: 1 })
      yield* TestClock.adjust("500 millis")
      const tried = yield* k.damonCall((ctx) => ctx.schemes[0]!.stat.nrTried)
      yield* k.commit({ ...base, schemes: [{ action: "cold" }, { action: "stat" }] })
      const s = yield* k.damonCall((ctx) => ctx.schemes.map((x) => [x.action, x.stat.nrTried]))
      assert.deepStrictEqual(s, [["cold", tried], ["stat", 0]])
      yield* k.commit({ ...base, schemes: [] })
      assert.strictEqual(yield* k.damonCall((ctx) => ctx.schemes.length), 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("commit - obsolete targets are removed by position without re-indexing", () =>
    Effect.gen(function*() {
      const three = { ops: "fake", targets: [{ pid: 1 }, { pid: 2 }, { pid: 3 }] }
      const k = yield* (yield* Damon.Damon).start(three, { seed: 1 })
      yield* TestClock.adjust("10 millis")
      yield* k.commit({ ops: "fake", targets: [{ pid: 11 }, { pid: 2, obsolete: true }, { pid: 13 }] })
      assert.deepStrictEqual(yield* k.damonCall((ctx) => ctx.targets.map((t) => t.pid)), [11, 13])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("commit - switches the operations set online", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(base, { seed: 1 })
      yield* TestClock.adjust("10 millis")
      yield* k.commit({ ...base, ops: "other" })
      assert.strictEqual(yield* k.damonCall((ctx) => ctx.opsId), "other")
      yield* TestClock.adjust("100 millis")
      assert.isTrue(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))
})

describe("CommitCtx", () => {
  const ctxOf = (ranges: ReadonlyArray<readonly [number, number]>): DamonCtx.DamonCtx => {
    const ctx = DamonCtx.make("fake")
    ctx.minRegionSz = 1
    ctx.targets.push(Target.make(null, ranges.map(([s, e]) => Region.make(s, e))))
    return ctx
  }
  const sourceOf = (input: unknown) => Result.getOrThrow(BuildCtx.decodeConfig(input))

  // port: damon_test_commit_target_regions (mm/damon/tests/core-kunit.h)
  it("damon_test_commit_target_regions", () => {
    const dst = ctxOf([[3, 8], [8, 10]])
    CommitCtx.commitTargets(dst, sourceOf({ ops: "fake", minRegionSz: 1, targets: [{ regions: [{ start: 4, end: 6 }] }] }))
    assert.deepStrictEqual(Target.ranges(dst.targets[0]!), [{ start: 4, end: 6 }])
    const kept = ctxOf([[3, 8], [8, 10]])
    CommitCtx.commitTargets(kept, sourceOf({ ops: "fake", minRegionSz: 1, targets: [{}] }))
    assert.deepStrictEqual(Target.ranges(kept.targets[0]!), [{ start: 3, end: 8 }, { start: 8, end: 10 }])
  })

  // port: damon_test_commit_ctx (mm/damon/tests/core-kunit.h)
  it("damon_test_commit_ctx", () => {
    const dst = ctxOf([])
    const ok = CommitCtx.commitCtx(dst, sourceOf({ ops: "fake", minRegionSz: 4096 }))
    assert.strictEqual(ok._tag, "Committed")
    // a non-power-of-two min_region_sz is refused before anything changes (kernel: -EINVAL)
    const bad = BuildCtx.decodeConfig({ ops: "fake", minRegionSz: 4095 })
    assert.isTrue(Result.isFailure(bad) && bad.failure.errno === "EINVAL")
  })

  it("commitCtx - an unchanged commit does not re-phase the schedule (R2)", () => {
    const ctx = BuildCtx.buildCtx(sourceOf(base))
    ctx.passedSampleIntervals = 7
    const next = ctx.nextAggregationSis
    CommitCtx.commitCtx(ctx, sourceOf(base))
    assert.strictEqual(ctx.nextAggregationSis, next)
    CommitCtx.commitCtx(ctx, sourceOf({ ...base, attrs: { aggrIntervalUs: 200_000 } }))
    assert.strictEqual(ctx.nextAggregationSis, 7 + 40)
  })
})

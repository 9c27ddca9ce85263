import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonError, Events, OpsRegistry, World } from "effect-damon"
import { type FakeOpsLog, makeFakeOps } from "../support/FakeOps.ts"

const MiB = 1 << 20
const range = { start: 0, end: 100 * MiB }
const hot = [{ start: 0, end: 10 * MiB }]

const layerWith = (entries: Parameters<typeof OpsRegistry.layer>[0]) => Damon.layer.pipe(Layer.provide(OpsRegistry.layer(entries)))
const TestDamon = layerWith({ fake: makeFakeOps({ hot, initRange: range }) })
const config = { ops: "fake", targets: [{}] }

const reasonOf = <A>(exit: Exit.Exit<A, DamonError>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.findErrorOption(exit), (e) => e.reason._tag)) : undefined

describe("Kdamond", () => {
  const log: FakeOpsLog = { calls: [] }
  it.effect("start - runs the loop phases in the kernel's order", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const k = yield* damon.start(
        { ...config, attrs: { sampleIntervalUs: 1000, aggrIntervalUs: 2000, opsUpdateIntervalUs: 3000 } },
        { seed: 1 }
      )
      yield* TestClock.adjust("3 millis")
      yield* k.stop
      assert.deepStrictEqual(log.calls, [
        "init",
        "prepareAccessChecks",
        "checkAccesses",
        "prepareAccessChecks",
        "checkAccesses",
        "prepareAccessChecks",
        "checkAccesses",
        "update",
        "prepareAccessChecks"
      ])
    }).pipe(Effect.provide(layerWith({ fake: makeFakeOps({ hot, initRange: range, log }) })), Effect.provide(World.layerReal)))

  it.effect("start - counts sample intervals like the kernel in virtual time", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 3, stopAtUs: 1_000_000 })
      const reason = yield* k.join
      assert.deepStrictEqual(reason, { _tag: "TimeLimit", atUs: 1_000_000 })
      assert.isFalse(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("start - bad config is an InvalidArgument naming the field and starts nothing", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const bad = yield* Effect.exit(damon.start({ ops: "fake", attrs: { minNrRegions: 2 } }))
      assert.strictEqual(reasonOf(bad), "InvalidArgument")
      assert.include(String(Option.getOrUndefined(Exit.findErrorOption(bad))?.message), "attrs.minNrRegions: 2 is invalid: must be >= 3")
      const unknownOps = yield* Effect.exit(damon.start({ ops: "nope" }))
      assert.include(String(Option.getOrUndefined(Exit.findErrorOption(unknownOps))?.message), "ops: \"nope\" is invalid")
      const badRegions = yield* Effect.exit(damon.start({ ops: "fake", targets: [{ regions: [{ start: 10, end: 5 }] }] }))
      assert.include(String(Option.getOrUndefined(Exit.findErrorOption(badRegions))?.message), "targets[0].regions[0].end")
      const badSz = yield* Effect.exit(damon.start({ ops: "fake", minRegionSz: 3000 }))
      assert.include(String(Option.getOrUndefined(Exit.findErrorOption(badSz))?.message), "minRegionSz: 3000 is invalid: must be a power of two")
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("start - exclusive starts are refused with Busy while others run, and block others", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const a = yield* damon.start(config, { seed: 1 })
      assert.strictEqual(reasonOf(yield* Effect.exit(damon.start(config, { exclusive: true }))), "Busy")
      yield* a.stop
      const ex = yield* damon.start(config, { seed: 1, exclusive: true })
      assert.strictEqual(reasonOf(yield* Effect.exit(damon.start(config))), "Busy")
      assert.strictEqual(yield* damon.nrRunningCtxs, 1)
      yield* ex.stop
      const b = yield* damon.start(config, { seed: 1 })
      const c = yield* damon.start(config, { seed: 2 })
      assert.strictEqual(yield* damon.nrRunningCtxs, 2)
      assert.deepStrictEqual([b.index, c.index], [0, 1])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("start - several kdamonds run side by side and stop with their scope", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const sis = yield* Effect.scoped(Effect.gen(function*() {
        const a = yield* damon.start(config, { seed: 1 })
        const b = yield* damon.start({ ...config, attrs: { sampleIntervalUs: 10_000, aggrIntervalUs: 100_000 } }, { seed: 2 })
        yield* TestClock.adjust("100 millis")
        return [yield* a.damonCall((c) => c.passedSampleIntervals), yield* b.damonCall((c) => c.passedSampleIntervals)]
      }))
      assert.deepStrictEqual(sis, [20, 10])
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("stop - an ops hook that throws stops the kdamond cleanly with OpsFailed", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const k = yield* damon.start(config, { seed: 1 })
      const pending = yield* Effect.forkChild(k.damonCall(() => 1, { at: "aggregation" }), { startImmediately: true })
      yield* TestClock.adjust("20 millis")
      const reason = yield* k.join
      assert.strictEqual(reason._tag, "OpsFailed")
      assert.isTrue(reason._tag === "OpsFailed" && reason.op === "checkAccesses" && reason.message.includes("failed on call 3"))
      assert.strictEqual(reasonOf(yield* Fiber.await(pending)), "Canceled")
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.provide(layerWith({ fake: makeFakeOps({ hot, initRange: range, failAt: { hook: "checkAccesses", call: 3 } }) })), Effect.provide(World.layerReal)))

  it.effect("stop - the kdamond stops by itself when no target is valid", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const k = yield* damon.start(config, { seed: 1 })
      assert.deepStrictEqual(yield* k.join, { _tag: "NoValidTarget" })
      assert.strictEqual(yield* k.damonCall(() => 0).pipe(Effect.flip, Effect.map((e) => e.reason._tag)), "NotRunning")
      const noTargets = yield* damon.start({ ops: "fake" }, { seed: 1 })
      assert.deepStrictEqual(yield* noTargets.join, { _tag: "NoValidTarget" })
    }).pipe(Effect.provide(layerWith({ fake: makeFakeOps({ hot, initRange: range, invalidFromSis: 7 }) })), Effect.provide(World.layerVirtual)))
})

describe("stats", () => {
  it.effect("stats - counts samples, aggregations, regions, served and cancelled calls with their latency", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const calls = []
      for (let i = 0; i < 5; i++) calls.push(yield* Effect.forkChild(k.damonCall(() => i), { startImmediately: true }))
      const late = yield* Effect.forkChild(k.damonCall(() => 0, { at: "aggregation" }), { startImmediately: true })
      yield* TestClock.adjust("50 millis")
      const waiting = yield* Effect.forkChild(k.damonCall(() => 0, { at: "aggregation" }), { startImmediately: true })
      yield* TestClock.adjust("950 millis")
      yield* Fiber.joinAll(calls)
      yield* Fiber.join(late)
      yield* Fiber.join(waiting)
      const s = yield* k.stats
      assert.strictEqual(s.samples, 200)
      assert.strictEqual(s.aggregations, 10)
      assert.isTrue(s.nrRegions >= 10)
      assert.strictEqual(s.callsServed, 7)
      // the prompt calls waited 0 us; the two aggregation calls waited for the boundary (100 ms, 50 ms)
      assert.strictEqual(s.callLatencyBuckets[0], 5)
      assert.strictEqual(s.callLatencySumUs, 150_000)
      const pending = yield* Effect.forkChild(k.damonCall(() => 0, { at: "aggregation" }), { startImmediately: true })
      yield* k.stop
      yield* Fiber.await(pending)
      assert.strictEqual((yield* k.stats).callsCanceled, 1)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("stats - regionChecks adds up the regions of every target at each check (not after the merge)", () => {
    const seen = { checks: 0, atLoop: 0 }
    const fake = makeFakeOps({ hot, initRange: range })
    const counting = () => {
      const ops = fake()
      return {
        ...ops,
        checkAccesses: (ctx: Parameters<NonNullable<typeof ops.checkAccesses>>[0], env: Parameters<NonNullable<typeof ops.checkAccesses>>[1]) => {
          for (const t of ctx.targets) seen.checks += t.regions.length
          return ops.checkAccesses!(ctx, env)
        }
      }
    }
    return Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ...config, targets: [{}, {}], attrs: { minNrRegions: 3, maxNrRegions: 40 } }, { seed: 1, stopAtUs: 2_000_000 })
      yield* Effect.forkChild(k.damonCallRepeat((ctx) => {
        for (const t of ctx.targets) seen.atLoop += t.regions.length
      }, { at: "loop" }), { startImmediately: true })
      yield* k.join
      const s = yield* k.stats
      assert.strictEqual(s.samples, 400)
      assert.strictEqual(s.regionChecks, seen.checks)
      // the merge at each boundary comes between the check and the loop point
      assert.notStrictEqual(seen.atLoop, seen.checks)
    }).pipe(Effect.provide(layerWith({ fake: counting })), Effect.provide(World.layerVirtual))
  })
})

describe("Events", () => {
  it.effect("events - subscribers see Started, samples, aggregations with snapshots, then Stopped", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const collected = yield* Effect.forkChild(Stream.runCollect(k.events), { startImmediately: true })
      yield* TestClock.adjust("200 millis")
      yield* k.stop
      const events = yield* Fiber.join(collected)
      const tags = events.map((e) => e._tag)
      assert.strictEqual(tags[0], "Started")
      assert.strictEqual(tags.at(-1), "Stopped")
      assert.strictEqual(tags.filter((t) => t === "Sampled").length, 40)
      const aggregated = events.filter((e): e is Extract<Events.MonitorEvent, { _tag: "Aggregated" }> => e._tag === "Aggregated")
      assert.deepStrictEqual(aggregated.map((e) => e.sis), [20, 40])
      const first = aggregated[0]!.targets[0]!.regions
      assert.strictEqual(first[0]!.nrAccesses, 20)
      assert.strictEqual(first.reduce((n, r) => n + (r.end - r.start), 0), 100 * MiB)
      const seqs = events.map((e) => e.seq)
      assert.deepStrictEqual(seqs.slice(1), seqs.slice(1).map((_, i) => seqs[1]! + i))
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("events - a slow subscriber loses the oldest events (sliding buffer) and sees a seq gap", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1, eventBufferSize: 8 })
      const slow = k.events.pipe(Stream.tap(() => Effect.sleep("50 millis")))
      const subscription = yield* Effect.forkChild(Stream.runCollect(slow), { startImmediately: true })
      // 200 samples happen while the subscriber handles one event per 50 ms
      yield* TestClock.adjust("1 second")
      yield* k.stop
      yield* TestClock.adjust("2 seconds")
      const events = yield* Fiber.join(subscription)
      const seqs = events.map((e) => e.seq)
      assert.isTrue(events.length < 200)
      assert.isTrue(seqs.some((s, i) => i > 0 && s !== seqs[i - 1]! + 1))
      assert.strictEqual(events.at(-1)?._tag, "Stopped")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("events - subscribing after stop yields Started and Stopped", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1, stopAtUs: 10_000 })
      yield* k.join
      const events = yield* Stream.runCollect(k.events)
      assert.deepStrictEqual(events.map((e) => e._tag), ["Started", "Stopped"])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))
})

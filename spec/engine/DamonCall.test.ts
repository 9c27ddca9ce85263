import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonError, OpsRegistry, World } from "effect-damon"
import { makeFakeOps } from "../support/FakeOps.ts"

const MiB = 1 << 20
const fake = makeFakeOps({ hot: [{ start: 0, end: 10 * MiB }], initRange: { start: 0, end: 100 * MiB } })
const TestDamon = Damon.layer.pipe(Layer.provide(OpsRegistry.layer({ fake })))
const config = { ops: "fake", targets: [{}] }

const reasonOf = <A>(exit: Exit.Exit<A, DamonError>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.findErrorOption(exit), (e) => e.reason._tag)) : undefined

describe("damonCall", () => {
  it.effect("damonCall - runs functions in FIFO order", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const order: Array<number> = []
      const fibers = []
      for (let i = 0; i < 50; i++) {
        fibers.push(yield* Effect.forkChild(k.damonCall(() => order.push(i)), { startImmediately: true }))
      }
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(order, Array.from({ length: 50 }, (_, i) => i))
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("damonCall - aggregation calls keep FIFO order among themselves", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const order: Array<string> = []
      const fibers = []
      for (let i = 0; i < 10; i++) {
        const at = i % 2 === 0 ? "aggregation" as const : "sample" as const
        fibers.push(yield* Effect.forkChild(k.damonCall(() => order.push(`${at}${i}`), { at }), { startImmediately: true }))
      }
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(order.filter((s) => s.startsWith("aggregation")), ["aggregation0", "aggregation2", "aggregation4", "aggregation6", "aggregation8"])
      assert.deepStrictEqual(order.filter((s) => s.startsWith("sample")), ["sample1", "sample3", "sample5", "sample7", "sample9"])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("damonCall - is served promptly while kdamond waits for the next sample", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      yield* TestClock.adjust("7 millis") // one sample done, 2 ms into the next 5 ms wait
      const before = yield* k.damonCall((ctx) => ctx.passedSampleIntervals)
      const fiber = yield* Effect.forkChild(k.damonCall((ctx) => ctx.passedSampleIntervals))
      // no clock movement at all: the waiting kdamond serves the call right away
      const sis = yield* Fiber.join(fiber)
      assert.strictEqual(before, 1)
      assert.strictEqual(sis, 1)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("damonCall - aggregation calls see the complete window", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const fiber = yield* Effect.forkChild(
        k.damonCall((ctx) => ({ sis: ctx.passedSampleIntervals, hot: ctx.targets[0]!.regions[0]!.nrAccesses }), { at: "aggregation" })
      )
      yield* TestClock.adjust("100 millis")
      const seen = yield* Fiber.join(fiber)
      assert.deepStrictEqual(seen, { sis: 20, hot: 20 })
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("damonCall - interrupting a queued call removes it: its function never runs", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      let ran = 0
      const waiting = yield* Effect.forkChild(k.damonCall(() => ran++, { at: "aggregation" }), { startImmediately: true })
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(waiting)
      yield* TestClock.adjust("200 millis")
      const after = yield* k.damonCall((ctx) => ctx.passedSampleIntervals, { at: "aggregation" }).pipe(Effect.forkChild)
      yield* TestClock.adjust("100 millis")
      assert.isTrue((yield* Fiber.join(after)) >= 40)
      assert.strictEqual(ran, 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("damonCall - a call interrupted before the kdamond saw it never runs", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      let ran = 0
      const fiber = yield* Effect.forkChild(k.damonCall(() => ran++), { startImmediately: true })
      yield* Fiber.interrupt(fiber)
      yield* k.damonCall(() => 0, { at: "aggregation" })
      yield* k.damonCall(() => 0, { at: "aggregation" })
      assert.strictEqual(ran, 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("damonCall - pending calls fail with Canceled when the kdamond stops", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const pending = yield* Effect.forkChild(k.damonCall(() => 1, { at: "aggregation" }), { startImmediately: true })
      yield* TestClock.adjust("20 millis")
      yield* k.stop
      assert.strictEqual(reasonOf(yield* Fiber.await(pending)), "Canceled")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("damonCall - fails with NotRunning after stop, and stop then fails too", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      yield* k.stop
      assert.strictEqual(reasonOf(yield* Effect.exit(k.damonCall(() => 1))), "NotRunning")
      assert.strictEqual(reasonOf(yield* Effect.exit(k.stop)), "NotRunning")
      assert.strictEqual(reasonOf(yield* Effect.exit(k.damonCallRepeat(() => undefined))), "NotRunning")
      assert.strictEqual(reasonOf(yield* Effect.exit(k.damosWalk(() => undefined))), "NotRunning")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("damonCall - a throwing function fails only its own call", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const a = yield* Effect.forkChild(k.damonCall(() => 1), { startImmediately: true })
      const b = yield* Effect.forkChild(k.damonCall(() => {
        throw new Error("boom")
      }), { startImmediately: true })
      const c = yield* Effect.forkChild(k.damonCall(() => 3), { startImmediately: true })
      assert.strictEqual(yield* Fiber.join(a), 1)
      const failed = yield* Fiber.await(b)
      assert.strictEqual(reasonOf(failed), "CallbackFailed")
      assert.isTrue(Exit.isFailure(failed) && String(Option.getOrUndefined(Exit.findErrorOption(failed))?.message).includes("boom"))
      assert.strictEqual(yield* Fiber.join(c), 3)
      assert.isTrue(yield* k.isRunning)
      assert.strictEqual(yield* k.damonCall(() => "alive"), "alive")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))
})

describe("damonCallRepeat", () => {
  it.effect("damonCallRepeat - runs at every loop iteration until interrupted", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const seen: Array<number> = []
      const repeat = yield* Effect.forkChild(k.damonCallRepeat((ctx) => void seen.push(ctx.passedSampleIntervals)), { startImmediately: true })
      yield* TestClock.adjust("25 millis")
      yield* Fiber.interrupt(repeat)
      const count = seen.length
      yield* TestClock.adjust("25 millis")
      assert.deepStrictEqual(seen, [1, 2, 3, 4, 5])
      assert.strictEqual(seen.length, count)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("damonCallRepeat - at aggregation runs once per aggregation and fails Canceled on stop", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      const seen: Array<number> = []
      const repeat = yield* Effect.forkChild(
        k.damonCallRepeat((ctx) => void seen.push(ctx.passedSampleIntervals), { at: "aggregation" }),
        { startImmediately: true }
      )
      yield* TestClock.adjust("350 millis")
      yield* k.stop
      assert.deepStrictEqual(seen, [20, 40, 60])
      assert.strictEqual(reasonOf(yield* Fiber.await(repeat)), "Canceled")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("damonCallRepeat - a throwing function ends the repeat with CallbackFailed", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      let n = 0
      const exit = yield* Effect.exit(k.damonCallRepeat(() => {
        if (++n === 3) throw new Error("third")
      }))
      assert.strictEqual(reasonOf(exit), "CallbackFailed")
      assert.strictEqual(n, 3)
      assert.isTrue(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))
})

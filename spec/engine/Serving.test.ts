/**
 * The kdamond keeps its schedule while the program is busy (issue 13, item 6): the control queue
 * is served in bounded turns (a caller that enqueues its next call from its reply cannot keep the
 * kdamond, and with it the whole event loop, serving it forever), and a subscriber woken by an
 * event handles it on its own turn, not on the kdamond's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Layer, Stream } from "effect"
import { Damon, type DamonCtx, OpsRegistry, World } from "effect-damon"
import { accept, type CallRequest, makeControlState, SERVE_BUDGET, serveIncoming } from "../../src/engine/Control.ts"
import { makeHub } from "../../src/engine/Events.ts"
import * as KdamondStats from "../../src/engine/KdamondStats.ts"
import { makeFakeOps } from "../support/FakeOps.ts"

const ctx = {} as DamonCtx.DamonCtx

describe("serving turns", () => {
  it.effect("serveIncoming serves at most SERVE_BUDGET calls a turn, FIFO, and says when more wait", () =>
    Effect.gen(function*() {
      const control = yield* makeControlState(KdamondStats.make(), () => 0)
      const ran: Array<number> = []
      const call = (i: number): CallRequest => ({
        fn: () => ran.push(i),
        at: "sample",
        repeat: false,
        enqueuedUs: 0,
        runs: 0,
        state: "queued",
        reply: Deferred.makeUnsafe()
      })
      for (let i = 0; i < SERVE_BUDGET + 10; i++) accept(control, call(i))
      assert.isTrue(serveIncoming(control, ctx))
      assert.deepStrictEqual(ran, Array.from({ length: SERVE_BUDGET }, (_, i) => i))
      assert.isFalse(serveIncoming(control, ctx))
      assert.strictEqual(ran.length, SERVE_BUDGET + 10)
      assert.strictEqual(control.nrQueued, 0)
    }))

  it.effect("a call that enqueues the next one from inside does not keep one turn going", () =>
    Effect.gen(function*() {
      const control = yield* makeControlState(KdamondStats.make(), () => 0)
      let runs = 0
      const forever = (): CallRequest => ({
        fn: () => {
          runs++
          accept(control, forever())
        },
        at: "sample",
        repeat: false,
        enqueuedUs: 0,
        runs: 0,
        state: "queued",
        reply: Deferred.makeUnsafe()
      })
      accept(control, forever())
      assert.isTrue(serveIncoming(control, ctx))
      assert.strictEqual(runs, SERVE_BUDGET)
    }))

  it.live("a fiber looping damonCall on a real-time kdamond leaves the event loop free: timers fire, samples are taken", () =>
    Effect.gen(function*() {
      const fake = makeFakeOps({ initRange: { start: 0, end: 64 << 20 } })
      const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer({ fake }), World.layerReal]))
      yield* Effect.gen(function*() {
        const k = yield* (yield* Damon.Damon).start({ ops: "fake", targets: [{}], attrs: { sampleIntervalUs: 1000, aggrIntervalUs: 10_000 } }, { seed: 1 })
        const order: Array<string> = []
        let calls = 0
        const caller = Effect.whileLoop({
          while: () => order.length === 0,
          body: () => Effect.map(k.damonCall(() => 0), () => void calls++),
          step: () => {}
        })
        const fiber = yield* Effect.forkChild(caller)
        const before = (yield* k.stats).samples
        // before the fix the caller and the kdamond ping-ponged in one synchronous loop and no
        // timer fired. Timers of 10 ms until the kdamond has taken 6 samples of 1 ms (bounded by
        // 10 s): a loaded machine slows the kdamond (a clean clone's suite once let it take 3
        // samples in 30 ms; 15 to 21 in 100 ms at load 8), so no fixed wait is long enough
        const deadline = (yield* Clock.currentTimeMillis) + 10_000
        do yield* Effect.sleep("10 millis")
        while ((yield* k.stats).samples - before <= 5 && (yield* Clock.currentTimeMillis) < deadline)
        order.push("timer")
        yield* Fiber.join(fiber)
        assert.isAbove(calls, 0)
        assert.isAbove((yield* k.stats).samples - before, 5)
      }).pipe(Effect.scoped, Effect.provide(layer))
    }), 30_000)
})

describe("subscribers", () => {
  it.effect("an event wakes a waiting subscriber, which handles it on its own turn, not inside publish", () =>
    Effect.gen(function*() {
      const hub = yield* makeHub(16)
      hub.start((seq) => ({ _tag: "Started", seq, kdamond: 0, atUs: 0, worldUs: 0 }))
      let handled = 0
      const fiber = yield* Effect.forkChild(Stream.runForEach(hub.stream, () => Effect.sync(() => void handled++)), { startImmediately: true })
      yield* Effect.yieldNow
      yield* Effect.yieldNow
      const afterStarted = handled
      hub.publish((seq) => ({ _tag: "Sampled", seq, atUs: 1, sis: 1, maxNrAccesses: 0 }))
      assert.strictEqual(handled, afterStarted, "the subscriber's handler ran inside publish")
      hub.end((seq) => ({ _tag: "Stopped", seq, atUs: 2, reason: { _tag: "Requested" } }))
      yield* Fiber.join(fiber)
      assert.strictEqual(handled, afterStarted + 2)
    }))
})

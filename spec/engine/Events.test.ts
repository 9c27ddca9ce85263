/**
 * The event hub (`src/engine/Events.ts`) on its own: who counts as a subscriber, which events use
 * a sequence number, and what one subscriber's buffer keeps when the sliding queue and the
 * region budget drop events (oldest first, never the newest). Each scenario publishes while the
 * subscriber waits, lets it drain where it says so, ends the hub and compares the `seq`s the
 * subscriber saw (found by mutation testing).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { type EventHub, makeHub, type MonitorEvent } from "../../src/engine/Events.ts"

const started = (seq: number): MonitorEvent => ({ _tag: "Started", seq, kdamond: 0, atUs: 0, worldUs: 0 })
const stopped = (seq: number): MonitorEvent => ({ _tag: "Stopped", seq, atUs: seq, reason: { _tag: "Requested" } })
const sampled = (seq: number): MonitorEvent => ({ _tag: "Sampled", seq, atUs: seq, sis: seq, maxNrAccesses: 0 })
/** An `Aggregated` event holding `nrRegions` region copies (its weight against the budget). */
const aggregated = (nrRegions: number) => (seq: number): MonitorEvent => ({
  _tag: "Aggregated",
  seq,
  atUs: seq,
  sis: seq,
  nrAggregations: seq,
  sampleIntervalUs: 1,
  aggrIntervalUs: 1,
  targets: [{
    index: 0,
    pid: null,
    regions: Array.from({ length: nrRegions }, (_, i) => ({ start: i, end: i + 1, nrAccesses: 0, nrAccessesBp: 0, lastNrAccesses: 0, age: 0 }))
  }]
})

/** A step of a scenario: publish an event of that many regions (0: a `Sampled`), or let the subscriber drain. */
type Step = number | "drain"

/** Runs `steps` against one subscriber of a hub (`bufferSize` events, `budget` regions); the seqs it saw. */
const seen = (bufferSize: number, budget: number, steps: ReadonlyArray<Step>) =>
  Effect.gen(function*() {
    const hub = yield* makeHub(bufferSize, budget)
    hub.start(started)
    const collected = yield* Effect.forkChild(Stream.runCollect(hub.stream), { startImmediately: true })
    yield* Effect.yieldNow
    for (const step of steps) {
      if (step === "drain") yield* Effect.yieldNow
      else hub.publish(step === 0 ? sampled : aggregated(step))
    }
    hub.end(stopped)
    return (yield* Fiber.join(collected)).map((e) => e.seq)
  })

/** Subscribes, takes the first `n` events and unsubscribes. */
const takeFirst = (hub: EventHub, n: number) => Stream.runCollect(Stream.take(hub.stream, n))

describe("Events: subscribers", () => {
  it.effect("hasSubscribers: nobody yet, one while subscribed, nobody once it left or the hub ended", () =>
    Effect.gen(function*() {
      const hub = yield* makeHub()
      hub.start(started)
      assert.isFalse(hub.hasSubscribers())
      const first = yield* Effect.forkChild(takeFirst(hub, 2), { startImmediately: true })
      yield* Effect.yieldNow
      assert.isTrue(hub.hasSubscribers())
      hub.publish(sampled)
      assert.deepStrictEqual((yield* Fiber.join(first)).map((e) => e.seq), [1, 2])
      assert.isFalse(hub.hasSubscribers())
      const second = yield* Effect.forkChild(Stream.runCollect(hub.stream), { startImmediately: true })
      yield* Effect.yieldNow
      hub.end(stopped)
      // still registered until it drains, but the hub has ended: nothing more is built for it
      assert.isFalse(hub.hasSubscribers())
      assert.deepStrictEqual((yield* Fiber.join(second)).map((e) => e._tag), ["Started", "Stopped"])
    }))

  it.effect("an event published with nobody subscribed is not built and takes no seq", () =>
    Effect.gen(function*() {
      const hub = yield* makeHub()
      hub.start(started)
      let built = 0
      hub.publish((seq) => {
        built++
        return sampled(seq)
      })
      assert.strictEqual(built, 0)
      const first = yield* Effect.forkChild(takeFirst(hub, 2), { startImmediately: true })
      yield* Effect.yieldNow
      hub.publish(sampled)
      assert.deepStrictEqual((yield* Fiber.join(first)).map((e) => e.seq), [1, 2])
    }))

  it.effect("after end nothing more is built or published, and a second end changes nothing", () =>
    Effect.gen(function*() {
      const hub = yield* makeHub()
      hub.start(started)
      const collected = yield* Effect.forkChild(Stream.runCollect(hub.stream), { startImmediately: true })
      yield* Effect.yieldNow
      hub.end(stopped)
      let built = 0
      const counted = (seq: number) => {
        built++
        return sampled(seq)
      }
      hub.publish(counted) // the subscriber has not drained yet: it is still registered
      hub.end(counted)
      assert.strictEqual(built, 0)
      assert.deepStrictEqual((yield* Fiber.join(collected)).map((e) => e.seq), [1, 2])
      assert.deepStrictEqual((yield* Stream.runCollect(hub.stream)).map((e) => e.seq), [1, 2])
    }))

  it.effect("a subscription made before start has no Started event to begin with", () =>
    Effect.gen(function*() {
      const hub = yield* makeHub()
      const collected = yield* Effect.forkChild(Stream.runCollect(hub.stream), { startImmediately: true })
      yield* Effect.yieldNow
      hub.publish(sampled)
      hub.end(stopped)
      assert.deepStrictEqual((yield* Fiber.join(collected)).map((e) => e._tag), ["Sampled", "Stopped"])
    }))
})

describe("Events: one subscriber's buffer", () => {
  it.effect("events exactly at the region budget all stay", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* seen(100, 10, [5, 5]), [1, 2, 3, 4])
    }))

  it.effect("past the budget the oldest go until it fits, again after a drop (seq 1 is Started)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* seen(100, 10, [5, 5, 6]), [1, 4, 5])
      assert.deepStrictEqual(yield* seen(100, 10, [5, 5, 6, 6]), [1, 5, 6])
    }))

  it.effect("the newest event stays even alone past the budget", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* seen(100, 10, [11, "drain"]), [1, 2, 3])
      assert.deepStrictEqual(yield* seen(100, 10, [3, "drain", 11, "drain"]), [1, 2, 3, 4])
    }))

  it.effect("an event the sliding queue dropped no longer counts against the budget", () =>
    Effect.gen(function*() {
      // one-event queue: B pushes A out, and B alone fits
      assert.deepStrictEqual(yield* seen(1, 10, [6, 6, "drain"]), [1, 3, 4])
      // A slides out of a 4-event queue; B then fits beside the Sampled events
      assert.deepStrictEqual(yield* seen(4, 10, [6, 0, 0, 0, 0, 6, "drain"]), [1, 4, 5, 6, 7, 8])
      assert.deepStrictEqual(yield* seen(2, 10, [6, 0, 0, 4, "drain"]), [1, 4, 5, 6])
    }))

  it.effect("after more than a thousand events through a small queue the budget still holds", () =>
    Effect.gen(function*() {
      const steps: Array<Step> = [...Array.from({ length: 1100 }, () => 1), 10, "drain"]
      // the three one-region events before the last go to make room for its ten
      assert.deepStrictEqual(yield* seen(4, 10, steps), [1, 1102, 1103])
    }))
})

/**
 * What `KdamondStart.start` wires up, seen from a kdamond's handle and through the engine seam:
 * the errors that name the kdamond, the pending-request limit over the lists the loop has not
 * pruned yet, what each request records, the seed, the stop reasons, the events that list the
 * schemes applied, and where a virtual kdamond serves a call (found by mutation testing).
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option, Queue, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonConfigInput, type DamonError, type Events, OpsRegistry, SchemesControl, World } from "effect-damon"
import type { CallRequest, ControlState } from "../../src/engine/Control.ts"
import { EngineSeam, shippedFor } from "../../src/engine/EngineSeam.ts"
import { MAX_PENDING_REQUESTS } from "../../src/model/Limits.ts"
import { type FakeOpsLog, makeFakeOps } from "../support/FakeOps.ts"

const MiB = 1 << 20
const freeMemRate = { value: 450 }
const otherLog: FakeOpsLog = { calls: [] }
const fake = makeFakeOps({ hot: [{ start: 0, end: 10 * MiB }], initRange: { start: 0, end: 100 * MiB }, freeMemRate, apply: {} })
const other = makeFakeOps({ id: "other", hot: [{ start: 0, end: 10 * MiB }], freeMemRate, apply: {}, log: otherLog })
const TestDamon = Damon.layer.pipe(Layer.provide(OpsRegistry.layer({ fake, other })))
const config = { ops: "fake", targets: [{}] } satisfies DamonConfigInput

const errorOf = <A>(exit: Exit.Exit<A, DamonError>): DamonError | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined

/** A seam that behaves as shipped and hands the test every call request and the control state. */
const observing = () => {
  const seen: { control: ControlState | undefined; requests: Array<CallRequest> } = { control: undefined, requests: [] }
  const seam: EngineSeam = {
    forKdamond: (id) => {
      const shipped = shippedFor(id)
      return {
        ...shipped,
        offerCall: (control, req) => {
          seen.control = control
          seen.requests.push(req)
          return shipped.offerCall(control, req)
        }
      }
    }
  }
  return { seen, seam }
}

/** `n` requests whose callers have gone (what the lists hold until the loop prunes them). */
const withdrawn = (n: number): Array<CallRequest> => {
  const reply = Deferred.makeUnsafe<unknown, DamonError>()
  return Array.from({ length: n }, () => ({ fn: () => 0, at: "aggregation", repeat: false, enqueuedUs: 0, runs: 0, state: "withdrawn", reply }))
}

describe("KdamondStart: errors name the kdamond", () => {
  it.effect("Busy for a second walk; after stop NotRunning for calls, walks and stop; join says Requested", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ...config, schemes: [{ action: "stat" }] }, { seed: 1 })
      const walk = yield* Effect.forkChild(k.damosWalk(() => undefined), { startImmediately: true })
      assert.strictEqual(errorOf(yield* Effect.exit(k.damosWalk(() => undefined)))?.message, "busy: kdamond.0 already has a pending damosWalk")
      yield* k.stop
      yield* Fiber.await(walk)
      assert.deepStrictEqual(yield* k.join, { _tag: "Requested" })
      assert.strictEqual(errorOf(yield* Effect.exit(k.damonCall(() => 0)))?.message, "not running: kdamond.0 has stopped")
      assert.strictEqual(errorOf(yield* Effect.exit(k.damosWalk(() => undefined)))?.message, "not running: kdamond.0 has stopped")
      assert.strictEqual(errorOf(yield* Effect.exit(k.stop))?.message, "not running: kdamond.0 is not running")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))
})

describe("KdamondStart: the pending-request limit", () => {
  it.effect("once the lists hold the limit, a new call first drops the withdrawn entries", () => {
    const { seen, seam } = observing()
    return Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      assert.strictEqual(yield* k.damonCall(() => 1), 1)
      const control = seen.control!
      // a frozen TestClock: no loop point comes to prune them
      control.atAggregation.push(...withdrawn(MAX_PENDING_REQUESTS))
      assert.strictEqual(yield* k.damonCall(() => 2), 2)
      assert.strictEqual(control.atAggregation.length, 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal), Effect.provideService(EngineSeam, seam))
  })

  it.effect("withdrawn entries still in the queue count: at twice the limit a call is refused, naming the kdamond", () => {
    const { seen, seam } = observing()
    return Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      yield* k.damonCall(() => 1)
      const control = seen.control!
      // queued behind the kdamond's back (no doorbell): it has not taken them yet
      for (const req of withdrawn(2 * MAX_PENDING_REQUESTS)) Queue.offerUnsafe(control.incoming, req)
      const error = errorOf(yield* Effect.exit(k.damonCall(() => 2)))
      assert.strictEqual(error?.errno, "ENOMEM")
      assert.strictEqual(
        error?.message,
        `out of memory: kdamond.0 requests: 1 is past a limit: at most ${MAX_PENDING_REQUESTS} requests pending on one kdamond`
      )
      assert.strictEqual(control.nrQueued, 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal), Effect.provideService(EngineSeam, seam))
  })
})

describe("KdamondStart: what a request records", () => {
  it.effect("calls, repeat calls and commits are prompt (sample) calls unless asked; an interrupted caller withdraws its call", () => {
    const { seen, seam } = observing()
    return Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      yield* k.damonCall(() => 0)
      const repeat = yield* Effect.forkChild(k.damonCallRepeat(() => undefined), { startImmediately: true })
      yield* k.commit(config)
      const waiting = yield* Effect.forkChild(k.damonCall(() => 0, { at: "aggregation" }), { startImmediately: true })
      yield* Fiber.interrupt(waiting)
      yield* Fiber.interrupt(repeat)
      assert.deepStrictEqual(seen.requests.map((r) => [r.at, r.repeat, r.state]), [
        ["sample", false, "done"],
        ["sample", true, "withdrawn"],
        ["sample", false, "done"],
        ["aggregation", false, "withdrawn"]
      ])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal), Effect.provideService(EngineSeam, seam))
  })
})

describe("KdamondStart: the seed", () => {
  /** Where the regions of a kdamond started with `seed` are, and what they saw, after one second. */
  const regionsAfterOneSecond = (seed: number) =>
    Effect.scoped(Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed })
      yield* TestClock.adjust("1 second")
      return yield* k.damonCall((ctx) => ctx.targets[0]!.regions.map((r) => [r.start, r.end, r.nrAccesses, r.lastNrAccesses]))
    }))

  it.effect("the same seed gives the same run; another seed another", () =>
    Effect.gen(function*() {
      const first = yield* regionsAfterOneSecond(7)
      assert.deepStrictEqual(yield* regionsAfterOneSecond(7), first)
      assert.notDeepEqual(yield* regionsAfterOneSecond(8), first)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))
})

describe("KdamondStart: how the loop ends", () => {
  it.effect("a defect in the loop stops the kdamond with Crashed and the defect's message", () => {
    // a cancelWalk that throws inside the loop (not at termination, which also calls it)
    const seam: EngineSeam = {
      forKdamond: (id) => {
        const shipped = shippedFor(id)
        return {
          ...shipped,
          cancelWalk: (control, ctx, why) => {
            if (why === "the context has no schemes") throw new Error("seam defect")
            shipped.cancelWalk(control, ctx, why)
          }
        }
      }
    }
    return Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      yield* TestClock.adjust("10 millis")
      const reason = yield* k.join
      assert.strictEqual(reason._tag, "Crashed")
      assert.include(reason._tag === "Crashed" ? reason.message : "", "seam defect")
      assert.isFalse(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal), Effect.provideService(EngineSeam, seam))
  })
})

describe("KdamondStart: the loop's wiring", () => {
  it.effect("SchemesApplied lists the schemes whose pass came", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ...config, schemes: [{ action: "stat" }, { action: "pageout" }] }, { seed: 1 })
      const collected = yield* Effect.forkChild(Stream.runCollect(k.events), { startImmediately: true })
      yield* TestClock.adjust("200 millis")
      yield* k.stop
      const applied = (yield* Fiber.join(collected)).filter(
        (e): e is Extract<Events.MonitorEvent, { _tag: "SchemesApplied" }> => e._tag === "SchemesApplied"
      )
      assert.isAbove(applied.length, 0)
      for (const e of applied) assert.deepStrictEqual(e.schemes, [0, 1])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))

  it.effect("virtual world: a call made while the kdamond sleeps runs when the sleep ends, before that sample's check", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(config, { seed: 1 })
      assert.strictEqual(yield* k.damonCall((ctx) => ctx.passedSampleIntervals), 0)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))

  it.effect("a commit switching ops while watermarks hold the first sample back does not prepare the new set", () =>
    Effect.gen(function*() {
      freeMemRate.value = 900 // above high: every scheme deactivated from the start
      const wmarks = { metric: "free_mem_rate", intervalUs: 20_000, high: 500, mid: 400, low: 200 } as const
      const schemes = [{ action: "stat", wmarks }] as const
      const k = yield* (yield* Damon.Damon).start({ ...config, schemes }, { seed: 1 })
      yield* TestClock.adjust("10 millis")
      otherLog.calls.length = 0
      yield* k.commit({ ops: "other", targets: [{ regions: [{ start: 0, end: 100 * MiB }] }], schemes })
      assert.notInclude(otherLog.calls, "prepareAccessChecks")
      freeMemRate.value = 300 // activated: the loop prepares the new set itself
      yield* TestClock.adjust("100 millis")
      assert.include(otherLog.calls, "prepareAccessChecks")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))
})

describe("KdamondStart: watermarks", () => {
  it.effect("a scheme with a watermark metric is deactivated beside one without (the metric is read when any scheme has one)", () =>
    Effect.gen(function*() {
      freeMemRate.value = 300
      const wmarks = { metric: "free_mem_rate", intervalUs: 20_000, high: 500, mid: 400, low: 200 } as const
      const k = yield* (yield* Damon.Damon).start({ ...config, schemes: [{ action: "stat" }, { action: "pageout", wmarks }] }, { seed: 1 })
      yield* TestClock.adjust("300 millis")
      freeMemRate.value = 900 // above high: the second scheme is deactivated, the first goes on
      yield* TestClock.adjust("50 millis")
      const before = yield* SchemesControl.schemesStats(k)
      yield* TestClock.adjust("500 millis")
      const after = yield* SchemesControl.schemesStats(k)
      assert.isAbove(after[0]!.nrTried, before[0]!.nrTried)
      assert.isAbove(before[1]!.nrTried, 0, "active before")
      assert.strictEqual(after[1]!.nrTried, before[1]!.nrTried, "deactivated: not tried")
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal)))
})

describe("KdamondStart: tracing", () => {
  it.effect("commit, commitQuotaGoals and stop each run in a span named after them, with the kdamond's index", () => {
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    return Effect.gen(function*() {
      const damon = yield* Damon.Damon
      yield* damon.start(config, { seed: 1 })
      const k = yield* damon.start({ ...config, schemes: [{ action: "stat" }] }, { seed: 1 })
      yield* k.commit({ ...config, schemes: [{ action: "stat" }] })
      yield* k.commitQuotaGoals([[]])
      yield* k.stop
      const mine = spans.filter((s) => s.name.startsWith("Kdamond."))
      assert.deepStrictEqual(mine.map((s) => [s.name, s.attributes.get("kdamond")]), [
        ["Kdamond.commit", 1],
        ["Kdamond.commitQuotaGoals", 1],
        ["Kdamond.stop", 1]
      ])
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerReal), Effect.provideService(Tracer.Tracer, tracer))
  })
})

describe("KdamondStart: the ops env counts user functions", () => {
  it.effect("a call served during the sample wait moves OpsEnv.userRuns between prepare and check; none, no move", () => {
    const log: Array<[string, number]> = []
    const probe = () => ({
      id: "probe",
      prepareAccessChecks: (_ctx: unknown, env: { readonly userRuns?: () => number }) => void log.push(["prepare", env.userRuns!()]),
      checkAccesses: (_ctx: unknown, env: { readonly userRuns?: () => number }) => {
        log.push(["check", env.userRuns!()])
        return 0
      }
    })
    return Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ops: "probe", targets: [{}] }, { seed: 1 })
      // Served at once, while the kdamond waits for its first sample (a frozen TestClock).
      assert.strictEqual(yield* k.damonCall(() => 1), 1)
      yield* TestClock.adjust("5 millis")
      yield* TestClock.adjust("5 millis")
      yield* k.stop
      assert.deepStrictEqual(log.slice(0, 4), [["prepare", 0], ["check", 1], ["prepare", 1], ["check", 1]])
    }).pipe(Effect.provide(Damon.layer.pipe(Layer.provide(OpsRegistry.layer({ probe })))), Effect.provide(World.layerReal))
  })
})

describe("KdamondStart: kdamonds sharing a virtual world", () => {
  it.effect("each samples on time while the world runs their sample wakes (the stepping hand-off)", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      // Different sampling intervals, so their wakes interleave and the world steps each in turn.
      const a = yield* damon.start({ ...config, attrs: { sampleIntervalUs: 5000 } }, { seed: 1, stopAtUs: 1_000_000 })
      const b = yield* damon.start({ ...config, attrs: { sampleIntervalUs: 3000 } }, { seed: 2, stopAtUs: 1_000_000 })
      assert.deepStrictEqual(yield* a.join, { _tag: "TimeLimit", atUs: 1_000_000 })
      assert.deepStrictEqual(yield* b.join, { _tag: "TimeLimit", atUs: 1_002_000 })
      assert.strictEqual((yield* a.stats).samples, 200)
      assert.strictEqual((yield* b.stats).samples, 334)
    }).pipe(Effect.provide(TestDamon), Effect.provide(World.layerVirtual)))
})

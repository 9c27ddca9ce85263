/**
 * The control requests' bookkeeping (`src/engine/Control.ts`) as plain functions over a
 * `ControlState`: what each serving step runs, skips, keeps and counts. The kdamond-level suites
 * (DamonCall, DamosWalk, Serving) show the same rules through the public API; these pin the
 * states, counters and list contents the API cannot see (found by mutation testing).
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Option } from "effect"
import type { DamonCtx, DamonError } from "effect-damon"
import {
  accept,
  type CallPoint,
  type CallRequest,
  cancelAllCalls,
  cancelWalk,
  completeWalkFor,
  type ControlState,
  dispatch,
  finishCall,
  makeControlState,
  nrHeld,
  pruneSettled,
  serveAtLoopPoint,
  serveIncoming,
  visitWalk,
  type WalkRequest,
  withdrawWalk
} from "../../src/engine/Control.ts"
import * as KdamondStats from "../../src/engine/KdamondStats.ts"
import type { Damos } from "../../src/model/Damos.ts"
import type { Region } from "../../src/model/Region.ts"
import type { Target } from "../../src/model/Target.ts"
import { untyped } from "../support/untyped.ts"

const newControl = (nowUs: () => number = () => 0) => makeControlState(KdamondStats.make(), nowUs)

const call = (
  fn: (ctx: DamonCtx.DamonCtx) => unknown,
  at: CallPoint = "sample",
  repeat = false,
  enqueuedUs = 0
): CallRequest => ({ fn, at, repeat, enqueuedUs, runs: 0, state: "queued", reply: Deferred.makeUnsafe() })

const newWalk = (walkFn: WalkRequest["walkFn"] = () => {}): WalkRequest => ({ walkFn, state: "queued", reply: Deferred.makeUnsafe() })

const scheme = (): Damos => untyped({ walkCompleted: false })
const target: Target = untyped({ regions: [] })
const region: Region = untyped({ start: 0, end: 4096 })
const ctxOf = (schemes: Array<Damos>): DamonCtx.DamonCtx => untyped({ schemes, targets: [target] })
const noCtx = ctxOf([])

/** The settled outcome of a reply (the test fails if it is still pending). */
const outcome = <A>(reply: Deferred.Deferred<A, DamonError>) =>
  Effect.gen(function*() {
    assert.isTrue(Deferred.isDoneUnsafe(reply), "the reply is settled")
    return yield* Effect.exit(Deferred.await(reply))
  })

const errorOf = <A>(exit: Exit.Exit<A, DamonError>): DamonError | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined

const withdraw = (control: ControlState, req: CallRequest) => finishCall(control, req, "withdrawn")

describe("Control: the request lists", () => {
  it.effect("a new control state holds nothing", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      assert.strictEqual(nrHeld(control), 0)
      assert.deepStrictEqual([control.atLoop, control.atAggregation, control.repeating], [[], [], []])
      assert.strictEqual(control.nrQueued, 0)
    }))

  it.effect("nrHeld counts every list: the queue, the loop and aggregation lists, the repeat calls", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const requests = [call(() => 0, "loop"), call(() => 0, "aggregation"), call(() => 0, "aggregation"), call(() => 0, "sample", true)]
      for (const req of requests) accept(control, req)
      assert.isFalse(serveIncoming(control, noCtx))
      assert.deepStrictEqual([control.atLoop.length, control.atAggregation.length, control.repeating.length], [1, 2, 1])
      accept(control, call(() => 0))
      accept(control, call(() => 0))
      assert.strictEqual(nrHeld(control), 6)
      assert.strictEqual(control.nrQueued, 6)
    }))

  it.effect("finishCall moves a call out of queued once: a second finish counts nothing", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const req = call(() => 0)
      accept(control, req)
      withdraw(control, req)
      finishCall(control, req, "done")
      assert.strictEqual(req.state, "withdrawn")
      assert.strictEqual(control.nrQueued, 0)
    }))

  it.effect("pruneSettled drops withdrawn calls from every waiting list and keeps the live ones", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const gone = [call(() => 0, "loop"), call(() => 0, "aggregation"), call(() => 0, "sample", true)]
      const live = [call(() => 0, "loop"), call(() => 0, "aggregation"), call(() => 0, "sample", true)]
      for (const req of [...gone, ...live]) accept(control, req)
      serveIncoming(control, noCtx)
      for (const req of gone) withdraw(control, req)
      pruneSettled(control)
      assert.deepStrictEqual([control.atLoop, control.atAggregation, control.repeating], [[live[0]], [live[1]], [live[2]]])
    }))
})

describe("Control: serving calls", () => {
  it.effect("a call runs once and is done; its latency is the wait before that run", () =>
    Effect.gen(function*() {
      let now = 100
      const control = yield* newControl(() => now)
      const req = call(() => "answer", "sample", false, 40)
      accept(control, req)
      now = 250
      serveIncoming(control, noCtx)
      assert.strictEqual(req.state, "done")
      assert.strictEqual(req.runs, 1)
      assert.deepStrictEqual(yield* outcome(req.reply), Exit.succeed("answer"))
      assert.strictEqual(control.stats.callsServed, 1)
      assert.strictEqual(control.stats.callLatencySumUs, 210)
    }))

  it.effect("a repeat call counts its runs; only the first is a queueing wait", () =>
    Effect.gen(function*() {
      let now = 0
      const control = yield* newControl(() => now)
      const req = call(() => undefined, "sample", true)
      accept(control, req)
      serveIncoming(control, noCtx)
      for (const t of [10, 20, 30]) {
        now = t
        serveAtLoopPoint(control, noCtx, false)
      }
      assert.strictEqual(req.runs, 3)
      assert.strictEqual(req.state, "queued")
      assert.isFalse(Deferred.isDoneUnsafe(req.reply))
      assert.strictEqual(control.stats.callsServed, 3)
      assert.strictEqual(control.stats.callLatencySumUs, 10)
    }))

  it.effect("a throwing function fails its own call with CallbackFailed naming the damonCall function", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const req = call(() => {
        throw new Error("boom")
      })
      accept(control, req)
      serveIncoming(control, noCtx)
      const error = errorOf(yield* outcome(req.reply))
      assert.strictEqual(error?.reason._tag, "CallbackFailed")
      assert.strictEqual(error?.message, "damonCall function threw: boom")
      assert.strictEqual(req.state, "done")
      assert.strictEqual(control.nrQueued, 0)
    }))

  it.effect("a throwing repeat call ends: done, failed, and dropped from the repeat list", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const req = call(() => {
        throw new Error("boom")
      }, "sample", true)
      accept(control, req)
      serveAtLoopPoint(control, noCtx, false)
      assert.strictEqual(req.state, "done")
      assert.strictEqual(errorOf(yield* outcome(req.reply))?.reason._tag, "CallbackFailed")
      assert.strictEqual(control.repeating.length, 0)
      assert.strictEqual(nrHeld(control), 0)
    }))

  it.effect("serveIncoming says whether calls are left once its budget is spent", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      accept(control, call(() => 0))
      accept(control, call(() => 0))
      assert.isFalse(serveIncoming(control, noCtx, 2))
      accept(control, call(() => 0))
      accept(control, call(() => 0))
      accept(control, call(() => 0))
      assert.isTrue(serveIncoming(control, noCtx, 2))
      assert.isFalse(serveIncoming(control, noCtx, 1))
      assert.strictEqual(control.nrQueued, 0)
    }))

  it.effect("the loop point serves new calls too", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const req = call(() => 1)
      accept(control, req)
      serveAtLoopPoint(control, noCtx, false)
      assert.strictEqual(req.state, "done")
      assert.strictEqual(nrHeld(control), 0)
    }))

  it.effect("the loop point skips withdrawn loop and aggregation calls", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const ran: Array<string> = []
      const atLoop = call(() => ran.push("loop"), "loop")
      const atAggregation = call(() => ran.push("aggregation"), "aggregation")
      accept(control, atLoop)
      accept(control, atAggregation)
      serveIncoming(control, noCtx)
      withdraw(control, atLoop)
      withdraw(control, atAggregation)
      serveAtLoopPoint(control, noCtx, true)
      assert.deepStrictEqual(ran, [])
      assert.deepStrictEqual([atLoop.state, atAggregation.state], ["withdrawn", "withdrawn"])
      assert.strictEqual(control.stats.callsServed, 0)
      assert.strictEqual(nrHeld(control), 0)
    }))

  it.effect("aggregation calls wait for a boundary; a withdrawn one is dropped at the next loop point", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const ran: Array<string> = []
      const kept = call(() => ran.push("kept"), "aggregation")
      const gone = call(() => ran.push("gone"), "aggregation")
      accept(control, kept)
      accept(control, gone)
      serveIncoming(control, noCtx)
      withdraw(control, gone)
      serveAtLoopPoint(control, noCtx, false)
      assert.deepStrictEqual(ran, [])
      assert.deepStrictEqual(control.atAggregation, [kept])
      serveAtLoopPoint(control, noCtx, true)
      assert.deepStrictEqual(ran, ["kept"])
    }))

  it.effect("a sample call dispatched after it was withdrawn never runs", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      let ran = 0
      const req = call(() => ran++)
      accept(control, req)
      withdraw(control, req)
      dispatch(control, noCtx, req)
      assert.strictEqual(ran, 0)
      assert.strictEqual(control.stats.callsServed, 0)
    }))
})

describe("Control: cancellation", () => {
  it.effect("cancelAllCalls cancels the live calls of every list and leaves withdrawn ones alone", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const live = [call(() => 0, "loop"), call(() => 0, "aggregation"), call(() => 0, "sample", true)]
      const gone = call(() => 0, "aggregation")
      for (const req of [...live, gone]) accept(control, req)
      serveIncoming(control, noCtx)
      const queued = call(() => 0)
      accept(control, queued)
      withdraw(control, gone)
      cancelAllCalls(control, "test over")
      for (const req of [...live, queued]) {
        assert.strictEqual(req.state, "done")
        const error = errorOf(yield* outcome(req.reply))
        assert.strictEqual(error?.message, "canceled: test over")
      }
      assert.strictEqual(gone.state, "withdrawn")
      assert.isFalse(Deferred.isDoneUnsafe(gone.reply))
      assert.strictEqual(control.stats.callsCanceled, 4)
      assert.strictEqual(control.nrQueued, 0)
      assert.strictEqual(nrHeld(control), 0)
    }))
})

describe("Control: walks", () => {
  it.effect("cancelWalk fails the walk, marks it done, clears the schemes' flags and counts it", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const schemes = [scheme(), scheme()]
      const ctx = ctxOf(schemes)
      const walk = newWalk()
      control.walk = walk
      completeWalkFor(control, ctx, schemes[0]!)
      cancelWalk(control, ctx, "why not")
      assert.strictEqual(walk.state, "done")
      assert.isUndefined(control.walk)
      assert.deepStrictEqual(schemes.map((s) => s.walkCompleted), [false, false])
      assert.strictEqual(errorOf(yield* outcome(walk.reply))?.message, "canceled: why not")
      assert.strictEqual(control.stats.walksCanceled, 1)
    }))

  it.effect("withdrawWalk withdraws the pending walk once and clears the schemes' flags", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const schemes = [scheme(), scheme()]
      const ctx = ctxOf(schemes)
      const walk = newWalk()
      control.walk = walk
      completeWalkFor(control, ctx, schemes[0]!)
      withdrawWalk(control, ctx, walk)
      withdrawWalk(control, ctx, walk)
      assert.strictEqual(walk.state, "withdrawn")
      assert.isUndefined(control.walk)
      assert.deepStrictEqual(schemes.map((s) => s.walkCompleted), [false, false])
      assert.strictEqual(control.stats.walksCanceled, 1)
    }))

  it.effect("withdrawing a walk that is not the pending one leaves the pending one in place", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const schemes = [scheme(), scheme()]
      const ctx = ctxOf(schemes)
      const pending = newWalk()
      control.walk = pending
      completeWalkFor(control, ctx, schemes[0]!)
      withdrawWalk(control, ctx, newWalk())
      assert.strictEqual(control.walk, pending)
      assert.deepStrictEqual(schemes.map((s) => s.walkCompleted), [true, false])
      withdrawWalk(control, ctx, pending)
      withdrawWalk(control, ctx, newWalk())
      assert.strictEqual(control.stats.walksCanceled, 3)
    }))

  it.effect("visitWalk visits only while a queued walk is pending and the scheme's pass is not done", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const schemes = [scheme(), scheme()]
      const ctx = ctxOf(schemes)
      const visits: Array<[number, number, number]> = []
      visitWalk(control, ctx, target, region, schemes[0]!, 1) // no walk: nothing happens
      const walk = newWalk((v) => void visits.push([v.targetIndex, v.schemeIndex, v.szFilterPassed]))
      control.walk = walk
      visitWalk(control, ctx, target, region, schemes[1]!, 2)
      completeWalkFor(control, ctx, schemes[0]!)
      visitWalk(control, ctx, target, region, schemes[0]!, 3) // scheme 0's pass is done
      walk.state = "withdrawn"
      visitWalk(control, ctx, target, region, schemes[1]!, 4) // the walk is no longer queued
      assert.deepStrictEqual(visits, [[0, 1, 2]])
      // Only the visit that ran the walk function counts as a user run (OpsEnv.userRuns).
      assert.strictEqual(control.userRuns, 1)
    }))

  it.effect("userRuns counts every damonCall function run, repeat runs and throwing ones included", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      dispatch(control, noCtx, call(() => 1))
      dispatch(control, noCtx, call(() => {
        throw new Error("bad call")
      }))
      assert.strictEqual(control.userRuns, 2)
      // Set aside for the loop point: not run yet, not counted.
      dispatch(control, noCtx, call(() => 1, "loop"))
      dispatch(control, noCtx, call(() => 1, "loop", true))
      assert.strictEqual(control.userRuns, 2)
      serveAtLoopPoint(control, noCtx, false)
      serveAtLoopPoint(control, noCtx, false)
      // The loop call once, the repeat call at both points.
      assert.strictEqual(control.userRuns, 5)
    }))

  it.effect("a throwing walk function fails the walk with CallbackFailed and clears its bookkeeping", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const schemes = [scheme(), scheme()]
      const ctx = ctxOf(schemes)
      const walk = newWalk(() => {
        throw new Error("bad walk")
      })
      control.walk = walk
      completeWalkFor(control, ctx, schemes[0]!)
      visitWalk(control, ctx, target, region, schemes[1]!, 0)
      assert.strictEqual(walk.state, "done")
      assert.isUndefined(control.walk)
      assert.deepStrictEqual(schemes.map((s) => s.walkCompleted), [false, false])
      const error = errorOf(yield* outcome(walk.reply))
      assert.strictEqual(error?.message, "damosWalk function threw: bad walk")
    }))

  it.effect("completeWalkFor completes the walk once every scheme's pass is done, with the count of schemes", () =>
    Effect.gen(function*() {
      const control = yield* newControl()
      const schemes = [scheme(), scheme()]
      const ctx = ctxOf(schemes)
      const walk = newWalk()
      control.walk = walk
      completeWalkFor(control, ctx, schemes[1]!)
      assert.strictEqual(walk.state, "queued")
      completeWalkFor(control, ctx, schemes[0]!)
      assert.strictEqual(walk.state, "done")
      assert.isUndefined(control.walk)
      assert.deepStrictEqual(schemes.map((s) => s.walkCompleted), [false, false])
      assert.deepStrictEqual(yield* outcome(walk.reply), Exit.succeed(2))
      assert.strictEqual(control.stats.walksCompleted, 1)
    }))
})

/**
 * Edges of the control API: bad options and targets refused before anything starts, the loop
 * call point, commit faults, loop order at an aggregation boundary, counters of repeat calls,
 * and nothing left behind after a stop. The cases about requests, commits and stops are directed
 * runs of the testing kit (`effect-damon/testing`): one client's script against a recording
 * handle, every kit invariant checked on the history on top of each case's own assertions.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Exit, Fiber, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonConfigInput, type DamonError, type Events, OpsRegistry, SchemesControl, World } from "effect-damon"
import { type Client, Explorer, History, Scenario } from "effect-damon/testing"
import { makeFakeOps } from "../support/FakeOps.ts"

const MiB = 1 << 20
const range = { start: 0, end: 100 * MiB }
const hot = [{ start: 0, end: 10 * MiB }]
const layerWith = (entries: Parameters<typeof OpsRegistry.layer>[0]) =>
  Damon.layer.pipe(Layer.provide([OpsRegistry.layer(entries), World.layerReal]))
const TestDamon = layerWith({
  fake: makeFakeOps({ hot, initRange: range, apply: {}, validPids: [1, 2, null] }),
  brittle: makeFakeOps({ id: "brittle", hot, initRange: range, failCleanupTarget: true }),
  other: makeFakeOps({ id: "other", hot, initRange: range })
})

const errorOf = <A>(exit: Exit.Exit<A, DamonError>): DamonError | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined

const entries = {
  fake: makeFakeOps({ hot, initRange: range, apply: {}, validPids: [1, 2, null] }),
  brittle: makeFakeOps({ id: "brittle", hot, initRange: range, failCleanupTarget: true }),
  other: makeFakeOps({ id: "other", hot, initRange: range })
}

/**
 * A directed kit run in real time (default attrs: 5 ms samples, 100 ms aggregations): `script` is
 * one client's work; the kdamond starts from `config`. Returns the history; fails on a violation.
 */
const directed = (config: DamonConfigInput, script: (client: Client) => Effect.Effect<void, DamonError>) =>
  Effect.gen(function*() {
    const scenario = Scenario.make({
      id: "robustness",
      config,
      time: "real",
      ops: entries,
      op: Arbitrary.Constant("go"),
      bounds: { promptUs: 5_000, aggregationUs: 100_000 },
      horizonUs: 10_000_000,
      perform: (_op, client) => Effect.orDie(script(client))
    })
    const run = yield* Explorer.runOnce(scenario, { clients: [["go" as const]] })
    assert.deepStrictEqual(run.violations, [])
    return run.history
  })

/** The outcome of the only invocation of `op` (or the `n`th). */
const outcomeOf = (history: History.History, op: string, n = 0): History.Outcome | undefined =>
  History.invocations(history).filter((i) => i.invoke.op === op)[n]?.completes[0]?.outcome

describe("start validation", () => {
  it.effect("start - bad options are an InvalidArgument naming the option; nothing starts", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ eventBufferSize: 0 }, "options.eventBufferSize: 0 is invalid"],
        [{ eventBufferSize: -5 }, "options.eventBufferSize: -5 is invalid"],
        [{ stopAtUs: Number.NaN }, "options.stopAtUs"],
        [{ time: "bogus" }, "options.time: \"bogus\" is invalid"],
        [{ seed: 1.5 }, "options.seed: 1.5 is invalid"],
        [{ colour: true }, "options.colour: true is invalid: unknown field"]
      ]
      for (const [options, message] of cases) {
        const error = errorOf(yield* Effect.exit(damon.start({ ops: "fake", targets: [{ pid: 1 }] }, options)))
        assert.strictEqual(error?.errno, "EINVAL")
        assert.include(error?.message, message)
      }
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("start - a target the ops set cannot monitor (no such process) is refused", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const error = errorOf(yield* Effect.exit(damon.start({ ops: "fake", targets: [{ pid: 1 }, { pid: 99 }] })))
      assert.strictEqual(error?.message, "targets[1].pid: 99 is invalid: is not a live process the \"fake\" operations set can monitor")
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("start - schemes needing memory metrics the ops set lacks are refused, naming the field", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const wmarks = { metric: "free_mem_rate", intervalUs: 1000, high: 500, mid: 400, low: 100 } as const
      const a = errorOf(yield* Effect.exit(damon.start({ ops: "other", schemes: [{}, { wmarks }] })))
      assert.include(a?.message, "schemes[1].wmarks.metric: \"free_mem_rate\" is invalid: needs memory metrics")
      const goals = [{ metric: "user_input", targetValue: 1 }, { metric: "some_mem_psi_us", targetValue: 10 }] as const
      const b = errorOf(yield* Effect.exit(damon.start({ ops: "other", schemes: [{ quota: { goals } }] })))
      assert.include(b?.message, "schemes[0].quota.goals[1].metric: \"some_mem_psi_us\" is invalid")
    }).pipe(Effect.provide(TestDamon)))
})

describe("call points", () => {
  it.effect("damonCall - a \"loop\" call runs only at the loop's call point, right after sampling", () =>
    Effect.gen(function*() {
      const history = yield* directed({ ops: "fake", targets: [{ pid: 1 }] }, (client) =>
        Effect.gen(function*() {
          const k = client.kdamond
          yield* client.sleep(7_000) // mid-way through the second sample
          const atLoop = yield* Effect.forkChild(k.damonCall((ctx) => ctx.passedSampleIntervals, { at: "loop" }), { startImmediately: true })
          const prompt = yield* k.damonCall((ctx) => ctx.passedSampleIntervals)
          assert.strictEqual(prompt, 1)
          assert.isUndefined(atLoop.pollUnsafe())
          yield* client.sleep(3_000)
          assert.strictEqual(yield* Fiber.join(atLoop), 2)
        }))
      const calls = History.invocations(history).filter((i) => i.invoke.op === "damonCall")
      assert.deepStrictEqual(calls.map((c) => [c.invoke.at, c.runs[0]!.atUs, c.runs[0]!.view.sis]), [["loop", 10_000, 2], ["sample", 7_000, 1]])
    }))

  it.effect("loop order - merge, then calls, then schemes, then the reset (seen from a call and the event)", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(
        { ops: "fake", targets: [{ pid: 1 }], schemes: [{ action: "cold" }] },
        { seed: 1 }
      )
      const seenByCall: Array<{ sis: number; ages: Array<number>; nr: Array<number> }> = []
      yield* Effect.forkChild(k.damonCallRepeat((ctx) => {
        const regions = ctx.targets[0]!.regions
        seenByCall.push({ sis: ctx.passedSampleIntervals, ages: regions.map((r) => r.age), nr: regions.map((r) => r.nrAccesses) })
      }, { at: "aggregation" }), { startImmediately: true })
      const events = yield* Effect.forkChild(Stream.runCollect(k.events), { startImmediately: true })
      yield* TestClock.adjust("300 millis")
      yield* k.stop
      const aggregated = (yield* Fiber.join(events)).filter((e): e is Extract<Events.MonitorEvent, { _tag: "Aggregated" }> =>
        e._tag === "Aggregated"
      )
      const second = seenByCall.find((c) => c.sis === 40)!
      const event = aggregated.find((e) => e.sis === 40)!
      // the call ran after the merge had aged the regions (1 after the first window's reset + 1)
      assert.isTrue(second.ages.every((a) => a >= 1))
      // the scheme ran after the call (the cold action reset every age), the reset after the event
      assert.deepStrictEqual(event.targets[0]!.regions.map((r) => r.age), second.ages.map(() => 0))
      assert.deepStrictEqual(event.targets[0]!.regions.map((r) => r.nrAccesses), second.nr)
      assert.isTrue(second.nr.some((n) => n === 20))
    }).pipe(Effect.provide(TestDamon)))
})

describe("commit faults", () => {
  it.effect("commit - a target the new config names but the ops set cannot monitor changes nothing", () =>
    Effect.gen(function*() {
      const history = yield* directed({ ops: "fake", targets: [{ pid: 1 }] }, (client) =>
        Effect.gen(function*() {
          const k = client.kdamond
          yield* client.sleep(17_000)
          const before = yield* k.damonCall((ctx) => JSON.stringify(ctx.targets))
          const error = errorOf(yield* Effect.exit(k.commit({ ops: "fake", targets: [{ pid: 1 }, { pid: 77 }] })))
          assert.include(error?.message, "targets[1].pid: 77 is invalid")
          assert.strictEqual(yield* k.damonCall((ctx) => JSON.stringify(ctx.targets)), before)
          assert.isTrue(yield* k.isRunning)
        }))
      // and commitsAtomic held: no function ever saw the refused config
      assert.strictEqual(outcomeOf(history, "commit")?._tag, "Failed")
    }))

  it.effect("commit - an ops hook that throws after the change stops the kdamond and fails the commit", () =>
    Effect.gen(function*() {
      const history = yield* directed({ ops: "brittle", targets: [{}, {}] }, (client) =>
        Effect.gen(function*() {
          yield* client.sleep(20_000)
          const error = errorOf(yield* Effect.exit(client.kdamond.commit({ ops: "other", targets: [{}] })))
          assert.strictEqual(error?.errno, "EIO")
          assert.include(error?.message, "cleanupTarget failed")
          const reason = yield* client.kdamond.join
          assert.isTrue(reason._tag === "OpsFailed" && reason.op === "cleanupTarget")
        }))
      assert.strictEqual(outcomeOf(history, "commit")?._tag === "Failed" && (outcomeOf(history, "commit") as { reason: string }).reason, "OpsFailed")
    }))

  it.effect("commitSchemesQuotaGoals - a measured goal on an ops set without metrics is refused, nothing changes", () =>
    Effect.gen(function*() {
      const quota = { goals: [{ metric: "user_input", targetValue: 100, currentValue: 7 }] } as const
      yield* directed({ ops: "other", targets: [{}], schemes: [{ quota }] }, (client) =>
        Effect.gen(function*() {
          const k = client.kdamond
          const error = errorOf(yield* Effect.exit(SchemesControl.commitSchemesQuotaGoals(k, [[{ metric: "some_mem_psi_us", targetValue: 5 }]])))
          assert.include(error?.message, "goals[0][0].metric: \"some_mem_psi_us\" is invalid: needs memory metrics")
          assert.strictEqual(yield* k.damonCall((ctx) => ctx.schemes[0]!.quota.goals[0]!.metric), "user_input")
        }))
    }))
})

describe("counters and leftovers", () => {
  it.effect("stats - a repeat call's runs count as served; only its first run counts as queueing latency", () =>
    Effect.gen(function*() {
      const history = yield* directed({ ops: "fake", targets: [{ pid: 1 }] }, (client) =>
        Effect.gen(function*() {
          // one second of samples, stopped mid-sample (not at the 200th deadline, where the order would be a tie)
          yield* client.interruptAfter(1_002_500, client.kdamond.damonCallRepeat(() => undefined))
          const s = yield* client.kdamond.stats
          assert.strictEqual(s.callsServed, 200)
          assert.strictEqual(s.callLatencyBuckets.reduce((a, b) => a + b, 0), 1)
          // the one wait, 5000 us, in the "<= 5000 us" bucket
          assert.strictEqual(s.callLatencyBuckets[5], 1)
          assert.strictEqual(s.callLatencySumUs, 5000)
        }))
      const repeat = History.invocations(history).find((i) => i.invoke.op === "damonCallRepeat")!
      assert.strictEqual(repeat.runs.length, 200)
      assert.deepStrictEqual(outcomeOf(history, "damonCallRepeat"), { _tag: "Interrupted" })
    }))

  it.effect("damosWalk - completes with the number of schemes it covered", () =>
    Effect.gen(function*() {
      const history = yield* directed(
        { ops: "fake", targets: [{ pid: 1 }], schemes: [{ action: "stat" }, { action: "cold" }] },
        (client) => Effect.gen(function*() {
          assert.strictEqual(yield* client.kdamond.damosWalk(() => undefined), 2)
        })
      )
      assert.deepStrictEqual(outcomeOf(history, "damosWalk"), { _tag: "Ok", value: "2" })
    }))

  it.effect("stop - leaves nothing behind: subscriptions end, pending work ends, the runtime count drops", () =>
    Effect.gen(function*() {
      const history = yield* directed({ ops: "fake", targets: [{ pid: 1 }], schemes: [{}] }, (client) =>
        Effect.gen(function*() {
          const k = client.kdamond
          const subscribers = []
          for (let i = 0; i < 3; i++) subscribers.push(yield* Effect.forkChild(client.op("events", "", Stream.runDrain(k.events)), { startImmediately: true }))
          const repeat = yield* Effect.forkChild(k.damonCallRepeat(() => undefined), { startImmediately: true })
          const walk = yield* Effect.forkChild(k.damosWalk(() => undefined), { startImmediately: true })
          const pending = yield* Effect.forkChild(k.damonCall(() => 0, { at: "aggregation" }), { startImmediately: true })
          yield* client.sleep(30_000)
          yield* k.stop
          // every subscription ends after Stopped, and every request ends; none waits on anything
          for (const f of subscribers) yield* Fiber.await(f)
          yield* Fiber.await(repeat)
          yield* Fiber.await(walk)
          yield* Fiber.await(pending)
          assert.isFalse(yield* k.isRunning)
          const s = yield* k.stats
          assert.strictEqual(s.callsCanceled, 2)
          assert.strictEqual(s.walksCanceled, 1)
        }))
      // nothingLeftBehind and oneOutcome held (directed asserts no violation); the runtime count dropped
      assert.strictEqual(History.invocations(history).filter((i) => i.invoke.op === "events" && i.completes[0]?.outcome._tag === "Ok").length, 3)
      for (const op of ["damonCallRepeat", "damosWalk", "damonCall"]) {
        assert.deepStrictEqual(outcomeOf(history, op), { _tag: "Failed", reason: "Canceled", message: "canceled: the kdamond stopped" })
      }
      assert.deepStrictEqual(history.filter((e) => e._tag === "Stopped").map((e) => e._tag === "Stopped" && e.leftovers), [[]])
    }))

  it.effect("stop - the runtime's running count drops to 0", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const k = yield* damon.start({ ops: "fake", targets: [{ pid: 1 }], schemes: [{}] }, { seed: 1 })
      yield* TestClock.adjust("30 millis")
      yield* k.stop
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
    }).pipe(Effect.provide(TestDamon)))
})

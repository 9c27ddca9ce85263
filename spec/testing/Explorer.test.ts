/**
 * The explorer end to end: runs are pure functions of their token; a found failure replays and
 * its shrunk form is a sub-plan with no more operations or preemptions; a user component with a
 * check-then-act race is caught and shrunk to two clients; directed plans show the walk-flags bug
 * as a missed scheme; histories read as timelines.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Schema } from "effect"
import { Explorer, Scenario, Scenarios, Strategy, Timeline, Token } from "effect-damon/testing"
import { EngineSeam } from "../../src/engine/EngineSeam.ts"
import { walkFlagsLeftSet } from "./BugVariants.ts"

/** A user component: a counter kept outside the kdamond, bumped by reading then writing through two calls. */
const makeCounter = () => {
  let value = 0
  return { value: () => value, set: (v: number) => void (value = v) }
}

const counter = Scenario.make({
  id: "counter",
  config: Scenarios.configs[0]!,
  op: Arbitrary.schema(Schema.Literals(["bump", "read"])),
  setup: () => Effect.sync(makeCounter),
  perform: (op, client, c) =>
    Effect.gen(function*() {
      if (op === "read") return yield* Effect.ignore(client.kdamond.damonCall(() => c.value()))
      // the race: read on one call, write on the next, another client may bump in between
      const seen = yield* Effect.orDie(client.kdamond.damonCall(() => c.value()))
      yield* Effect.orDie(client.kdamond.damonCall(() => c.set(seen + 1)))
      yield* client.note(`bumped ${seen} to ${seen + 1}`)
    }),
  invariants: [{
    name: "noLostBump",
    description: "every bump is counted",
    check: ({ history }) => {
      const bumps = history.filter((e) => e._tag === "Note").map((e) => (e._tag === "Note" ? e.text : ""))
      const seen = new Set(bumps)
      return seen.size === bumps.length ? [] : [`${bumps.length - seen.size} bump(s) lost: ${bumps.join("; ")}`]
    }
  }]
})

describe("Explorer", () => {
  it.effect("a run is a pure function of its token: same plan, same schedule, same history", () =>
    Effect.gen(function*() {
      const token = Token.format({ scenario: "control", strategy: Strategy.random, seed: 3, run: 17, size: 10 })
      const a = yield* Explorer.replay(Scenarios.control, token)
      const b = yield* Explorer.replay(Scenarios.control, token)
      assert.deepStrictEqual(a.history, b.history)
      assert.deepStrictEqual(a.choices, b.choices)
      assert.deepStrictEqual(a.plan, yield* Explorer.planOf(Scenarios.control, 3, 17, 10))
      assert.isAbove(a.history.length, 2)
    }))

  it.effect("explore is deterministic and reports what it covered", () =>
    Effect.gen(function*() {
      const a = yield* Explorer.explore(Scenarios.watermarks, { schedules: 25, seed: 9, strategy: Strategy.random })
      const b = yield* Explorer.explore(Scenarios.watermarks, { schedules: 25, seed: 9, strategy: Strategy.random })
      assert.deepStrictEqual(a, b)
      assert.strictEqual(a._tag, "Passed", a._tag === "Failed" ? Explorer.formatReport(Scenarios.watermarks, a) : "")
      if (a._tag === "Passed") {
        assert.isAbove(a.coverage["damonCall"] ?? 0, 10)
        assert.isAbove(a.steps, 25)
      }
    }))

  it.effect("a user component's check-then-act race is found, shrunk to two clients, and replays", () =>
    Effect.gen(function*() {
      const report = yield* Explorer.explore(counter, { schedules: 200 })
      if (report._tag !== "Failed") return assert.fail("the race was not found")
      const shrunk = report.shrunk
      assert.strictEqual(shrunk.violations[0]!.invariant, "noLostBump")
      assert.deepStrictEqual(shrunk.plan.clients.map((ops) => ops.filter((op) => op === "bump").length).sort(), [1, 1])
      assert.isAtMost(shrunk.operations, report.found.operations)
      assert.isAtMost(shrunk.preemptions, report.found.preemptions + 1)
      const again = yield* Explorer.replay(counter, shrunk.token)
      assert.deepStrictEqual(again.history, shrunk.history)
      const found = yield* Explorer.replay(counter, report.found.token)
      assert.deepStrictEqual(found.history, report.found.history)
      // the report reads: violation, plan, timeline, tokens
      const text = Explorer.formatReport(counter, report)
      assert.include(text, "noLostBump")
      assert.include(text, `replay: ${shrunk.token}`)
      const failure = yield* Effect.flip(Explorer.assert(counter, { schedules: 200 }))
      assert.strictEqual(failure.message, text)
    }))

  it.effect("directed plans: a walk cancelled after one scheme's pass leaves the next walk blind to it (walk-flags variant)", () =>
    Effect.gen(function*() {
      const ops: ReadonlyArray<Scenarios.Op> = [{ _tag: "Withdraw", what: "walk", afterUs: 6_000 }, { _tag: "Walk" }]
      const plan = { clients: [ops] }
      const shipped = yield* Explorer.runOnce(Scenarios.control, plan)
      assert.deepStrictEqual(shipped.violations, [])
      const variant = yield* Explorer.runOnce(Scenarios.control, plan).pipe(Effect.provideService(EngineSeam, walkFlagsLeftSet))
      assert.strictEqual(variant.violations[0]?.invariant, "walkCoverage")
      assert.match(variant.violations[0]!.message, /saw 0 region\(s\) of scheme 0, but its first pass after the walk was accepted \(sis 10\) tried [1-9]/)
    }))

  it.effect("the timeline names who did what, when, and how it ended", () =>
    Effect.gen(function*() {
      const c0: ReadonlyArray<Scenarios.Op> = [{ _tag: "Call", at: "sample", throws: false }, { _tag: "Walk" }, { _tag: "Stop" }]
      const c1: ReadonlyArray<Scenarios.Op> = [{ _tag: "Call", at: "aggregation", throws: true }]
      const run = yield* Explorer.runOnce(Scenarios.control, { clients: [c0, c1] })
      assert.deepStrictEqual(run.violations, [])
      const text = Timeline.format(run.history)
      assert.match(text, /^world us {2}who +event$/m)
      assert.match(text, /c0 +#2 damonCall at sample on pid 1/)
      assert.match(text, /#3 threw \(deliberately\): Deliberate: a call that throws/)
      assert.match(text, /scheme 0 finished its pass \(sis 5, \d+ region\(s\) tried\)/)
      assert.match(text, /walk visited \d+ region\(s\) of scheme 0 \(sis 5\)/)
      assert.match(text, /#\d+ -> ok 2/)
      assert.match(text, /pid 1 +stopped$/m)
    }))

  it.effect("a client whose own script fails (a failed assertion) breaks clientsFinish, with the message", () =>
    Effect.gen(function*() {
      const scenario = Scenario.make({
        id: "failing-script",
        config: Scenarios.configs[0]!,
        op: Arbitrary.Constant("go"),
        perform: (_op, client) => Effect.andThen(client.kdamond.damonCall(() => 1).pipe(Effect.orDie), Effect.sync(() => assert.strictEqual(1, 2, "the script's own check")))
      })
      const run = yield* Explorer.runOnce(scenario, { clients: [["go" as const]] })
      assert.deepStrictEqual(run.violations.map((v) => v.invariant), ["clientsFinish"])
      assert.include(run.violations[0]!.message, "the script's own check")
    }))

  // 20 plans, each a whole explored run of the control scenario (the explorer's own tests above
  // run hundreds of schedules); this one shows the kit composes with it.effect.prop
  it.effect.prop("with @effect/vitest's it.effect.prop over Explorer.plans, the shipped engine keeps every invariant", { plan: Explorer.plans(Scenarios.control) }, ({ plan }) =>
    Effect.map(Explorer.runOnce(Scenarios.control, plan, { strategy: Strategy.random, seed: plan.clients.length }), (run) => {
      assert.deepStrictEqual(run.violations, [])
    }), { arbitrary: { runs: 20, seed: 3 } })
})

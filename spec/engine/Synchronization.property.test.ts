/**
 * The synchronization invariants of damonCall, damosWalk and commit, on the testing kit
 * (`effect-damon/testing`): the standard scenarios (many callers, throwing calls, repeat calls,
 * walks, withdrawals, valid and refused commits, goal commits, subscriptions, stops, restarts,
 * watermarks flipping) explored under PCT and random schedules, in virtual and real time, every
 * run checked by every invariant (see docs/testing.md for what each guarantees). A failure prints
 * a shrunk timeline and a replay token.
 *
 * What the earlier hand-rolled suite asserted, and where it lives now: ops-phase and overlap
 * checks, walks overlapping calls (`exclusive`); inconsistent regions, schemes not at their index
 * (`consistentContext`); refused commits failing `InvalidArgument` and changing nothing
 * (`refusedCommits`, `commitsAtomic`); a prompt call still pending a step later (`boundedWaits`);
 * requests that never ended or were interrupted by someone else (`oneOutcome`); calls run twice,
 * run then cancelled, succeeded without running (`atMostOnce`); requests pending at a stop ending
 * otherwise than served or cancelled (`nothingLeftBehind`); FIFO per serving point (`fifo`); the
 * amount of work done (coverage below); walk accounting against the statistics (its own invariant
 * below); and the load and fault cases, now directed runs of the kit.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Fiber, Schema } from "effect"
import { SchemesControl } from "effect-damon"
import { Explorer, FakeOps, History, Invariants, Scenario, Scenarios, Strategy } from "effect-damon/testing"

const MiB = 1 << 20

const passes = <Op, S>(scenario: Scenario.Scenario<Op, S>, options: Explorer.Options) =>
  Effect.gen(function*() {
    const report = yield* Explorer.explore(scenario, options)
    if (report._tag === "Failed") return assert.fail(Explorer.formatReport(scenario, report))
    return report
  })

describe("synchronization invariants", () => {
  for (const time of ["virtual", "real"] as const) {
    it.effect(`randomized interleavings, ${time} time - PCT and random schedules of the standard scenarios`, () =>
      Effect.gen(function*() {
        const coverage: Record<string, number> = {}
        for (const watermarks of [false, true]) {
          const scenario = Scenarios.make({ id: `sync-${time}`, time, watermarks })
          for (const [strategy, seed] of [[Strategy.pct(), 1], [Strategy.random, 2]] as const) {
            const report = yield* passes(scenario, { schedules: 40, strategy, seed })
            for (const [k, n] of Object.entries(report.coverage)) coverage[k] = (coverage[k] ?? 0) + n
          }
        }
        // the runs did the work: every kind of request, every way of ending
        for (const key of [
          "damonCall:Ok", "damonCall:CallbackFailed", "damonCallRepeat:Interrupted", "damosWalk:Ok", "damosWalk:Interrupted",
          "commit:Ok", "commit:InvalidArgument", "commitQuotaGoals:Ok", "stats:Ok", "events:Ok", "stop:Ok", "restart:Ok"
        ]) {
          assert.isAbove(coverage[key] ?? 0, 0, key)
        }
        assert.isAbove(coverage["damonCall"] ?? 0, 80)
        assert.isAbove((coverage["damonCall:Canceled"] ?? 0) + (coverage["damonCall:NotRunning"] ?? 0), 0)
        assert.isAbove(coverage["start"] ?? 0, 160, "restarts on top of one start per run")
      }))
  }

  /**
   * Walk accounting: each walk visits exactly the regions the statistics count for that pass. A
   * repeat call snapshots every scheme's statistics before each apply pass (its `Ran` views);
   * a walk's visits of scheme `s` in pass `sis` must match the growth of `nrTried`, `szTried` and
   * `szApplied` between the snapshots at `sis` and `sis + 1` (the fake set applies every byte).
   */
  const walkAccounting: Invariants.Invariant = {
    name: "walkAccounting",
    description: "a walk visits exactly what the statistics count for that pass",
    check: ({ history }) => {
      const views = new Map<number, History.View>()
      const all = History.invocations(history)
      for (const inv of all) if (inv.invoke.op === "damonCallRepeat") for (const r of inv.runs) views.set(r.view.sis, r.view)
      const out: Array<string> = []
      for (const walk of all.filter((i) => i.invoke.op === "damosWalk" && i.completes[0]?.outcome._tag === "Ok")) {
        const visits = history.filter((e): e is Extract<History.Event, { _tag: "Visit" }> => e._tag === "Visit" && e.id === walk.invoke.id)
        for (const s of new Set(visits.map((v) => v.scheme))) {
          const mine = visits.filter((v) => v.scheme === s)
          const passes = [...new Set(mine.map((v) => v.sis))]
          if (passes.length > 1) out.push(`walk #${walk.invoke.id} saw scheme ${s} in more than one pass`)
          const b = views.get(passes[0]!)?.schemes[s]
          const a = views.get(passes[0]! + 1)?.schemes[s]
          if (a === undefined || b === undefined) continue
          const bytes = mine.reduce((n, v) => n + v.end - v.start, 0)
          if (mine.length !== a.nrTried - b.nrTried) out.push(`walk #${walk.invoke.id} visited ${mine.length} regions of scheme ${s}; ${a.nrTried - b.nrTried} were tried`)
          // the fake set applies every byte it is given
          if (bytes !== a.szTried - b.szTried || bytes !== a.szApplied - b.szApplied) out.push(`walk #${walk.invoke.id} visited ${bytes} bytes of scheme ${s}; the stats grew otherwise`)
        }
      }
      return out
    }
  }

  /** A walk after `afterUs`, while a repeat call snapshots the statistics before every pass. */
  type WalkOp = { readonly afterUs: number }
  const accounting = Scenario.make<WalkOp>({
    id: "walk-accounting",
    config: {
      ops: "fake",
      targets: [{}],
      attrs: { sampleIntervalUs: 5_000, aggrIntervalUs: 100_000, minNrRegions: 10, maxNrRegions: 1000 },
      schemes: [
        { action: "stat", pattern: { minNrAccesses: 1 } },
        { action: "pageout", applyIntervalUs: 200_000 },
        { action: "cold", pattern: { maxNrAccesses: 0 } }
      ]
    },
    ops: { fake: FakeOps.make({ hot: [{ start: 0, end: 8 * MiB }] }) },
    op: Arbitrary.schema(Schema.Struct({ afterUs: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 200_000 })) })),
    invariants: [...Invariants.all, walkAccounting],
    bounds: { promptUs: 5_000, aggregationUs: 100_000 },
    horizonUs: 5_000_000,
    setup: (env) => Effect.asVoid(Effect.forkDetach(env.record(env.current(), "snapshots").damonCallRepeat(() => undefined), { startImmediately: true })),
    perform: (op, client) => Effect.andThen(client.sleep(op.afterUs), Effect.ignore(client.kdamond.damosWalk(() => undefined)))
  })

  it.effect("walk accounting - each walk visits exactly what the stats count for that pass", () =>
    Effect.gen(function*() {
      let visited = 0
      // 5 seeds x 5 walks at seeded times: each walk's visit count is checked exactly
      for (let seed = 1; seed <= 5; seed++) {
        const rounds = Array.from({ length: 5 }, (_, i): WalkOp => ({ afterUs: ((seed * 7919 + i * 104_729) % 200) * 1000 }))
        const run = yield* Explorer.runOnce(accounting, { clients: [rounds] }, { seed })
        assert.deepStrictEqual(run.violations, [])
        visited += run.history.filter((e) => e._tag === "Visit").length
      }
      assert.isAbove(visited, 0)
    }))
})

describe("load and faults", () => {
  it.effect("load - 10 000 concurrent callers, a walk and a commit, then a stop: all accounted, schedule undisturbed", () =>
    Effect.gen(function*() {
      const config = { ops: "fake", targets: [{}], schemes: [{ action: "stat" }] } as const
      const scenario = Scenario.make({
        id: "load",
        config,
        time: "real",
        ops: { fake: FakeOps.make({ hot: [{ start: 0, end: 10 * MiB }], range: { start: 0, end: 100 * MiB } }) },
        op: Arbitrary.Constant("go"),
        bounds: { promptUs: 5_000, aggregationUs: 100_000 },
        horizonUs: 2_000_000,
        perform: (_op, client) =>
          Effect.gen(function*() {
            const k = client.kdamond
            const callers = []
            for (let i = 0; i < 10_000; i++) {
              callers.push(yield* Effect.forkChild(k.damonCall((ctx) => ctx.passedSampleIntervals, { at: i % 10 === 0 ? "aggregation" : "sample" }), { startImmediately: true }))
            }
            const walk = yield* Effect.forkChild(k.damosWalk(() => undefined), { startImmediately: true })
            const commit = yield* Effect.forkChild(k.commit({ ...config, schemes: [{ action: "stat" }, { action: "cold" }] }), { startImmediately: true })
            // half a sample interval past the 200th sample: a tie with the sample's own deadline
            // would make the count 199 or 200 by timer order alone
            yield* client.sleep(1_002_500)
            yield* client.note(`sis ${yield* Effect.orDie(k.damonCall((ctx) => ctx.passedSampleIntervals))}`)
            const late = yield* Effect.forkChild(k.damonCall(() => 1, { at: "aggregation" }), { startImmediately: true })
            yield* Effect.orDie(k.stop)
            for (const f of [...callers, late]) yield* Fiber.await(f)
            yield* Fiber.await(walk)
            yield* Fiber.await(commit)
          })
      })
      const run = yield* Explorer.runOnce(scenario, { clients: [["go" as const]] })
      assert.deepStrictEqual(run.violations, [])
      const outcomes = History.invocations(run.history).map((i) => `${i.invoke.op}:${i.completes[0]!.outcome._tag === "Failed" ? (i.completes[0]!.outcome as { reason: string }).reason : i.completes[0]!.outcome._tag}`)
      assert.strictEqual(outcomes.filter((o) => o === "damonCall:Ok").length, 10_001)
      assert.include(outcomes, "damosWalk:Ok")
      assert.include(outcomes, "commit:Ok")
      assert.strictEqual(outcomes.filter((o) => o === "damonCall:Canceled").length, 1, "the late aggregation call")
      assert.isTrue(run.history.some((e) => e._tag === "Note" && e.text === "sis 200"), "the schedule went on undisturbed")
    }))

  // The kernel selftest sysfs_update_schemes_tried_regions_hang.py: tried-bytes updates in a loop
  // while the scheme never matches and the target goes away.
  it.effect("sysfs_update_schemes_tried_regions_hang - ends in a typed failure, not a hang", () =>
    Effect.gen(function*() {
      const dying = FakeOps.make({ range: { start: 0, end: 100 * MiB }, hot: [] })
      const scenario = Scenario.make({
        id: "tried-regions-hang",
        config: { ops: "dying", targets: [{}], schemes: [{ action: "stat", pattern: { minNrAccesses: 200, maxNrAccesses: 200 } }] },
        ops: { dying: () => ({ ...dying(), targetValid: (ctx) => ctx.passedSampleIntervals < 100 }) },
        op: Arbitrary.Constant("go"),
        bounds: { promptUs: 5_000, aggregationUs: 100_000 },
        horizonUs: 10_000_000,
        perform: (_op, client, _s, env) =>
          Effect.gen(function*() {
            for (let i = 0; i < 50; i++) {
              const exit = yield* Effect.exit(SchemesControl.schemesTriedBytes(client.kdamond))
              if (exit._tag === "Failure") break
              yield* client.sleep(110_000)
            }
            yield* client.note(`stopped: ${(yield* env.current().join)._tag}`)
          })
      })
      const run = yield* Explorer.runOnce(scenario, { clients: [["go" as const]] })
      assert.deepStrictEqual(run.violations, [])
      const walks = History.invocations(run.history).filter((i) => i.invoke.op === "damosWalk")
      const end = walks.at(-1)!.completes[0]!.outcome
      assert.isTrue(end._tag === "Failed" && ["Canceled", "NotRunning"].includes(end.reason), JSON.stringify(end))
      assert.isTrue(run.history.some((e) => e._tag === "Note" && e.text === "stopped: NoValidTarget"))
    }))

  it.effect("a walk on a scheme whose apply pass never comes is ended by the stop", () =>
    Effect.gen(function*() {
      const scenario = Scenarios.make({
        id: "walk-never-due",
        config: { ops: "fake", targets: [{}], schemes: [{ action: "stat", applyIntervalUs: 3_600_000_000 }] },
        bounds: { promptUs: 5_000, aggregationUs: 100_000 },
        time: "real"
      })
      const plan = { clients: [[{ _tag: "Walk" }], [{ _tag: "Sleep", us: 3_000 }, { _tag: "Stop" }]] as ReadonlyArray<ReadonlyArray<Scenarios.Op>> }
      const run = yield* Explorer.runOnce(scenario, plan)
      assert.deepStrictEqual(run.violations, [])
      const walk = History.invocations(run.history).find((i) => i.invoke.op === "damosWalk")!
      assert.deepStrictEqual(walk.completes[0]!.outcome, { _tag: "Failed", reason: "Canceled", message: "canceled: the kdamond stopped" })
    }))
})

/**
 * The library's limits (`src/model/Limits.ts`, docs/limits.md "Library"): each accepted at its
 * value and refused one past it, with `ENOMEM` naming the field, before anything is built or
 * changed; the reproductions of issue 13 (a paddr target of 2^40 bytes with 2^31 regions; a
 * 1-byte minimum region with 10^8 regions) refused instead of exhausting the heap.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Result, Stream } from "effect"
import { Damon, type DamonConfigInput, type DamonError, DamosConfig, type Events, OpsRegistry, Transform, World } from "effect-damon"
import { makeHub } from "../../src/engine/Events.ts"
import * as Limits from "../../src/model/Limits.ts"
import { makeFakeOps } from "../support/FakeOps.ts"
import { untyped } from "../support/untyped.ts"

const MiB = 1 << 20
const fake = makeFakeOps({ initRange: { start: 0, end: 100 * MiB }, apply: {} })
const TestDamon = Damon.layer.pipe(Layer.provide([OpsRegistry.layer({ fake }), World.layerReal]))

const errorOf = <A>(exit: Exit.Exit<A, DamonError>): DamonError | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined

const times = <A>(n: number, f: (i: number) => A): Array<A> => Array.from({ length: n }, (_, i) => f(i))
const ranges = (n: number, from = 0) => times(n, (i) => ({ start: (from + i) * 8192, end: (from + i) * 8192 + 4096 }))
const withScheme = (scheme: DamosConfig.SchemeInput): DamonConfigInput => ({ ops: "fake", targets: [{}], schemes: [scheme] })

/** Starts `config` (in its own scope, stopped at once) and returns how it ended. */
const tryStart = (config: unknown, options?: unknown) =>
  Effect.flatMap(Damon.Damon, (damon) => Effect.exit(Effect.scoped(damon.start(untyped(config), untyped(options)))))

const expectAccepted = (config: unknown, options?: unknown) =>
  Effect.map(tryStart(config, options), (exit) => assert.isUndefined(errorOf(exit), String(errorOf(exit)?.message)))

const expectTooMuch = (config: unknown, message: string) =>
  Effect.map(tryStart(config), (exit) => {
    const error = errorOf(exit)
    assert.strictEqual(error?.errno, "ENOMEM", String(error?.message))
    assert.include(error?.message, message)
  })

describe("config limits (Damon.start), at the limit and one past", () => {
  it.effect("targets per context", () =>
    Effect.gen(function*() {
      yield* expectAccepted({ ops: "fake", targets: times(Limits.MAX_NR_TARGETS, () => ({})) })
      yield* expectTooMuch(
        { ops: "fake", targets: times(Limits.MAX_NR_TARGETS + 1, () => ({})) },
        `targets: ${Limits.MAX_NR_TARGETS + 1} is past a limit: at most ${Limits.MAX_NR_TARGETS} targets per context`
      )
    }).pipe(Effect.provide(TestDamon)))

  it.effect("regions: attrs.minNrRegions, ranges of one target and of all targets; any attrs.maxNrRegions", () =>
    Effect.gen(function*() {
      const max = Limits.MAX_NR_REGIONS
      yield* expectAccepted({ ops: "fake", targets: [{}], attrs: { minNrRegions: max, maxNrRegions: max } })
      yield* expectTooMuch(
        { ops: "fake", targets: [{}], attrs: { minNrRegions: max + 1, maxNrRegions: max + 1 } },
        `attrs.minNrRegions: ${max + 1} is past a limit: at most ${max} regions per kdamond`
      )
      yield* expectAccepted({ ops: "fake", targets: [{}], attrs: { minNrRegions: 10, maxNrRegions: Number.MAX_SAFE_INTEGER } })
      yield* expectAccepted({ ops: "fake", targets: [{ regions: ranges(max) }] })
      yield* expectTooMuch({ ops: "fake", targets: [{ regions: ranges(max + 1) }] }, "targets[0].regions: 65537 is past a limit")
      yield* expectAccepted({ ops: "fake", targets: [{ regions: ranges(max / 2) }, { regions: ranges(max / 2, max) }] })
      yield* expectTooMuch(
        { ops: "fake", targets: [{ regions: ranges(max / 2) }, { regions: ranges(max / 2 + 1, max) }] },
        `targets[1].regions: ${max + 1} is past a limit: at most ${max} regions per context, over all targets`
      )
    }).pipe(Effect.provide(TestDamon)))

  it.effect("issue 13's reproductions: 2^31 regions over [0, 2^40), and 10^8 regions of 1 byte, are refused", () =>
    Effect.gen(function*() {
      const huge = { ops: "fake", targets: [{ regions: [{ start: 0, end: 2 ** 40 }] }] }
      yield* expectTooMuch({ ...huge, attrs: { minNrRegions: 2 ** 31, maxNrRegions: 2 ** 31 } }, "attrs.minNrRegions: 2147483648")
      yield* expectTooMuch({ ...huge, minRegionSz: 1, attrs: { minNrRegions: 1e8, maxNrRegions: 1e8 } }, "attrs.minNrRegions: 100000000")
      assert.strictEqual(yield* (yield* Damon.Damon).nrRunningCtxs, 0)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("schemes, filters, quota goals and migration destinations", () =>
    Effect.gen(function*() {
      const cases = [
        { max: Limits.MAX_NR_SCHEMES, make: (n: number) => ({ ops: "fake", targets: [{}], schemes: times(n, () => ({})) }), field: "schemes" },
        { max: Limits.MAX_NR_FILTERS, make: (n: number) => withScheme({ filters: times(n, () => ({ type: "anon" as const })) }), field: "schemes[0].filters" },
        {
          max: Limits.MAX_NR_GOALS,
          make: (n: number) => withScheme({ quota: { goals: times(n, () => ({ metric: "user_input" as const, targetValue: 1 })) } }),
          field: "schemes[0].quota.goals"
        },
        { max: Limits.MAX_NR_DESTS, make: (n: number) => withScheme({ dests: times(n, (i) => ({ nid: i, weight: 1 })) }), field: "schemes[0].dests" }
      ]
      for (const c of cases) {
        yield* expectAccepted(c.make(c.max))
        yield* expectTooMuch(c.make(c.max + 1), `${c.field}: ${c.max + 1} is past a limit: at most ${c.max}`)
      }
    }).pipe(Effect.provide(TestDamon)))

  it.effect("the same limits hold for commit, and a refused commit changes nothing", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ops: "fake", targets: [{}] }, { seed: 1 })
      const observe = k.damonCall((ctx) => JSON.stringify(ctx, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))
      const before = yield* observe
      const error = yield* Effect.flip(k.commit({ ops: "fake", targets: [{}], attrs: { minNrRegions: 2 ** 31, maxNrRegions: 2 ** 31 } }))
      assert.strictEqual(error.errno, "ENOMEM")
      const tooManyGoals = [[...times(Limits.MAX_NR_GOALS + 1, () => ({ metric: "user_input" as const, targetValue: 1 }))]]
      assert.strictEqual((yield* Effect.flip(k.commitQuotaGoals(tooManyGoals))).errno, "ENOMEM")
      const tooManySchemes = times(Limits.MAX_NR_SCHEMES + 1, () => [])
      assert.strictEqual((yield* Effect.flip(k.commitQuotaGoals(tooManySchemes))).errno, "ENOMEM")
      yield* k.commitQuotaGoals(times(Limits.MAX_NR_SCHEMES, () => []))
      assert.strictEqual(yield* observe, before)
      assert.isTrue(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon)))

  it("DamosConfig.decode and decodeSchemes hold the scheme limits too", () => {
    const filters = (n: number) => times(n, () => ({ type: "young" as const }))
    assert.isTrue(Result.isSuccess(DamosConfig.decode({ filters: filters(Limits.MAX_NR_FILTERS) }, "paddr")))
    const one = DamosConfig.decode({ filters: filters(Limits.MAX_NR_FILTERS + 1) }, "paddr")
    assert.strictEqual(Result.isFailure(one) ? one.failure.errno : "ok", "ENOMEM")
    const list = DamosConfig.decodeSchemes(times(Limits.MAX_NR_SCHEMES + 1, () => ({})), "paddr")
    assert.strictEqual(Result.isFailure(list) ? list.failure.errno : "ok", "ENOMEM")
  })
})

describe("runtime limits, at the limit and one past", () => {
  it.effect("running kdamonds in one runtime; a stop makes room again", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const ks = yield* Effect.forEach(times(Limits.MAX_RUNNING_KDAMONDS, () => 0), () => damon.start({ ops: "fake", targets: [{}] }))
      assert.strictEqual(yield* damon.nrRunningCtxs, Limits.MAX_RUNNING_KDAMONDS)
      const error = errorOf(yield* Effect.exit(damon.start({ ops: "fake", targets: [{}] })))
      assert.strictEqual(error?.errno, "ENOMEM")
      assert.include(error?.message, `kdamonds: ${Limits.MAX_RUNNING_KDAMONDS + 1} is past a limit: at most ${Limits.MAX_RUNNING_KDAMONDS} kdamonds running`)
      assert.strictEqual(yield* damon.nrRunningCtxs, Limits.MAX_RUNNING_KDAMONDS)
      yield* ks[0]!.stop
      yield* damon.start({ ops: "fake", targets: [{}] })
      assert.strictEqual(yield* damon.nrRunningCtxs, Limits.MAX_RUNNING_KDAMONDS)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("pending requests per kdamond: the limit is accepted, one more is refused at once; the rest still run", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ops: "fake", targets: [{}] }, { seed: 1 })
      // "aggregation" calls wait for a boundary that a frozen TestClock never brings
      const waiting = yield* Effect.forEach(
        times(Limits.MAX_PENDING_REQUESTS, () => 0),
        () => Effect.forkChild(k.damonCall(() => 1, { at: "aggregation" }), { startImmediately: true })
      )
      const error = yield* Effect.flip(k.damonCall(() => 1))
      assert.strictEqual(error.errno, "ENOMEM")
      assert.include(error.message, `at most ${Limits.MAX_PENDING_REQUESTS} requests pending on one kdamond`)
      assert.isTrue(waiting.every((f) => f.pollUnsafe() === undefined))
      // withdrawing one makes room once the kdamond prunes it at its next call point
      yield* Fiber.interrupt(waiting[0]!)
      yield* Effect.forEach(waiting, Fiber.interrupt, { discard: true })
      assert.strictEqual(yield* k.damonCall(() => 7), 7)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("eventBufferSize: the limit is accepted, one more is an InvalidArgument", () =>
    Effect.gen(function*() {
      yield* expectAccepted({ ops: "fake", targets: [{}] }, { eventBufferSize: Limits.MAX_EVENT_BUFFER })
      const error = errorOf(yield* tryStart({ ops: "fake", targets: [{}] }, { eventBufferSize: Limits.MAX_EVENT_BUFFER + 1 }))
      assert.strictEqual(error?.message, `options.eventBufferSize: ${Limits.MAX_EVENT_BUFFER + 1} is invalid: must be an integer in [1, ${Limits.MAX_EVENT_BUFFER}]`)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("a subscriber's buffer holds at most its budget of region copies: older events go first, the newest stays", () =>
    Effect.gen(function*() {
      const budget = 10
      const hub = yield* makeHub(100, budget)
      const aggregated = (nrRegions: number) => (seq: number): Events.MonitorEvent => ({
        _tag: "Aggregated",
        seq,
        atUs: seq,
        sis: seq,
        nrAggregations: seq,
        sampleIntervalUs: 1,
        aggrIntervalUs: 1,
        targets: [{ index: 0, pid: null, regions: times(nrRegions, (i) => ({ start: i, end: i + 1, nrAccesses: 0, nrAccessesBp: 0, lastNrAccesses: 0, age: 0 })) }]
      })
      hub.start((seq) => ({ _tag: "Started", seq, kdamond: 0, atUs: 0, worldUs: 0 }))
      const collected = yield* Effect.forkChild(Stream.runCollect(hub.stream), { startImmediately: true })
      yield* Effect.yieldNow
      // exactly the budget: 5 + 5 regions stay buffered together
      hub.publish(aggregated(5))
      hub.publish(aggregated(5))
      // one past it: the oldest (seq 2) goes, 5 + 6 > 10 also drops seq 3, the newest stays
      hub.publish(aggregated(6))
      hub.end((seq) => ({ _tag: "Stopped", seq, atUs: seq, reason: { _tag: "Requested" } }))
      const events = yield* Fiber.join(collected)
      assert.deepStrictEqual(events.map((e) => e.seq), [1, 4, 5])
    }))

  it("Transform snapshots: the region and target limits are accepted, one more is refused with ENOMEM", () => {
    const state = Result.getOrThrow(Transform.init([{}]))
    const regions = (n: number) => times(n, (i) => ({ start: i * 2, end: i * 2 + 1, nrAccesses: 0, age: 0 }))
    const at = Transform.step(state, { nowUs: 0, targets: [{ regions: regions(Limits.MAX_SNAPSHOT_REGIONS) }] })
    assert.isTrue(Result.isSuccess(at))
    const past = Transform.step(state, { nowUs: 0, targets: [{ regions: regions(Limits.MAX_SNAPSHOT_REGIONS + 1) }] })
    assert.strictEqual(Result.isFailure(past) ? past.failure.errno : "ok", "ENOMEM")
    const targets = (n: number) => times(n, () => ({ regions: [] }))
    assert.isTrue(Result.isSuccess(Transform.step(state, { nowUs: 0, targets: targets(Limits.MAX_NR_TARGETS) })))
    const tooMany = Transform.step(state, { nowUs: 0, targets: targets(Limits.MAX_NR_TARGETS + 1) })
    assert.strictEqual(Result.isFailure(tooMany) ? tooMany.failure.errno : "ok", "ENOMEM")
  })
})

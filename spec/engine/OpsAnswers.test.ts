/**
 * What an ops set answers is checked before it reaches scheme statistics, quotas or regions: an
 * `applyScheme` reporting NaN, negative or impossible byte counts, a `checkAccesses` returning
 * NaN, a `system` metric that throws or reads NaN, a shortcut answer that is not a score or a
 * boolean (`fixedSchemeScore`, `applyIsNoop`), all stop the kdamond with `OpsFailed` naming
 * the hook (never `Crashed`, never NaN stats). A throwing ops factory or `targetValid` fails a
 * start or commit with `OpsFailed` and changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonOps, type DamonOpsFactory, OpsRegistry, type SystemMetrics, Transform, World } from "effect-damon"
import { FOLIO_SLACK } from "../../src/core/OpsResults.ts"
import { makeFakeOps } from "../support/FakeOps.ts"
import { untyped } from "../support/untyped.ts"

const MiB = 1 << 20
const base = makeFakeOps({ initRange: { start: 0, end: 100 * MiB }, apply: {} })

/** The fake ops set with some hooks replaced. */
const withHooks = (id: string, hooks: Partial<DamonOps>): DamonOpsFactory => () => ({ ...base(), id, ...hooks })

const metrics = (over: Partial<SystemMetrics>): SystemMetrics => ({
  freeMemRatePermil: () => 500,
  someMemPsiTotalUs: () => 0,
  nodeMemUsedBp: () => 0,
  nodeMemFreeBp: () => 10000,
  nodeMemcgUsedBp: () => 0,
  activeMemBp: () => 5000,
  inactiveMemBp: () => 5000,
  nodeOfAddr: () => 0,
  ...over
})

const applying = (applied: number, filterPassed = 0, costNs = 0): NonNullable<DamonOps["applyScheme"]> => (_c, _t, _r, _s, _e, out) => {
  out.applied = applied
  out.filterPassed = filterPassed
  out.costNs = costNs
}

const registry = OpsRegistry.layer({
  nanApplied: withHooks("nanApplied", { applyScheme: applying(Number.NaN) }),
  negApplied: withHooks("negApplied", { applyScheme: applying(-4096) }),
  hugePassed: withHooks("hugePassed", { applyScheme: applying(0, 2 ** 52) }),
  infCost: withHooks("infCost", { applyScheme: applying(0, 0, Number.POSITIVE_INFINITY) }),
  nanAccesses: withHooks("nanAccesses", { checkAccesses: () => Number.NaN }),
  throwingWmark: withHooks("throwingWmark", { system: metrics({ freeMemRatePermil: () => { throw new Error("no meminfo") } }) }),
  nanGoal: withHooks("nanGoal", { system: metrics({ someMemPsiTotalUs: () => Number.NaN }) }),
  badFactory: () => {
    throw new Error("cannot build")
  },
  badTargetValid: withHooks("badTargetValid", { targetValid: () => { throw new Error("no /proc") } }),
  badFixedScore: withHooks("badFixedScore", { getSchemeScore: () => 50, fixedSchemeScore: () => untyped("high") }),
  badIsNoop: withHooks("badIsNoop", { applyIsNoop: () => untyped(1) }),
  fake: base
})
const TestDamon = Damon.layer.pipe(Layer.provide([registry, World.layerReal]))

const pageout = { action: "pageout", pattern: { maxNrAccesses: 0 } } as const

/** Runs `ops` with a pageout scheme until it stops; returns the stop reason. */
const runUntilStop = (ops: string, scheme: object = pageout) =>
  Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start({ ops, targets: [{}], schemes: [untyped(scheme)] }, { seed: 1 })
    yield* TestClock.adjust("2 seconds")
    return { reason: yield* k.join }
  })

describe("ops answers", () => {
  it.effect("applyScheme reporting NaN, negative or impossible bytes, or a non-finite cost: OpsFailed, stats untouched", () =>
    Effect.gen(function*() {
      const cases = [
        ["nanApplied", "returned applied = NaN"],
        ["negApplied", "returned applied = -4096"],
        ["hugePassed", "returned filterPassed = 4503599627370496"],
        ["infCost", "returned costNs = Infinity"]
      ] as const
      for (const [ops, message] of cases) {
        const { reason } = yield* runUntilStop(ops)
        assert.strictEqual(reason._tag, "OpsFailed", ops)
        if (reason._tag === "OpsFailed") {
          assert.strictEqual(reason.op, "applyScheme")
          assert.include(reason.message, message)
        }
      }
      // stats of a stopped kdamond's scheme stay finite: check through a transform of the same answer
      const state = Result.getOrThrow(Transform.init([pageout]))
      const stepped = Transform.step(
        state,
        { nowUs: 100_000, targets: [{ regions: [{ start: 0, end: 4096, nrAccesses: 0, age: 0 }] }] },
        { id: "nan", applyScheme: applying(Number.NaN) }
      )
      assert.strictEqual(Result.isFailure(stepped) ? stepped.failure.errno : "ok", "EIO")
      assert.strictEqual(state.schemes[0]!.stat.szApplied, 0)
    }).pipe(Effect.provide(TestDamon)))

  it.effect("fixedSchemeScore or applyIsNoop answering nonsense: OpsFailed naming the hook and the answer; the transform step fails with its state untouched", () =>
    Effect.gen(function*() {
      const cases = [
        ["badFixedScore", "fixedSchemeScore", "returned \"high\" for a pageout scheme: must be a finite number or undefined"],
        ["badIsNoop", "applyIsNoop", "returned 1 for a pageout scheme: must be a boolean"]
      ] as const
      for (const [ops, op, message] of cases) {
        const { reason } = yield* runUntilStop(ops, { ...pageout, quota: { sz: 4096, resetIntervalMs: 1000 } })
        assert.strictEqual(reason._tag, "OpsFailed", ops)
        if (reason._tag === "OpsFailed") {
          assert.strictEqual(reason.op, op)
          assert.include(reason.message, message)
        }
      }
      // the same answers to the offline transform: the step fails, its state untouched
      const state = Result.getOrThrow(Transform.init([{ ...pageout, quota: { sz: 4096, resetIntervalMs: 1000 } }]))
      const frozen = JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v))
      const snap = { nowUs: 100_000, targets: [{ regions: [{ start: 0, end: 4096, nrAccesses: 0, age: 0 }] }] }
      const ops = { id: "bad", applyScheme: applying(0), getSchemeScore: () => 50 }
      const stepped = Transform.step(state, snap, { ...ops, fixedSchemeScore: () => Number.POSITIVE_INFINITY })
      assert.strictEqual(
        Result.isFailure(stepped) ? stepped.failure.message : "ok",
        "ops fixedSchemeScore failed: returned Infinity for a pageout scheme: must be a finite number or undefined"
      )
      // the transform records every call, so it never asks applyIsNoop (its wrapper drops it)
      assert.isTrue(Result.isSuccess(Transform.step(state, snap, { ...ops, applyIsNoop: () => untyped<boolean>("yes") })))
      assert.strictEqual(JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), frozen)
    }).pipe(Effect.provide(TestDamon)))

  it("the bound on applied bytes is the region plus a folio's slack: at it accepted, one past refused", () => {
    const state = Result.getOrThrow(Transform.init([pageout]))
    const snap = { nowUs: 100_000, targets: [{ regions: [{ start: 0, end: 4096, nrAccesses: 0, age: 0 }] }] }
    const at = Transform.step(state, snap, { id: "slack", applyScheme: applying(4096 + FOLIO_SLACK) })
    assert.isTrue(Result.isSuccess(at))
    const past = Transform.step(state, snap, { id: "slack", applyScheme: applying(4096 + FOLIO_SLACK + 1) })
    assert.strictEqual(Result.isFailure(past) ? past.failure.message : "ok", `ops applyScheme failed: returned applied = ${4097 + FOLIO_SLACK} for a 4096-byte region: must be an integer in [0, ${4096 + FOLIO_SLACK}]`)
  })

  it.effect("checkAccesses returning NaN stops the kdamond with OpsFailed", () =>
    Effect.gen(function*() {
      const { reason } = yield* runUntilStop("nanAccesses")
      assert.strictEqual(reason._tag, "OpsFailed")
      if (reason._tag === "OpsFailed") assert.strictEqual(reason.op, "checkAccesses")
    }).pipe(Effect.provide(TestDamon)))

  it.effect("a throwing watermark metric and a NaN goal metric stop the kdamond with OpsFailed naming the metric", () =>
    Effect.gen(function*() {
      const wmarks = { metric: "free_mem_rate", intervalUs: 1000, high: 900, mid: 800, low: 100 } as const
      const a = yield* runUntilStop("throwingWmark", { ...pageout, wmarks })
      assert.deepStrictEqual(a.reason._tag === "OpsFailed" ? [a.reason.op, a.reason.message] : a.reason, [
        "system.freeMemRatePermil",
        "ops system.freeMemRatePermil failed: no meminfo"
      ])
      const goals = [{ metric: "some_mem_psi_us", targetValue: 1000 }] as const
      const b = yield* runUntilStop("nanGoal", { ...pageout, quota: { sz: MiB, resetIntervalMs: 10, goals } })
      assert.deepStrictEqual(b.reason._tag === "OpsFailed" ? b.reason.op : b.reason, "system.someMemPsiTotalUs")
    }).pipe(Effect.provide(TestDamon)))

  it.effect("a throwing ops factory or targetValid fails start and commit with OpsFailed; nothing changes", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const a = yield* Effect.flip(damon.start({ ops: "badFactory", targets: [{}] }))
      assert.strictEqual(a.message, "ops factory failed: cannot build")
      const b = yield* Effect.flip(damon.start({ ops: "badTargetValid", targets: [{}] }))
      assert.strictEqual(b.message, "ops targetValid failed: no /proc")
      assert.strictEqual(yield* damon.nrRunningCtxs, 0)
      const k = yield* damon.start({ ops: "fake", targets: [{}] }, { seed: 1 })
      const before = yield* k.damonCall((ctx) => JSON.stringify(ctx.targets))
      assert.strictEqual((yield* Effect.flip(k.commit({ ops: "badFactory", targets: [{}] }))).errno, "EIO")
      assert.strictEqual((yield* Effect.flip(k.commit({ ops: "badTargetValid", targets: [{}] }))).errno, "EIO")
      assert.strictEqual(yield* k.damonCall((ctx) => JSON.stringify(ctx.targets)), before)
      assert.isTrue(yield* k.isRunning)
    }).pipe(Effect.provide(TestDamon)))
})

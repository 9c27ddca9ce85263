/**
 * The offline transform under hostile input: snapshots are read once and checked as read (a
 * throwing accessor or Proxy names its field), only states `init`/`step` issued are accepted, an
 * ops set that throws or answers nonsense fails the step with `OpsFailed`, a snapshot iterable
 * that throws fails `run` typed, and running schemes handed back from a kdamond round-trip with
 * their state (a forged one is refused by field).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type Damos, OpsRegistry, Transform, World } from "effect-damon"
import { makeFakeOps } from "../../support/FakeOps.ts"
import { untyped } from "../../support/untyped.ts"

const snap = (nowUs: number) => ({ nowUs, targets: [{ regions: [{ start: 0, end: 8192, nrAccesses: 0, age: 3 }] }] })
const message = <A>(r: Result.Result<A, { readonly message: string }>): string => (Result.isFailure(r) ? r.failure.message : "succeeded")

describe("Transform under hostile input", () => {
  it("a snapshot field behind a throwing getter or Proxy is refused by name; fields are read once", () => {
    const state = Result.getOrThrow(Transform.init([{}]))
    const region = { start: 0, end: 8192, nrAccesses: 0, get age(): number { throw new Error("no age") } }
    assert.strictEqual(
      message(Transform.step(state, untyped({ nowUs: 0, targets: [{ regions: [region] }] }))),
      "snapshot.targets[0].regions[0].age: (unreadable) is invalid: reading it threw: no age"
    )
    const proxy = new Proxy([], { get: () => { throw new Error("trap") } })
    assert.strictEqual(message(Transform.step(state, untyped({ nowUs: 0, targets: proxy }))), "snapshot.targets: (unreadable) is invalid: reading it threw: trap")
    // a getter that answers a valid end first and an invalid one afterwards is used as first read
    let reads = 0
    const flip = { start: 0, get end() { return reads++ === 0 ? 8192 : -1 }, nrAccesses: 0, age: 0 }
    const [, d] = Result.getOrThrow(Transform.step(state, untyped({ nowUs: 0, targets: [{ regions: [flip] }] })))
    assert.strictEqual(d.regions[0]![0]!.end, 8192)
    assert.strictEqual(reads, 1)
  })

  it("a region's fields are read and checked in order: the first bad one is named, later ones are not read", () => {
    const state = Result.getOrThrow(Transform.init([{}]))
    let ageReads = 0
    const region = { start: 0, end: 8192, nrAccesses: -1, get age(): number { ageReads++; throw new Error("no age") } }
    assert.include(
      message(Transform.step(state, untyped({ nowUs: 0, targets: [{ regions: [region] }] }))),
      "snapshot.targets[0].regions[0].nrAccesses: -1 is invalid"
    )
    assert.strictEqual(ageReads, 0)
    const throwsLast = { start: 0, end: 8192, nrAccesses: 1, age: 0, get lastNrAccesses(): number { throw new Error("gone") } }
    assert.strictEqual(
      message(Transform.step(state, untyped({ nowUs: 0, targets: [{ regions: [{ start: 0, end: 4096, nrAccesses: 0, age: 0 }, throwsLast] }] }))),
      "snapshot.targets[0].regions[1].start: 0 is invalid: must be >= the previous region's end (4096): regions must be sorted and non-overlapping"
    )
    assert.strictEqual(
      message(Transform.step(state, untyped({ nowUs: 0, targets: [{ regions: [throwsLast] }] }))),
      "snapshot.targets[0].regions[0].lastNrAccesses: (unreadable) is invalid: reading it threw: gone"
    )
  })

  it("only states init or step returned are accepted", () => {
    const state = Result.getOrThrow(Transform.init([{}]))
    const forged = { ...state, minRegionSz: 1e-300 }
    assert.strictEqual(
      message(Transform.step(forged, snap(0))),
      "state: (not a transform state) is invalid: must be a state Transform.init or Transform.step returned"
    )
    const [next] = Result.getOrThrow(Transform.step(state, snap(0)))
    assert.isTrue(Result.isSuccess(Transform.step(next, snap(100_000))))
  })

  it("an ops set that throws or answers nonsense fails the step with OpsFailed; the state is untouched", () => {
    const state = Result.getOrThrow(Transform.init([{ action: "pageout" }]))
    const frozen = JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v))
    const throwing = Transform.step(state, snap(0), { id: "t", applyScheme: () => { throw new Error("apply failed") } })
    assert.strictEqual(message(throwing), "ops applyScheme failed: apply failed")
    const metrics = Transform.step(
      Result.getOrThrow(Transform.init([{ wmarks: { metric: "free_mem_rate", intervalUs: 1, high: 900, mid: 500, low: 100 } }])),
      snap(0),
      Transform.recordingOps({
        system: {
          freeMemRatePermil: () => Number.NaN,
          someMemPsiTotalUs: () => 0,
          nodeMemUsedBp: () => 0,
          nodeMemFreeBp: () => 0,
          nodeMemcgUsedBp: () => 0,
          activeMemBp: () => 0,
          inactiveMemBp: () => 0,
          nodeOfAddr: () => 0
        }
      })
    )
    assert.strictEqual(message(metrics), "ops system.freeMemRatePermil failed: returned NaN: must be a finite number")
    assert.strictEqual(JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), frozen)
  })

  it("run: a snapshot iterable that throws is a typed failure naming the snapshot it was at", () => {
    function* snapshots() {
      yield snap(0)
      throw new Error("disk gone")
    }
    assert.strictEqual(message(Transform.run([{}], snapshots())), "snapshots[1]: (unreadable) is invalid: iterating the snapshots threw: disk gone")
  })

  const fake = makeFakeOps({ initRange: { start: 0, end: 64 << 20 }, apply: {} })
  it.effect("running schemes from a kdamond round-trip with their state; a forged one is refused by field", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({
        ops: "fake",
        targets: [{}],
        schemes: [{ action: "pageout", quota: { sz: 1 << 20, resetIntervalMs: 20 }, filters: [{ type: "addr", addrRange: { start: 0, end: 1 << 20 } }, { type: "anon", allow: true }] }]
      }, { seed: 1 })
      yield* TestClock.adjust("1 second")
      const running: Array<Damos.Damos> = yield* k.damonCall((ctx) => ctx.schemes)
      const state = Result.getOrThrow(Transform.init(running, { opsId: "fake" }))
      const [original] = running
      const decoded = state.schemes[0]!
      assert.isAbove(original!.stat.nrTried, 0)
      assert.deepStrictEqual(decoded.stat, original!.stat)
      assert.deepStrictEqual({ ...decoded.quota, chargeTargetFrom: null }, { ...original!.quota, chargeTargetFrom: null })
      assert.deepStrictEqual(decoded.coreFilters, original!.coreFilters)
      assert.deepStrictEqual(decoded.opsFilters, original!.opsFilters)
      assert.strictEqual(decoded.nextApplySis, original!.nextApplySis)
      const forged = { ...original!, stat: { ...original!.stat, szApplied: Number.NaN } }
      assert.include(message(Transform.init([forged])), "schemes[0].stat.szApplied: NaN is invalid")
    }).pipe(Effect.provide(Damon.layer.pipe(Layer.provide([OpsRegistry.layer({ fake }), World.layerReal])))))
})
